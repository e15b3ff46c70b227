#!/bin/sh
# journalwire image entrypoint: the first argument (or $SERVICE) selects what runs.
#   journalwire poller|envelope|policy|status   -> node dist/apps/NAME/src/main.js
#   journalwire migrate|topics|reconcile|token  -> node dist/scripts/NAME.js [ARGS...]
#   journalwire any-other-command [ARGS...]     -> runs it (e.g. sh, node)
set -eu
cd /app
if [ "$#" -gt 0 ]; then
  target=$1
  shift
else
  target=${SERVICE:-}
fi
if [ -z "$target" ]; then
  echo "usage: journalwire poller|envelope|policy|status | migrate|topics|reconcile|token [ARGS...]" >&2
  exit 64
fi
if [ -f "dist/apps/$target/src/main.js" ]; then
  exec node "dist/apps/$target/src/main.js" "$@"
fi
if [ -f "dist/scripts/$target.js" ] && [ "$target" != cli ]; then
  exec node "dist/scripts/$target.js" "$@"
fi
exec "$target" "$@"

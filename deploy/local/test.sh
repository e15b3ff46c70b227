#!/usr/bin/env bash
# The one test command: starts every service the tests need, then lint, type-check and all
# three test tiers (unit, integration, end-to-end) against the real local stack.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
source deploy/local/node.sh
source deploy/local/env.sh
deploy/local/prepare.sh
npx eslint .
npx tsc -p tsconfig.json --noEmit
if [ "$#" -gt 0 ]; then
  exec npx vitest run "$@"
fi
# The tiers run one after another: integration and end-to-end tests share the local stack and
# some of them stop the broker or restart Redis on purpose.
for tier in unit integration e2e; do
  echo "== $tier tests"
  npx vitest run --project "$tier"
done

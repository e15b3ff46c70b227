#!/usr/bin/env bash
# The one test command: starts every service the tests need, then lint, type-check and all
# four test tiers (unit, integration, end-to-end, adversarial) against the real local stack.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
source deploy/local/node.sh
source deploy/local/env.sh
# Every run starts from an empty test database: rows an earlier run left, perhaps against another
# Kafka, would only make the result depend on the machine's history.
deploy/local/stack.sh start postgres
test_db="${TEST_DATABASE_URL##*/}"
psql -X -q -d postgres -c "DROP DATABASE IF EXISTS \"${test_db%%\?*}\" WITH (FORCE)"
deploy/local/prepare.sh
npx eslint .
npx prettier --check . --log-level warn
npx tsc -p tsconfig.json --noEmit
npx tsc -p apps/console/tsconfig.json
if [ "$#" -gt 0 ]; then
  exec npx vitest run "$@"
fi
# The tiers run one after another: integration and end-to-end tests share the local stack and
# some of them stop the broker or restart Redis on purpose.
reports="${JW_RUN_DIR:-/tmp/journalwire}/test-reports"
mkdir -p "$reports"
for tier in unit integration e2e adversarial; do
  echo "== $tier tests"
  npx vitest run --project "$tier" --reporter=default --reporter=json --outputFile="$reports/$tier.json"
done
node -e '
  let passed = 0, failed = 0, skipped = 0;
  for (const tier of ["unit", "integration", "e2e", "adversarial"]) {
    const r = require(process.argv[1] + "/" + tier + ".json");
    passed += r.numPassedTests; failed += r.numFailedTests; skipped += r.numPendingTests + r.numTodoTests;
  }
  console.log(`all tiers: ${passed} passed, ${failed} failed, ${skipped} skipped`);
' "$reports"

#!/usr/bin/env bash
# Starts the local stack and readies it for journalwire: Node 24 and dependencies, build,
# databases migrated, Kafka topics created. Idempotent; sourced or run.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
source deploy/local/node.sh
source deploy/local/env.sh
deploy/local/stack.sh start
npm run -s build
node dist/scripts/migrate.js
DATABASE_URL="$TEST_DATABASE_URL" node dist/scripts/migrate.js
node dist/scripts/topics.js

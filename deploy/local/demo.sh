#!/usr/bin/env bash
# The demo: starts the local stack, then runs the whole pipeline on the sample journal reports.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
source deploy/local/node.sh
source deploy/local/env.sh
deploy/local/prepare.sh
node dist/scripts/demo.js "$@"

#!/usr/bin/env bash
# The whole test suite: builds (tests spawn the real `loopabull` command), then Jest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
npm run build --silent
NODE_OPTIONS=--experimental-vm-modules exec npx jest "$@"

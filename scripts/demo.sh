#!/usr/bin/env bash
# Quick start: looper, 5 workers and the web server on default settings, then a sample
# Koji build message published to the bus and the playbook it ran shown. Ctrl-C stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
npm run build --silent
exec node packages/cli/dist/main.js up --workers 5 --demo "$@"

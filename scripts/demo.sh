#!/usr/bin/env bash
# Quick start: looper, 5 workers and the web server on default settings, then a Koji build
# message published to amq.topic under the demo topic and the playbook it ran shown
# (`loopabull up --help` says exactly what). Ctrl-C stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
npm run build --silent
exec node packages/cli/dist/main.js up --workers 5 --demo "$@"

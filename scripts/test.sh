#!/usr/bin/env bash
# The whole test suite: builds (tests spawn the real `loopabull` command), lints and typechecks
# the tests, runs Jest, then prints one plain "N passed, N failed" line that any CI can read.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
npm run build --silent
npm run lint --silent
results=$(mktemp)
trap 'rm -f "$results"' EXIT
status=0
# What an operator exports (REDIS_URL, AMQP_URL, LOOPABULL_*) must never reach what the tests run:
# Jest runs with them pointing at nothing, so a test that lets them through fails here, in CI.
hostile_env=(
  REDIS_URL=redis://127.0.0.1:1/15
  AMQP_URL=amqp://nobody:nothing@127.0.0.1:1/%2Fnowhere
  LOOPABULL_CONFIG=/nonexistent/loopabull.yml
  LOOPABULL_PLAYBOOKS_DIR=/nonexistent/playbooks
)
env "${hostile_env[@]}" NODE_OPTIONS=--experimental-vm-modules \
  npx jest --coverage --json --outputFile="$results" "$@" || status=$?
# Only for the whole suite: a part of it covers only a part of the code.
if [ $# -eq 0 ]; then node scripts/coverage.mjs || status=1; fi
node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const skipped = r.numPendingTests + r.numTodoTests;
  console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed` + (skipped ? `, ${skipped} skipped` : ""));
' "$results" || true
exit $status

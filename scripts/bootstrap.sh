#!/usr/bin/env bash
# Makes this machine able to run Loopabull and its tests: npm packages, ansible-playbook,
# and Redis and RabbitMQ answering on their default ports. Idempotent: it only does what
# is missing. Used by `npm run demo`, `npm test` and .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
answers() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

apt_updated=
apt_install() {
  [ -n "$apt_updated" ] || { as_root apt-get update -qq; apt_updated=1; }
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing npm packages (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
fi

if ! command -v ansible-playbook >/dev/null; then
  say "installing ansible-core"
  apt_install ansible-core
fi

if ! answers 6379; then
  command -v redis-server >/dev/null || { say "installing redis-server"; apt_install redis-server; }
  say "starting Redis on 127.0.0.1:6379"
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null
fi

if ! answers 5672; then
  command -v rabbitmq-server >/dev/null || { say "installing rabbitmq-server"; apt_install rabbitmq-server; }
  say "starting RabbitMQ on 127.0.0.1:5672"
  as_root rabbitmq-server -detached >/dev/null 2>&1 || true
  for _ in $(seq 1 120); do answers 5672 && break; sleep 1; done
  answers 5672 || { echo "RabbitMQ did not start; see /var/log/rabbitmq" >&2; exit 1; }
fi

for _ in $(seq 1 50); do answers 6379 && break; sleep 0.2; done
answers 6379 || { echo "Redis did not start" >&2; exit 1; }

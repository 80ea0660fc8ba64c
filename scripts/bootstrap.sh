#!/usr/bin/env bash
# Makes this machine able to run Loopabull and its tests: npm packages, ansible-playbook,
# and Redis, RabbitMQ, PostgreSQL and MariaDB answering on their default ports (the database
# tests log in as postgres and root without a password over 127.0.0.1 and use a database
# `test`). Idempotent: it only does what is missing. Used by `npm run demo`, `npm test` and
# .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
answers() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
as_postgres() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else sudo -u postgres "$@"; fi; }
wait_for() { for _ in $(seq 1 "$2"); do answers "$1" && return; sleep 1; done; answers "$1"; }

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

# The slavealloc web UI is tested in Debian's headless Chromium (driven by playwright-core).
if [ ! -x /usr/bin/chromium ]; then
  say "installing chromium"
  apt_install chromium
fi

# The bench runs the releng-hardware PoC's own Flask server and Pulse listener beside Loopabull.
if ! /usr/bin/python3 -c 'import flask, kombu, redis' 2>/dev/null; then
  say "installing python3-flask, python3-kombu and python3-redis (the bench's PoC comparators)"
  apt_install python3-flask python3-kombu python3-redis
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

# PostgreSQL: Debian's packages make a cluster on install; start the first one there is.
if ! answers 5432; then
  command -v pg_lsclusters >/dev/null || { say "installing postgresql"; apt_install postgresql; }
  say "starting PostgreSQL on 127.0.0.1:5432"
  read -r pg_version pg_cluster _ < <(pg_lsclusters --no-header) || true
  if [ -z "${pg_version:-}" ] || ! as_root pg_ctlcluster "$pg_version" "$pg_cluster" start >/dev/null 2>&1; then
    as_root service postgresql start >/dev/null
  fi
  wait_for 5432 60 || { echo "PostgreSQL did not start; see /var/log/postgresql" >&2; exit 1; }
fi
command -v psql >/dev/null || { say "installing postgresql-client"; apt_install postgresql-client; }
pg_as_test_user() { env -u PGPASSWORD PGPASSFILE=/nonexistent psql -h 127.0.0.1 -U postgres -d postgres -w -qAt "$@"; }
if ! pg_as_test_user -c 'select 1' >/dev/null 2>&1; then
  # The first matching line of pg_hba.conf wins, so the rule goes on top.
  say "letting postgres log in without a password from 127.0.0.1"
  hba=$(as_postgres psql -qAtc 'show hba_file')
  as_root sed -i '1i host all postgres 127.0.0.1/32 trust # added by loopabull scripts/bootstrap.sh' "$hba"
  as_postgres psql -qAtc 'select pg_reload_conf()' >/dev/null
  pg_as_test_user -c 'select 1' >/dev/null
fi
if [ -z "$(pg_as_test_user -c "select 1 from pg_database where datname = 'test'")" ]; then
  say "creating the PostgreSQL database test"
  pg_as_test_user -c 'create database test'
fi

# MariaDB: the init script where there is one, else mysqld_safe (containers without one).
if ! answers 3306; then
  [ -x /usr/sbin/mariadbd ] || { say "installing mariadb-server"; apt_install mariadb-server; }
  say "starting MariaDB on 127.0.0.1:3306"
  if ! as_root service mariadb start >/dev/null 2>&1; then
    as_root install -d -o mysql -g mysql /run/mysqld
    as_root sh -c 'nohup mysqld_safe >/dev/null 2>&1 &'
  fi
  wait_for 3306 60 || { echo "MariaDB did not start; see /var/log/mysql" >&2; exit 1; }
fi
command -v mariadb >/dev/null || { say "installing mariadb-client"; apt_install mariadb-client; }
maria_as_test_user() { mariadb --no-defaults --protocol=TCP -h 127.0.0.1 -u root --password= "$@"; }
if ! maria_as_test_user -e 'select 1' >/dev/null 2>&1; then
  # A fresh install lets root in only through the socket. Over TCP, 127.0.0.1 is matched as
  # root@localhost, or as root@127.0.0.1 where names are not resolved: both get in.
  say "letting MariaDB's root log in without a password over TCP"
  as_root mariadb --no-defaults -u root -e "
    ALTER USER root@localhost IDENTIFIED VIA unix_socket OR mysql_native_password USING PASSWORD('');
    CREATE USER IF NOT EXISTS root@'127.0.0.1' IDENTIFIED BY '';
    GRANT ALL PRIVILEGES ON *.* TO root@'127.0.0.1' WITH GRANT OPTION;"
  maria_as_test_user -e 'select 1' >/dev/null
fi
maria_as_test_user -e 'CREATE DATABASE IF NOT EXISTS test' >/dev/null

#!/bin/sh
# runslave.py's fetch step for slave hosts: download this slave's buildbot.tac from slavealloc,
# keep it only if it carries the validity marker, write it atomically, and fall back to the
# cached file when anything fails. Starting buildslave is left to the host's startup.
#   fetch-tac.sh [--slavename NAME] [--basedir DIR] [--url URL] [--timeout SECONDS]
# URL: literal SLAVE is replaced by the name (default http://slavealloc/gettac/SLAVE).
set -u
slavename=$(hostname | cut -d. -f1)
basedir=
url=${SLAVEALLOC_URL:-http://slavealloc/gettac/SLAVE}
timeout=60
while [ $# -gt 0 ]; do
  case $1 in
    --slavename) slavename=$2; shift 2 ;;
    --basedir) basedir=$2; shift 2 ;;
    --url) url=$2; shift 2 ;;
    --timeout) timeout=$2; shift 2 ;;
    *) echo "usage: $0 [--slavename NAME] [--basedir DIR] [--url URL] [--timeout S]" >&2; exit 2 ;;
  esac
done
url=$(printf '%s' "$url" | sed "s/SLAVE/$slavename/g")
marker='AUTOMATICALLY GENERATED - DO NOT MODIFY'
page=$(mktemp) || exit 1
trap 'rm -f "$page"' EXIT

fallback() {
  echo "WARNING: error fetching and/or replacing buildbot.tac file $url" >&2
  if [ -n "$basedir" ] && [ -f "$basedir/buildbot.tac" ]; then
    echo "WARNING: falling back to existing buildbot.tac" >&2
    exit 0
  fi
  echo "FATAL: no buildbot.tac found; cannot start" >&2
  exit 1
}

if command -v curl >/dev/null; then
  curl -fsS --max-time "$timeout" -o "$page" "$url" || fallback
else
  wget -q -T "$timeout" -O "$page" "$url" || fallback
fi
if ! grep -qF "$marker" "$page"; then
  echo "WARNING: downloaded page did not contain validity-check string" >&2
  fallback
fi
# basedir: --basedir, else the tac's own `basedir = '...'` (a Python string: quotes and an
# optional u/r prefix dropped, doubled backslashes made single).
if [ -z "$basedir" ]; then
  basedir=$(sed -n "s/^[Bb][Aa][Ss][Ee][Dd][Ii][Rr][[:space:]]*=[[:space:]]*[uUrR]\{0,1\}['\"]\(.*\)['\"][[:space:]]*$/\1/p" "$page" | head -n 1 | sed 's/\\\\/\\/g')
  [ -n "$basedir" ] || { echo "FATAL: no basedir given and none in the tac" >&2; exit 1; }
fi
mkdir -p "$basedir" || fallback
cp "$page" "$basedir/buildbot.tac.tmp" && mv -f "$basedir/buildbot.tac.tmp" "$basedir/buildbot.tac" || fallback
echo "buildbot.tac for $slavename written to $basedir"

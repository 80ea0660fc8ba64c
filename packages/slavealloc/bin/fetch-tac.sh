#!/bin/sh
# runslave.py's fetch step for slave hosts: download this slave's buildbot.tac from slavealloc,
# keep it only if it carries the validity marker, write it atomically, and fall back to the
# cached file when anything fails. Starting buildslave is left to the host's startup.
#   fetch-tac.sh [--slavename NAME] [--basedir DIR] [--url URL] [--timeout SECONDS]
# URL: literal SLAVE is replaced by the name (default http://slavealloc/gettac/SLAVE).
set -u
slavename=$(hostname)
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
# runslave.py asks for the unqualified name, also of a --slavename, and replaces every SLAVE in
# the URL with it as text (sed would read a & or / in the name as its own syntax).
slavename=${slavename%%.*}
rest=$url
url=
while :; do
  case $rest in
    *SLAVE*) url=$url${rest%%SLAVE*}$slavename; rest=${rest#*SLAVE} ;;
    *) url=$url$rest; break ;;
  esac
done
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
# The value of a Python 2 string literal as repr() writes it, which runslave.py eval()s: the
# u/r prefix and the quotes dropped, and (unless raw) \\ \' \" \t \n \r \xNN decoded to bytes.
py_string() {
  PY_LITERAL=$1 LC_ALL=C awk 'BEGIN {
    s = ENVIRON["PY_LITERAL"]; raw = 0
    while (substr(s, 1, 1) ~ /[uUrR]/) { if (substr(s, 1, 1) ~ /[rR]/) raw = 1; s = substr(s, 2) }
    s = substr(s, 2, length(s) - 2)
    if (raw) { printf "%s", s; exit }
    for (i = 1; i <= 255; i++) hex[sprintf("%02x", i)] = i
    out = ""; n = length(s)
    for (i = 1; i <= n; i++) {
      c = substr(s, i, 1)
      if (c != "\\" || i == n) { out = out c; continue }
      e = substr(s, ++i, 1)
      if (e == "x" && tolower(substr(s, i + 1, 2)) in hex) { out = out sprintf("%c", hex[tolower(substr(s, i + 1, 2))]); i += 2 }
      else if (e == "t") out = out "\t"
      else if (e == "n") out = out "\n"
      else if (e == "r") out = out "\r"
      else if (e == "\\" || e == "\047" || e == "\"") out = out e
      else out = out "\\" e
    }
    printf "%s", out
  }'
}
# basedir: --basedir, else the tac's own `basedir = '...'` (runslave.py's regex, first match: up
# to the line's last quote, whatever follows it, such as a comment in a custom template).
if [ -z "$basedir" ]; then
  literal=$(sed -n "s/^[Bb][Aa][Ss][Ee][Dd][Ii][Rr][[:space:]]*=[[:space:]]*\([uUrR]\{0,1\}['\"].*['\"]\).*$/\1/p" "$page" | head -n 1)
  [ -n "$literal" ] && basedir=$(py_string "$literal")
  [ -n "$basedir" ] || { echo "FATAL: no basedir given and none in the tac" >&2; exit 1; }
fi
mkdir -p "$basedir" || fallback
# Written anew, not copied from mktemp's 0600 file: the tac gets the umask's mode, as runslave.py
# wrote it, for a buildslave that runs as another user than this step.
tmp=$basedir/buildbot.tac.tmp
rm -f "$tmp" && cat "$page" >"$tmp" && mv -f "$tmp" "$basedir/buildbot.tac" || fallback
# printf, not echo: dash's echo reads the \b of a Windows basedir (e:\builds) as an escape.
printf '%s\n' "buildbot.tac for $slavename written to $basedir"

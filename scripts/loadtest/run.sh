#!/usr/bin/env bash
# `make loadtest`: serve the API as in production (gunicorn, PostgreSQL, debug off) and load it
# from a second process on loopback: wrk's read mix (mix.txt, mix.lua) on 64 connections and
# concurrent editor writes (writer.py), for 30 seconds; then check every acknowledged write
# against the database and print the report (report.py). Exits 1 on any unexpected status or
# lost write. A script, not a test: it needs a PostgreSQL server (trust auth, or a password in
# LOADTEST_PG_SERVER) and, when it can be reached, Redis; it installs wrk (Debian) if missing.
#
# Settings (environment):
#   LOADTEST_DURATION=30  LOADTEST_CONNECTIONS=64  LOADTEST_WRK_THREADS=2  LOADTEST_EDITORS=4
#   LOADTEST_WORKERS=2  LOADTEST_THREADS=4          gunicorn workers and threads per worker
#   LOADTEST_PG_SERVER=postgres://postgres@127.0.0.1:5432   a database is created there per run
#   LOADTEST_REDIS_URL=redis://127.0.0.1:6379/0     the cache; empty: process memory
#   LOADTEST_THROTTLE_RATE=1000000/s                 anonymous and user rates (see below)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"
bin="$root/.venv/bin"

duration="${LOADTEST_DURATION:-30}"
connections="${LOADTEST_CONNECTIONS:-64}"
wrk_threads="${LOADTEST_WRK_THREADS:-2}"
editors="${LOADTEST_EDITORS:-4}"
workers="${LOADTEST_WORKERS:-2}"
threads="${LOADTEST_THREADS:-4}"
pg_server="${LOADTEST_PG_SERVER:-postgres://postgres@127.0.0.1:5432}"
redis_url="${LOADTEST_REDIS_URL-redis://127.0.0.1:6379/0}"
editor=loadeditor

say() { printf 'loadtest: %s\n' "$*" >&2; }

source "$root/scripts/common.sh"
require_venv loadtest
ensure_wrk

work="$(mktemp -d "${TMPDIR:-/tmp}/policyapi-loadtest.XXXXXX")"
db="policyapi_load_$$"
gunicorn_pid=""
status=1

# The database, by the project's own driver (no psql needed).
pg() {
  "$bin/python" - "$pg_server/postgres" "$1" "$db" <<'EOF'
import sys

import psycopg
from psycopg import sql

url, action, name = sys.argv[1:]
with psycopg.connect(url, autocommit=True) as conn:
    if action == "create":
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    else:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
    print(conn.execute("SHOW server_version").fetchone()[0].split()[0])
EOF
}

stop_server() {
  if [ -n "$gunicorn_pid" ] && kill -0 "$gunicorn_pid" 2>/dev/null; then
    kill -TERM "$gunicorn_pid" 2>/dev/null || true
    wait "$gunicorn_pid" 2>/dev/null || true
  fi
  gunicorn_pid=""
}

# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() {
  stop_server
  pg drop >/dev/null 2>&1 || say "could not drop database $db"
  if [ "$status" -eq 0 ] && ! grep -qE 'Traceback|WORKER TIMEOUT' "$work/gunicorn.log" 2>/dev/null; then
    rm -rf "$work"
  else
    say "logs and results kept in $work"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

pg_version="$(pg create)"
export DATABASE_URL="$pg_server/$db"
export DJANGO_DEBUG=0
DJANGO_SECRET_KEY="$("$bin/python" -c 'import secrets; print(secrets.token_urlsafe(50))')"
export DJANGO_SECRET_KEY
export DJANGO_ALLOWED_HOSTS=127.0.0.1,localhost
# Plain HTTP on loopback: no redirect to HTTPS, cookies not HTTPS-only.
export DJANGO_SECURE_SSL_REDIRECT=0 DJANGO_SESSION_COOKIE_SECURE=0 DJANGO_CSRF_COOKIE_SECURE=0
# Every request comes from one address: rates the load cannot reach, so that nothing is refused
# (429) while the throttle still runs as in production. Per second rather than per minute: DRF
# keeps a list of one timestamp per request of the window in the cache and reads and writes the
# whole list on every request, so a short window keeps that list short. (At this machine's
# ~80 requests/s a per-minute window, LOADTEST_THROTTLE_RATE=100000000/min, measured the same.)
throttle_rate="${LOADTEST_THROTTLE_RATE:-1000000/s}"
export THROTTLE_ANON_RATE="$throttle_rate" THROTTLE_USER_RATE="$throttle_rate"
cache="process memory (no Redis)"
unset REDIS_URL
if [ -n "$redis_url" ] && "$bin/python" -c '
import sys, redis
redis.Redis.from_url(sys.argv[1], socket_connect_timeout=2).ping()' "$redis_url" 2>/dev/null; then
  export REDIS_URL="$redis_url" CACHE_KEY_PREFIX="policyapi-load-$$"
  cache="Redis ($redis_url)"
else
  say "Redis not reachable at ${redis_url:-(none)}: cache and throttle counts in process memory"
fi

say "database $db (PostgreSQL $pg_version): migrate, load the article and the CAMEO codebook, create the editor"
{
  "$bin/python" manage.py migrate --noinput
  "$bin/python" manage.py loaddata article
  "$bin/python" manage.py load_cameo fixtures/cameo/CAMEO.eventcodes.txt --skip-invalid
  "$bin/python" manage.py shell -c "
from django.contrib.auth.models import Group, User
user = User.objects.create_user('$editor')
user.groups.add(Group.objects.get(name='editors'))"
} >"$work/setup.log" 2>&1 || { cat "$work/setup.log" >&2; exit 1; }
token="$("$bin/python" manage.py drf_create_token "$editor" 2>>"$work/setup.log" | awk '/^Generated token/ {print $3}')"
[ -n "$token" ] || { say "no token for $editor"; cat "$work/setup.log" >&2; exit 1; }

port="$("$bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
base="http://127.0.0.1:$port"
say "gunicorn on $base: $workers workers x $threads threads (gthread)"
"$bin/gunicorn" policyapi.wsgi:application \
  --bind "127.0.0.1:$port" --workers "$workers" --threads "$threads" --worker-class gthread \
  --error-logfile - --log-level warning >"$work/gunicorn.log" 2>&1 &
gunicorn_pid=$!

"$bin/python" - "$base/readyz" "$gunicorn_pid" <<'EOF' || { cat "$work/gunicorn.log" >&2; exit 1; }
import os, sys, time, urllib.request

url, pid = sys.argv[1], int(sys.argv[2])
deadline = time.monotonic() + 60
while time.monotonic() < deadline:
    try:
        os.kill(pid, 0)
    except OSError:
        sys.exit("loadtest: gunicorn exited before it was ready")
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            if response.status == 200:
                sys.exit(0)
    except OSError:
        pass
    time.sleep(0.2)
sys.exit(f"loadtest: {url} did not answer 200 within 60 s")
EOF

say "load: $connections connections (wrk) + $editors editors for ${duration}s"
"$bin/python" "$here/drive.py" "$base" "$token" "$work" --duration "$duration" \
  --connections "$connections" --threads "$wrk_threads" --editors "$editors"
stop_server

setup="server: gunicorn $("$bin/gunicorn" --version 2>&1 | awk '{print $NF}' | tr -d '()'), $workers workers x $threads threads (gthread), debug off; PostgreSQL $pg_version; cache: $cache; throttle $throttle_rate
machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo), $(uname -m), $(uname -sr); client and server on loopback"
set +e
"$bin/python" "$here/report.py" "$work/results.json" --server-log "$work/gunicorn.log" \
  --setup "$setup" --editor "$editor" | tee "$work/report.txt"
status=${PIPESTATUS[0]}
set -e
exit "$status"

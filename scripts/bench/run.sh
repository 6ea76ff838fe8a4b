#!/usr/bin/env bash
# `make bench`: the service's read path against two independent peers that give the same bodies.
#
# Creates a PostgreSQL database of its own, loads N synthetic events (manage.py
# generate_synthetic), runs `manage.py check_index_usage` when the project has it, and serves
# four contenders with gunicorn, W workers each, each on its own port of loopback:
#   service  the API as in production (policyapi.wsgi; debug off, Redis cache when it answers;
#            gthread, W workers x T threads)
#   uncached the same without its response cache (RESPONSE_CACHE_SECONDS=0), and a cache key
#            prefix of its own, so that it never warms the service's counts
#   fastapi  scripts/bench/peers/fastapi_app.py: FastAPI + SQLAlchemy 2 + psycopg 3 + orjson
#            (uvicorn_worker.UvicornWorker, W workers)
#   wsgi     scripts/bench/peers/bare_wsgi.py: bare WSGI + psycopg_pool + orjson (gthread,
#            W workers x T threads)
# The peers import nothing from the service: their SQL and JSON (peers/common.py) are written
# from the tables and openapi.yaml; their packages are pinned in requirements-bench.txt.
# Then bench.py checks that all four give the same JSON for every scenario and for a sample of
# the cycling URLs (exit 1 on the first difference), loads each scenario with wrk in rounds
# (every contender once a round, in a rotating order) and prints the report with the medians.
# The database is dropped on exit; logs are kept when something fails (or with BENCH_KEEP=1).
# A script, not a test: it needs PostgreSQL (trust auth, or a password in BENCH_PG_SERVER).
#
# Settings (environment):
#   BENCH_EVENTS=100000        events to load; `both` = 100000 then 1000000
#   BENCH_SIZES="100000 1000000"  sizes to measure in turn (overrides BENCH_EVENTS); the database
#                              grows from one to the next, or is reloaded when it cannot grow
#   BENCH_ROUNDS=3      rounds per scenario; each contender runs once a round
#   BENCH_DURATION=5  BENCH_WARMUP=2  BENCH_CONNECTIONS=8  BENCH_WRK_THREADS=2   wrk, per run
#                       (seconds per contender per round; one warm-up per contender per scenario)
#   BENCH_CYCLE_URLS=1500   distinct URLs per round of the cycling (cache-miss) scenario
#   BENCH_CYCLE_CHECK=200   cycling URLs whose bodies are compared on all four before timing
#   BENCH_WORKERS=2  BENCH_THREADS=4            gunicorn workers (every contender) and threads
#                                               (the gthread ones: service, uncached, wsgi)
#   BENCH_PG_SERVER=postgres://postgres@127.0.0.1:5432   a database is created there per run
#   BENCH_REDIS_URL=redis://127.0.0.1:6379/0    the service's cache; empty: process memory
#   BENCH_THROTTLE_RATE=1000000/s               anonymous and user rates (as make loadtest)
#   BENCH_HOST=bench.example                    the Host header of every request
#   BENCH_STRICT=0      1: exit 1 when a target is missed (the run always fails on a body
#                       difference, an unexpected status or a socket error)
#   BENCH_KEEP=0        1: keep the logs and results directory
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"
bin="$root/.venv/bin"

events="${BENCH_EVENTS:-100000}"
sizes="${BENCH_SIZES:-}"
if [ -z "$sizes" ]; then
  if [ "$events" = both ]; then sizes="100000 1000000"; else sizes="$events"; fi
fi
rounds="${BENCH_ROUNDS:-3}"
duration="${BENCH_DURATION:-5}"
warmup="${BENCH_WARMUP:-2}"
cycle_urls="${BENCH_CYCLE_URLS:-1500}"
cycle_check="${BENCH_CYCLE_CHECK:-200}"
connections="${BENCH_CONNECTIONS:-8}"
wrk_threads="${BENCH_WRK_THREADS:-2}"
workers="${BENCH_WORKERS:-2}"
threads="${BENCH_THREADS:-4}"
pg_server="${BENCH_PG_SERVER:-postgres://postgres@127.0.0.1:5432}"
redis_url="${BENCH_REDIS_URL-redis://127.0.0.1:6379/0}"
throttle_rate="${BENCH_THROTTLE_RATE:-1000000/s}"
host="${BENCH_HOST:-bench.example}"
strict="${BENCH_STRICT:-0}"
keep="${BENCH_KEEP:-0}"

say() { printf 'bench: %s\n' "$*" >&2; }

previous=0
for size in $sizes; do
  if ! [[ "$size" =~ ^[0-9]+$ ]] || [ "$size" -le "$previous" ]; then
    say "BENCH_SIZES/BENCH_EVENTS: '$sizes' is not a list of growing whole numbers (or 'both')"
    exit 2
  fi
  previous=$size
done

source "$root/scripts/common.sh"
require_venv bench
ensure_wrk

work="$(mktemp -d "${TMPDIR:-/tmp}/policyapi-bench.XXXXXX")"
db="policyapi_bench_$$"
declare -A pids=()
status=1

# The database, by the project's own driver (no psql needed): create, drop, vacuum.
pg() {
  "$bin/python" - "$pg_server" "$1" "$db" <<'EOF'
import sys

import psycopg
from psycopg import sql

server, action, name = sys.argv[1:]
database = server + "/" + (name if action == "vacuum" else "postgres")
with psycopg.connect(database, autocommit=True) as conn:
    if action == "create":
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    elif action == "drop":
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
    else:
        conn.execute("VACUUM (ANALYZE)")
    print(conn.execute("SHOW server_version").fetchone()[0].split()[0])
EOF
}

stop_servers() {
  local name
  for name in "${!pids[@]}"; do
    kill -TERM "${pids[$name]}" 2>/dev/null || true
  done
  for name in "${!pids[@]}"; do
    wait "${pids[$name]}" 2>/dev/null || true
    unset "pids[$name]"
  done
}

# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() {
  stop_servers
  pg drop >/dev/null 2>&1 || say "could not drop database $db"
  if [ -n "${REDIS_URL:-}" ]; then
    "$bin/python" -c '
import sys, redis
client = redis.Redis.from_url(sys.argv[1], socket_connect_timeout=2)
for key in client.scan_iter(match=sys.argv[2] + "*", count=1000):
    client.delete(key)' "$REDIS_URL" "policyapi-bench-$$" 2>/dev/null || true
  fi
  if [ "$status" -eq 0 ] && [ "$keep" != 1 ] \
    && ! grep -qE 'Traceback|WORKER TIMEOUT' "$work"/*.log 2>/dev/null; then
    rm -rf "$work"
  else
    say "logs and results kept in $work"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

began=$SECONDS
pg_version="$(pg create)"
unset DJANGO_SETTINGS_MODULE
export DATABASE_URL="$pg_server/$db"
export DJANGO_DEBUG=0
DJANGO_SECRET_KEY="$("$bin/python" -c 'import secrets; print(secrets.token_urlsafe(50))')"
export DJANGO_SECRET_KEY
export DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost,$host"
# Plain HTTP on loopback: no redirect to HTTPS, cookies not HTTPS-only.
export DJANGO_SECURE_SSL_REDIRECT=0 DJANGO_SESSION_COOKIE_SECURE=0 DJANGO_CSRF_COOKIE_SECURE=0
# Rates the load cannot reach, so that nothing is refused (429) while the throttle still runs
# as in production (see scripts/loadtest/run.sh for why per second).
export THROTTLE_ANON_RATE="$throttle_rate" THROTTLE_USER_RATE="$throttle_rate"
cache="process memory (no Redis)"
unset REDIS_URL
if [ -n "$redis_url" ] && "$bin/python" -c '
import sys, redis
redis.Redis.from_url(sys.argv[1], socket_connect_timeout=2).ping()' "$redis_url" 2>/dev/null; then
  export REDIS_URL="$redis_url"
  cache="Redis ($redis_url)"
else
  say "Redis not reachable at ${redis_url:-(none)}: the service caches in process memory"
fi

migrate() {
  say "database $db (PostgreSQL $pg_version): migrate, load the article and the CAMEO codebook"
  { "$bin/python" manage.py migrate --noinput && "$bin/python" manage.py loaddata article \
    && "$bin/python" manage.py load_cameo fixtures/cameo/CAMEO.eventcodes.txt --skip-invalid; } \
    >>"$work/setup.log" 2>&1 || { cat "$work/setup.log" >&2; exit 1; }
}

generate() { # events seed
  say "generate_synthetic --events $1 --seed $2"
  "$bin/python" manage.py generate_synthetic --events "$1" --seed "$2" >>"$work/setup.log" 2>&1
}

free_port() {
  "$bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

gunicorn_args=(--workers "$workers" --error-logfile - --log-level warning)
threaded=(--worker-class gthread --threads "$threads")
# Four servers at once: each without gunicorn's control socket (one path per user by default).
if "$bin/gunicorn" --help 2>/dev/null | grep -q -- --no-control-socket; then
  gunicorn_args+=(--no-control-socket)
fi

start() { # name port app [more gunicorn options]
  local name=$1 port=$2 app=$3
  shift 3
  local environment=()
  [ "$name" != uncached ] \
    || environment+=(RESPONSE_CACHE_SECONDS=0 CACHE_KEY_PREFIX="$CACHE_KEY_PREFIX-uncached")
  env "${environment[@]}" "$bin/gunicorn" "$app" --bind "127.0.0.1:$port" "${gunicorn_args[@]}" \
    "$@" >>"$work/$name.log" 2>&1 &
  pids[$name]=$!
}

wait_ready() { # name url
  "$bin/python" - "$2" "${pids[$1]}" "$host" <<'EOF' || { cat "$work/$1.log" >&2; exit 1; }
import http.client, os, sys, time
from urllib.parse import urlsplit

url, pid, host = sys.argv[1], int(sys.argv[2]), sys.argv[3]
parts = urlsplit(url)
deadline = time.monotonic() + 120
while time.monotonic() < deadline:
    try:
        os.kill(pid, 0)
    except OSError:
        sys.exit(f"bench: the server for {url} exited before it was ready")
    try:
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        conn.request("GET", f"{parts.path}?{parts.query}", headers={"Host": host})
        if conn.getresponse().status == 200:
            sys.exit(0)
    except OSError:
        pass
    time.sleep(0.3)
sys.exit(f"bench: {url} did not answer 200 within 120 s")
EOF
}

loaded=0
seed=1
index_checks=()
for size in $sizes; do
  if [ "$loaded" -eq 0 ]; then
    migrate
    generate "$size" "$seed" || { tail -20 "$work/setup.log" >&2; exit 1; }
  else
    seed=$((seed + 1))
    if ! generate $((size - loaded)) "$seed"; then
      # generate_synthetic runs in one transaction: a failure leaves the data as it was.
      reason="$(grep -E 'Error:|DETAIL:' "$work/setup.log" | tail -2 | tr '\n' ' ')"
      say "the database cannot grow by another seed: ${reason}; reloading $size events afresh"
      pg drop >/dev/null
      pg create >/dev/null
      seed=1
      migrate
      generate "$size" "$seed" || { tail -20 "$work/setup.log" >&2; exit 1; }
    fi
  fi
  loaded=$size
  # Settled tables, as autovacuum leaves them in production (and no vacuum halfway through a
  # measurement): visibility map for index-only scans, fresh statistics.
  say "VACUUM (ANALYZE)"
  pg vacuum >/dev/null

  if "$bin/python" manage.py help check_index_usage >/dev/null 2>&1; then
    say "manage.py check_index_usage"
    set +e
    "$bin/python" manage.py check_index_usage >"$work/index-$size.txt" 2>&1
    echo "(exit status $?)" >>"$work/index-$size.txt"
    set -e
    index_checks+=(--index-check "$size=$work/index-$size.txt")
  else
    say "manage.py check_index_usage does not exist (yet): no plan check"
  fi

  export CACHE_KEY_PREFIX="policyapi-bench-$$-$size"
  service_port="$(free_port)"
  start service "$service_port" policyapi.wsgi:application "${threaded[@]}"
  uncached_port="$(free_port)"
  start uncached "$uncached_port" policyapi.wsgi:application "${threaded[@]}"
  fastapi_port="$(free_port)"
  start fastapi "$fastapi_port" fastapi_app:app --pythonpath "$here/peers" \
    --worker-class uvicorn_worker.UvicornWorker
  wsgi_port="$(free_port)"
  start wsgi "$wsgi_port" bare_wsgi:application --pythonpath "$here/peers" "${threaded[@]}"
  wait_ready service "http://127.0.0.1:$service_port/readyz"
  wait_ready uncached "http://127.0.0.1:$uncached_port/readyz"
  wait_ready fastapi "http://127.0.0.1:$fastapi_port/api/v1/events/?page_size=1"
  wait_ready wsgi "http://127.0.0.1:$wsgi_port/api/v1/events/?page_size=1"
  say "$size events: service :$service_port, uncached :$uncached_port, FastAPI :$fastapi_port," \
    "bare psycopg :$wsgi_port; $workers workers each ($threads threads where gthread)"

  "$bin/python" "$here/bench.py" measure --size "$size" --out "$work/results-$size.json" \
    --work "$work" \
    --service "http://127.0.0.1:$service_port" --uncached "http://127.0.0.1:$uncached_port" \
    --fastapi "http://127.0.0.1:$fastapi_port" \
    --wsgi "http://127.0.0.1:$wsgi_port" --host "$host" --duration "$duration" \
    --warmup "$warmup" --rounds "$rounds" --cycle-urls "$cycle_urls" \
    --cycle-check "$cycle_check" --connections "$connections" --threads "$wrk_threads" \
    --pid "uncached=${pids[uncached]}" --pid "fastapi=${pids[fastapi]}" --pid "wsgi=${pids[wsgi]}"
  stop_servers
done

commit="$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)"
changed="$(git -C "$root" status --porcelain 2>/dev/null | wc -l | tr -d ' ')"
versions="$("$bin/python" -c '
from importlib.metadata import version
print(", ".join(f"{name} {version(name)}" for name in ("fastapi", "sqlalchemy", "uvicorn", "uvicorn-worker", "psycopg", "psycopg-pool", "orjson")))')"
elapsed=$((SECONDS - began))
setup="server: gunicorn $("$bin/gunicorn" --version 2>&1 | awk '{print $NF}' | tr -d '()'), $workers workers for every contender: gthread x $threads threads (service, uncached, bare psycopg), UvicornWorker (FastAPI); debug off; PostgreSQL $pg_version; cache: $cache; throttle $throttle_rate
peers: $versions
code: commit $commit$([ "$changed" = 0 ] || echo " with $changed uncommitted change(s)"); Python $("$bin/python" -c 'import platform; print(platform.python_version())')
total time: $((elapsed / 60)) min $((elapsed % 60)) s (setup, data, body checks and load, all sizes)
machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo), $(uname -m), $(uname -sr); client, servers and database share it (loopback)"
set +e
strict_arg=()
[ "$strict" = 1 ] && strict_arg=(--strict)
"$bin/python" "$here/bench.py" report "$work"/results-*.json --setup "$setup" \
  "${index_checks[@]}" "${strict_arg[@]}" | tee "$work/report.txt"
status=${PIPESTATUS[0]}
set -e
exit "$status"

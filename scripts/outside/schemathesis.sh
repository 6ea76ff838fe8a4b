#!/usr/bin/env bash
# `make fuzz-outside`: schemathesis as a stranger runs it. The service is set up and served the
# way `make serve` does it (migrate, the article, the CAMEO codebook; scripts/serve.sh: gunicorn,
# debug off) on a PostgreSQL database of its own, and the schemathesis CLI runs from a temporary
# directory outside the repository, so the project's schemathesis.toml and test hooks play no
# part: schemathesis' defaults (every phase, every check) against the served schema, writes as an
# editor. Fails (exit 1) on any failure schemathesis reports (a server error, a status code,
# content type or header the schema does not document, a response body the schema does not
# allow, invalid input accepted, valid input refused) but the few that no schema can rule out,
# which verdict.py tolerates and lists. The server is stopped and the database dropped
# whatever happens.
#
# Settings (environment):
#   OUTSIDE_MAX_EXAMPLES       examples per operation (schemathesis' default, 100, when unset:
#                              3 to 5 minutes on 2 cores; see README: Reliability)
#   OUTSIDE_WORKERS=2          schemathesis' concurrent workers
#   OUTSIDE_PG_SERVER=postgres://postgres@127.0.0.1:5432   a database is created there per run
#   OUTSIDE_DB=policyapi_outside_<pid>   its name
#   OUTSIDE_PORT=<a free port>           where gunicorn listens (127.0.0.1)
#   REDIS_URL                  the cache, when set (process memory otherwise)
#   OUTSIDE_SCHEMATHESIS_ARGS  more options for `schemathesis run` (e.g. --seed 1)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
bin="$root/.venv/bin"

max_examples=()
[ -z "${OUTSIDE_MAX_EXAMPLES:-}" ] || max_examples=(--max-examples "$OUTSIDE_MAX_EXAMPLES")
st_workers="${OUTSIDE_WORKERS:-2}"
pg_server="${OUTSIDE_PG_SERVER:-postgres://postgres@127.0.0.1:5432}"
db="${OUTSIDE_DB:-policyapi_outside_$$}"
editor=outside-editor

say() { printf 'fuzz-outside: %s\n' "$*" >&2; }

source "$root/scripts/common.sh"
require_venv test
if [ ! -x "$bin/schemathesis" ]; then
  say "$bin/schemathesis is missing: run \`make test\` (it installs requirements-dev.txt)"
  exit 2
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/policyapi-outside.XXXXXX")"
server_pid=""
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
EOF
}

# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  pg drop >/dev/null 2>&1 || say "could not drop database $db"
  if [ "$status" -eq 0 ]; then
    rm -rf "$work"
  else
    say "logs kept in $work (gunicorn.log, setup.log, schemathesis.log)"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

pg create
export DATABASE_URL="$pg_server/$db"
export DJANGO_DEBUG=0
DJANGO_SECRET_KEY="$("$bin/python" -c 'import secrets; print(secrets.token_urlsafe(50))')"
export DJANGO_SECRET_KEY
export DJANGO_ALLOWED_HOSTS=127.0.0.1
export DJANGO_STATIC_ROOT="$work/static"
# Every request comes from one address and one editor: rates the run cannot reach, so that the
# fuzzer is not answered 429 throughout (429 is documented, so it would pass, and test nothing).
export THROTTLE_ANON_RATE=1000000/s THROTTLE_USER_RATE=1000000/s THROTTLE_AUTH_RATE=1000000/s
if [ -n "${REDIS_URL:-}" ]; then
  export CACHE_KEY_PREFIX="policyapi-outside-$$"
fi

say "database $db: migrate, load the article and the CAMEO codebook (make data), create the editor"
{
  # The Makefile's own steps; -o: the virtualenv is ready (require_venv), reinstall nothing.
  make --no-print-directory -o .venv/.requirements data
  "$bin/python" manage.py shell -c "
from django.contrib.auth.models import Group, User
User.objects.create_user('$editor').groups.add(Group.objects.get(name='editors'))"
} >"$work/setup.log" 2>&1 || { cat "$work/setup.log" >&2; exit 1; }
token="$("$bin/python" manage.py drf_create_token "$editor" 2>>"$work/setup.log" | awk '/^Generated token/ {print $3}')"
[ -n "$token" ] || { say "no token for $editor"; cat "$work/setup.log" >&2; exit 1; }

port="${OUTSIDE_PORT:-$("$bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}"
base="http://127.0.0.1:$port"
say "serving on $base (scripts/serve.sh: gunicorn, debug off)"
HOST=127.0.0.1 PORT="$port" WEB_CONCURRENCY="${WEB_CONCURRENCY:-2}" GUNICORN_THREADS="${GUNICORN_THREADS:-4}" \
  LOG_LEVEL=WARNING bash scripts/serve.sh >"$work/gunicorn.log" 2>&1 &
server_pid=$!
for _ in $(seq 300); do
  kill -0 "$server_pid" 2>/dev/null || { say "the server exited"; cat "$work/gunicorn.log" >&2; exit 1; }
  curl -sf -o /dev/null "$base/readyz" && break
  sleep 0.2
done
curl -sf -o /dev/null "$base/readyz" || { say "$base/readyz did not answer 200"; exit 1; }

say "schemathesis $("$bin/schemathesis" --version | awk '{print $NF}') from $work: defaults${OUTSIDE_MAX_EXAMPLES:+ but $OUTSIDE_MAX_EXAMPLES examples per operation}, writes as $editor"
started=$SECONDS
set +e
# shellcheck disable=SC2086  # OUTSIDE_SCHEMATHESIS_ARGS is a list of options
(cd "$work" && "$bin/schemathesis" run "$base/api/v1/schema/" \
  --header "Authorization: Token $token" \
  "${max_examples[@]}" --workers "$st_workers" \
  --report junit --report-dir "$work/report" \
  ${OUTSIDE_SCHEMATHESIS_ARGS:-}) 2>&1 | tee "$work/schemathesis.log"
st_status=${PIPESTATUS[0]}
set -e
errors="$(grep -c '"level": "ERROR"' "$work/gunicorn.log" || true)"
say "schemathesis exited $st_status after $((SECONDS - started)) s; server log: $errors error(s)"
# schemathesis fails on every check; a few failures are rules no schema can state, tolerated
# and listed by verdict.py. A run that ended without its report (the schema did not load, an
# internal error) fails.
status=$st_status
report="$(ls "$work"/report/junit-*.xml 2>/dev/null | head -n 1 || true)"
if [ "$st_status" -ne 0 ] && [ -n "$report" ] && grep -q '<testcase' "$report"; then
  set +e
  "$bin/python" "$root/scripts/outside/verdict.py" "$report" --retry-file "$work/retry.txt"
  status=$?
  set -e
fi
# Operations Hypothesis could not replay (verdict.py: neither passed nor failed) run once more,
# alone, with the same defaults; that run's verdict is final.
if [ "$status" -eq 3 ]; then
  include=()
  while IFS= read -r name; do include+=(--include-name "$name"); done <"$work/retry.txt"
  say "running again: $(tr '\n' ';' <"$work/retry.txt")"
  set +e
  # shellcheck disable=SC2086  # OUTSIDE_SCHEMATHESIS_ARGS is a list of options
  (cd "$work" && "$bin/schemathesis" run "$base/api/v1/schema/" \
    --header "Authorization: Token $token" "${include[@]}" \
    "${max_examples[@]}" --workers "$st_workers" \
    --report junit --report-dir "$work/report-again" \
    ${OUTSIDE_SCHEMATHESIS_ARGS:-}) 2>&1 | tee "$work/schemathesis-again.log"
  again=${PIPESTATUS[0]}
  status=$again
  report="$(ls "$work"/report-again/junit-*.xml 2>/dev/null | head -n 1 || true)"
  if [ "$again" -ne 0 ] && [ -n "$report" ] && grep -q '<testcase' "$report"; then
    "$bin/python" "$root/scripts/outside/verdict.py" "$report"
    status=$?
  fi
  set -e
fi
exit "$status"

#!/usr/bin/env bash
# `make serve`: the service as production runs it, on this machine: debug off, gunicorn
# (policyapi/gunicorn.py: WEB_CONCURRENCY workers x GUNICORN_THREADS threads), static files
# collected (hashed and gzipped) and served by WhiteNoise with far-future cache headers.
#
# It needs no variable: without DJANGO_SECRET_KEY it makes one for this checkout and keeps it in
# .secret_key (untracked, readable only by you), so sessions survive a restart. It speaks plain
# HTTP on HOST:PORT, so HTTPS redirects and Secure-only cookies are off unless you turn them on
# (behind a TLS proxy, set DJANGO_SECURE_SSL_REDIRECT=1 and the cookie variables, or run
# gunicorn with the production defaults as the README's Deployment section shows).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=.venv/bin

export DJANGO_DEBUG=0
if [ -z "${DJANGO_SECRET_KEY:-}" ]; then
  if [ ! -s .secret_key ]; then
    (umask 077 && "$bin/python" -c 'import secrets; print(secrets.token_urlsafe(50))' >.secret_key)
    echo "serve: made a secret key for this checkout in .secret_key (set DJANGO_SECRET_KEY to use your own)"
  fi
  DJANGO_SECRET_KEY="$(cat .secret_key)"
  export DJANGO_SECRET_KEY
fi
export DJANGO_SECURE_SSL_REDIRECT="${DJANGO_SECURE_SSL_REDIRECT:-0}"
export DJANGO_SESSION_COOKIE_SECURE="${DJANGO_SESSION_COOKIE_SECURE:-0}"
export DJANGO_CSRF_COOKIE_SECURE="${DJANGO_CSRF_COOKIE_SECURE:-0}"

"$bin/python" manage.py collectstatic --noinput --verbosity 0
host="${HOST:-127.0.0.1}" port="${PORT:-8000}"
echo ""
echo "  API root:    http://$host:$port/api/v1/"
echo "  Swagger UI:  http://$host:$port/api/v1/docs/"
echo "  ReDoc:       http://$host:$port/api/v1/redoc/"
echo "  Admin:       http://$host:$port/admin/"
echo "  Logs: one JSON line per request on stderr. Stop with Ctrl-C."
echo ""
exec "$bin/gunicorn" --config policyapi/gunicorn.py policyapi.wsgi:application

"""Settings of baseline (a): Django with nothing but the database and four URLs.

Self-contained (nothing is imported from policyapi): the database entry follows the same
pattern as policyapi/settings.py (DATABASE_URL; psycopg 3 with Django's connection pool of the
same size, health checks, JIT off), so both Django processes talk to PostgreSQL alike. No
middleware, no installed app, no cache: each view runs its SQL and encodes with orjson.
"""

import os
import secrets
from typing import Any

import dj_database_url

DEBUG = False
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY") or secrets.token_urlsafe(50)
ALLOWED_HOSTS = [
    host.strip() for host in os.environ.get("DJANGO_ALLOWED_HOSTS", "").split(",") if host.strip()
] or ["127.0.0.1", "localhost"]

INSTALLED_APPS: list[str] = []
MIDDLEWARE: list[str] = []
ROOT_URLCONF = "baseline_django.urls"
WSGI_APPLICATION = "baseline_django.wsgi.application"
TEMPLATES: list[dict[str, Any]] = []

USE_TZ = True
TIME_ZONE = "UTC"
USE_I18N = False


def _database() -> dict[str, Any]:
    config: dict[str, Any] = dict(dj_database_url.parse(os.environ["DATABASE_URL"]))
    if config.get("ENGINE") != "django.db.backends.postgresql":
        raise RuntimeError("baseline_django needs DATABASE_URL=postgres://...")
    config["CONN_MAX_AGE"] = 0  # the pool keeps connections
    config["CONN_HEALTH_CHECKS"] = True
    config["OPTIONS"] = {
        "options": "-c jit=off",
        "pool": {
            "min_size": int(os.environ.get("DATABASE_POOL_MIN_SIZE", "2")),
            "max_size": int(os.environ.get("DATABASE_POOL_MAX_SIZE", "20")),
            "timeout": int(os.environ.get("DATABASE_POOL_TIMEOUT", "3")),
        },
    }
    return config


DATABASES = {"default": _database()}

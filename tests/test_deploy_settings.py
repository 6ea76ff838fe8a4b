"""Production settings: `check --deploy` reports nothing once the production variables are set,
and nothing defaults to an unsafe value."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION = {
    "DJANGO_SECRET_KEY": "k3$Jx9!pQ2vL8@wZr5&nT1yB6^cF4mH7*uD0eG3sA9jK2lP8qW5",
    "DJANGO_ALLOWED_HOSTS": "api.example.org",
}


def run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        check=False,
    )


def test_it_passes_the_deployment_check_with_the_production_variables() -> None:
    result = run("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_it_is_secure_by_default_with_debug_off() -> None:
    code = (
        "from django.conf import settings as s; "
        "print(s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, "
        "s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SECURE_HSTS_PRELOAD, "
        "s.DEBUG, hasattr(s, 'SECURE_PROXY_SSL_HEADER') and s.SECURE_PROXY_SSL_HEADER)"
    )
    result = run("shell", "-c", code, **PRODUCTION)
    assert result.stdout.split()[-8:] == [
        "True",
        "True",
        "True",
        "31536000",
        "True",
        "True",
        "False",
        "None",
    ]


def test_it_trusts_a_proxy_header_only_when_told() -> None:
    code = "from django.conf import settings as s; print(s.SECURE_PROXY_SSL_HEADER)"
    result = run(
        "shell",
        "-c",
        code,
        DJANGO_SECURE_PROXY_SSL_HEADER="HTTP_X_FORWARDED_PROTO=https",
        **PRODUCTION,
    )
    assert result.stdout.strip().endswith("('HTTP_X_FORWARDED_PROTO', 'https')")
    bad = run("check", DJANGO_SECURE_PROXY_SSL_HEADER="X-Forwarded-Proto", **PRODUCTION)
    assert (
        "DJANGO_SECURE_PROXY_SSL_HEADER must look like HTTP_X_FORWARDED_PROTO=https" in bad.stderr
    )


def test_it_refuses_a_rate_it_cannot_read() -> None:
    result = run("check", THROTTLE_ANON_RATE="lots", **PRODUCTION)
    assert "THROTTLE_ANON_RATE='lots' is not a rate" in result.stderr

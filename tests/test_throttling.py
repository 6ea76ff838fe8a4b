"""Request rates: anonymous and authenticated clients, and a stricter one for token and login
endpoints; over the rate, 429 problem+json (or plain text on login pages) with Retry-After."""

import pytest
from django.test import Client, override_settings

from .conftest import TokenClient, make_user

pytestmark = pytest.mark.usefixtures("article")
RATES = {"anon": "3/min", "user": "5/min", "auth": "2/min"}


@override_settings(THROTTLE_RATES=RATES)
def test_it_throttles_anonymous_clients_after_their_rate(client: Client) -> None:
    statuses = [client.get("/api/v1/topics/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    response = client.get("/api/v1/topics/")
    assert response["Content-Type"] == "application/problem+json"
    assert 1 <= int(response["Retry-After"]) <= 60
    assert response.json()["title"] == "Too Many Requests"


@override_settings(THROTTLE_RATES=RATES)
def test_it_gives_authenticated_users_their_own_rate(editor: TokenClient) -> None:
    statuses = [editor.get("/api/v1/topics/").status_code for _ in range(6)]
    assert statuses == [200] * 5 + [429]
    # Another user is counted apart.
    assert TokenClient(make_user("other")).get("/api/v1/topics/").status_code == 200


@override_settings(THROTTLE_RATES=RATES)
def test_it_throttles_the_token_endpoint_more_strictly(client: Client) -> None:
    make_user("ed")
    statuses = [
        client.post(
            "/api/v1/auth/token/",
            {"username": "ed", "password": "guess"},
            content_type="application/json",
        ).status_code
        for _ in range(3)
    ]
    assert statuses == [400, 400, 429]


@override_settings(THROTTLE_RATES=RATES)
@pytest.mark.parametrize("path", ["/admin/login/", "/auth/login/"])
def test_it_throttles_login_attempts(client: Client, path: str) -> None:
    make_user("ed")
    statuses = [
        client.post(path, {"username": "ed", "password": "guess"}).status_code for _ in range(3)
    ]
    assert statuses == [200, 200, 429]  # the form again twice, then refused
    response = client.post(path, {"username": "ed", "password": "guess"})
    assert response["Retry-After"].isdigit()
    # Looking at the form is not an attempt.
    assert client.get(path).status_code == 200


def test_it_reads_its_default_rates_from_the_environment() -> None:
    from django.conf import settings

    assert settings.THROTTLE_RATES == {"anon": "300/min", "user": "1200/min", "auth": "10/min"}


def _redis_up() -> bool:
    import socket

    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
    except OSError:
        return False
    return True


@pytest.mark.skipif(not _redis_up(), reason="needs Redis on 127.0.0.1:6379 (CI has it)")
def test_it_keeps_throttle_counts_in_redis_when_configured() -> None:
    """Two processes (two app servers) sharing REDIS_URL share the counts."""
    import os
    import subprocess
    import sys
    import uuid
    from pathlib import Path

    script = (
        "import django; django.setup()\n"
        "from django.core.cache import caches\n"
        "from django.test import Client\n"
        "from django.test.utils import setup_test_environment\n"
        "setup_test_environment()\n"
        "print(type(caches['default']).__module__)\n"
        "print(Client(REMOTE_ADDR='203.0.113.7').get('/api/v1/').status_code)\n"
    )
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))},
        "DJANGO_SETTINGS_MODULE": "policyapi.settings",
        "DJANGO_SECRET_KEY": "x" * 50,
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "REDIS_URL": "redis://127.0.0.1:6379/15",
        "THROTTLE_ANON_RATE": "1/hour",
        # A fresh key prefix per run, so earlier runs' counts do not matter.
        "CACHE_KEY_PREFIX": uuid.uuid4().hex,
    }
    root = Path(__file__).resolve().parent.parent
    outputs = [
        subprocess.run(
            [sys.executable, "-c", script],
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        ).stdout.split()
        for _ in range(2)
    ]
    assert outputs == [["django_redis.cache", "200"], ["django_redis.cache", "429"]]

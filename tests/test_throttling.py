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


def _forged(number: int) -> str:
    return f"198.51.100.{number}"


@override_settings(THROTTLE_RATES=RATES)
def test_a_forged_forwarded_for_does_not_reset_the_anonymous_rate(client: Client) -> None:
    """With no proxy declared (NUM_PROXIES=0, the default), a client writing a new
    X-Forwarded-For on every request is still one client: its socket address."""
    statuses = [
        client.get("/api/v1/topics/", HTTP_X_FORWARDED_FOR=_forged(n)).status_code for n in range(5)
    ]
    assert statuses == [200, 200, 200, 429, 429]


@override_settings(THROTTLE_RATES=RATES)
@pytest.mark.parametrize("path", ["/api/v1/auth/token/", "/admin/login/", "/auth/login/"])
def test_a_forged_forwarded_for_does_not_reset_the_login_rate(client: Client, path: str) -> None:
    make_user("ed")
    statuses = [
        client.post(
            path, {"username": "ed", "password": "guess"}, HTTP_X_FORWARDED_FOR=_forged(n)
        ).status_code
        for n in range(4)
    ]
    assert statuses[2:] == [429, 429]


@override_settings(THROTTLE_RATES=RATES, NUM_PROXIES=1)
def test_behind_a_declared_proxy_it_counts_the_address_the_proxy_saw(client: Client) -> None:
    """One proxy declared: the last X-Forwarded-For entry is the address it saw; what the client
    wrote to its left is ignored, and clients the proxy tells apart are counted apart."""

    def get(header: str) -> int:
        return client.get("/api/v1/topics/", HTTP_X_FORWARDED_FOR=header).status_code

    assert [get(f"10.0.0.{n}, 203.0.113.1") for n in range(4)] == [200, 200, 200, 429]
    assert get("203.0.113.2") == 200  # another client behind the same proxy
    assert get("10.9.9.9,203.0.113.2") == 200
    # A request reaching the server without the proxy's header is counted by its socket.
    assert [client.get("/api/v1/topics/").status_code for _ in range(4)] == [200, 200, 200, 429]


@override_settings(THROTTLE_RATES=RATES, NUM_PROXIES=2)
def test_with_two_proxies_it_reads_the_second_entry_from_the_right(client: Client) -> None:
    def get(header: str) -> int:
        return client.get("/api/v1/topics/", HTTP_X_FORWARDED_FOR=header).status_code

    assert [get(f"10.0.0.{n}, 203.0.113.1, 10.1.1.1") for n in range(4)] == [200] * 3 + [429]
    assert get("203.0.113.9, 10.1.1.1") == 200


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


@pytest.mark.skipif(not _redis_up(), reason="needs Redis on 127.0.0.1:6379 (CI has it)")
def test_a_redis_counter_counts_in_one_script_and_expires_with_its_window() -> None:
    """The counter is created with its expiry by the first increment, and counted on by the
    next; a Redis server that lost the script (a restart, SCRIPT FLUSH) is given it again."""
    import uuid

    import redis
    from django.core.cache import cache

    from events.throttling import count_request

    redis_cache = {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": "redis://127.0.0.1:6379/15",
        "KEY_PREFIX": uuid.uuid4().hex,
    }
    with override_settings(CACHES={"default": redis_cache}):
        server = redis.Redis.from_url("redis://127.0.0.1:6379/15")
        server.script_flush()
        assert [count_request("throttle_anon_203.0.113.9:1", 61) for _ in range(3)] == [1, 2, 3]
        key = cache.make_key("throttle_anon_203.0.113.9:1")
        assert 0 < server.ttl(key) <= 61
        server.script_flush()
        assert count_request("throttle_anon_203.0.113.9:1", 61) == 4
        server.delete(key)

"""Settings come from the environment only; a bad value stops start-up with a clear message."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.test import Client, override_settings

from policyapi.settings import env_bool, env_database, env_list

ROOT = Path(__file__).resolve().parent.parent


def start(**env: str) -> subprocess.CompletedProcess[str]:
    """Load the settings in a fresh interpreter with exactly these DJANGO_/DATABASE_ variables."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); print('ok')"],
        cwd=ROOT,
        env={**base, "DJANGO_SETTINGS_MODULE": "policyapi.settings", **env},
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize(
    ("raw", "expected"), [("1", True), ("true", True), ("On", True), ("0", False), ("no", False)]
)
def test_it_reads_booleans(monkeypatch: pytest.MonkeyPatch, raw: str, expected: bool) -> None:
    monkeypatch.setenv("X_FLAG", raw)
    assert env_bool("X_FLAG") is expected


def test_it_rejects_a_boolean_it_cannot_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("X_FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match=r"X_FLAG='maybe' is not a boolean"):
        env_bool("X_FLAG")


def test_it_reads_lists(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("X_HOSTS", " api.example.org, ,example.org ")
    assert env_list("X_HOSTS", []) == ["api.example.org", "example.org"]


def test_it_pools_postgres_connections(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("X_DB", "postgres://app@db.internal:5432/policy")
    config = env_database("X_DB", "sqlite:///unused")
    assert (config["ENGINE"], config["NAME"], config["HOST"], config["CONN_MAX_AGE"]) == (
        "policyapi.postgresql",  # Django's, checking pooled connections by their socket
        "policy",
        "db.internal",
        0,
    )
    assert config["CONN_HEALTH_CHECKS"] is False  # Django's check costs a query per request
    assert config["OPTIONS"]["pool"] == {"min_size": 2, "max_size": 20, "timeout": 3}


def test_it_prepares_repeated_queries_unless_told_not_to(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("X_DB", "postgres://app@db.internal:5432/policy")
    monkeypatch.delenv("DATABASE_PREPARED_STATEMENTS", raising=False)
    options = env_database("X_DB", "")["OPTIONS"]
    assert (options["server_side_binding"], options["prepare_threshold"]) == (True, 5)
    monkeypatch.setenv("DATABASE_PREPARED_STATEMENTS", "0")
    options = env_database("X_DB", "")["OPTIONS"]
    assert "server_side_binding" not in options
    assert "prepare_threshold" not in options


@pytest.mark.usefixtures("article")
@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's prepared statements")
@override_settings(RESPONSE_CACHE_SECONDS=0)  # every request runs its page query
def test_a_query_run_again_on_a_connection_is_prepared_once(client: Client) -> None:
    from events.caching import VERSION_SQL

    for _ in range(6):
        assert client.get("/api/v1/events/?country=PK").status_code == 200
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [row[0] for row in cursor.fetchall()]
    assert VERSION_SQL in prepared
    # A filtered list's page: its parameters ($1) bound apart from the text.
    assert any("events_event" in statement and "$1" in statement for statement in prepared)


def test_it_bounds_each_statement_when_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("X_DB", "postgres://app@db.internal:5432/policy")
    assert env_database("X_DB", "")["OPTIONS"]["options"] == "-c jit=off -c random_page_cost=1.1"
    monkeypatch.setenv("DATABASE_STATEMENT_TIMEOUT", "30")
    assert env_database("X_DB", "")["OPTIONS"]["options"] == (
        "-c jit=off -c random_page_cost=1.1 -c statement_timeout=30000"
    )
    monkeypatch.setenv("DATABASE_STATEMENT_TIMEOUT", "-1")
    with pytest.raises(ImproperlyConfigured, match="DATABASE_STATEMENT_TIMEOUT=-1 is negative"):
        env_database("X_DB", "")
    monkeypatch.setenv("DATABASE_STATEMENT_TIMEOUT", "30s")
    with pytest.raises(ImproperlyConfigured, match="not a whole number"):
        env_database("X_DB", "")


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("mysql://root@localhost/policy", "only PostgreSQL"),
        ("postgres://app@db.internal:5432", "names no database"),
        ("nonsense", "not a usable database URL"),
    ],
)
def test_it_rejects_an_unusable_database_url(
    monkeypatch: pytest.MonkeyPatch, url: str, message: str
) -> None:
    monkeypatch.setenv("X_DB", url)
    with pytest.raises(ImproperlyConfigured, match=message):
        env_database("X_DB", "sqlite:///unused")


def test_it_refuses_to_start_without_a_secret_key_when_debug_is_off() -> None:
    result = start()
    assert result.returncode == 1
    assert "ImproperlyConfigured: DJANGO_SECRET_KEY is required when DJANGO_DEBUG is off" in (
        result.stderr
    )


def test_manage_py_names_the_settings_problem() -> None:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    result = subprocess.run(
        [sys.executable, "manage.py", "makemigrations", "--check", "--dry-run"],
        cwd=ROOT,
        env=base,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "ImproperlyConfigured: DJANGO_SECRET_KEY is required when DJANGO_DEBUG is off. For "
        "local development run `make run` (or `make data`), which writes .env turning debug on."
    )


def test_it_reads_a_development_checkouts_env_file(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("# as `make run` writes it\nDJANGO_DEBUG=1\n")
    result = start(POLICYAPI_ENV_FILE=str(env_file))
    assert (result.returncode, result.stdout.strip()) == (0, "ok"), result.stderr


def test_the_environment_wins_over_the_env_file(tmp_path: Path) -> None:
    # scripts/serve.sh sets DJANGO_DEBUG=0: production settings whatever the file says.
    env_file = tmp_path / ".env"
    env_file.write_text("DJANGO_DEBUG=1\n")
    result = start(POLICYAPI_ENV_FILE=str(env_file), DJANGO_DEBUG="0")
    assert result.returncode == 1
    assert "DJANGO_SECRET_KEY is required when DJANGO_DEBUG is off" in result.stderr


def test_the_tests_read_no_env_file() -> None:
    # pyproject.toml: a developer's .env (DJANGO_DEBUG=1) must not turn debug on under test.
    assert os.environ["POLICYAPI_ENV_FILE"] == ""


def test_it_refuses_to_start_on_a_bad_debug_value() -> None:
    result = start(DJANGO_DEBUG="sometimes", DJANGO_SECRET_KEY="x" * 50)
    assert result.returncode == 1
    assert "ImproperlyConfigured: DJANGO_DEBUG='sometimes' is not a boolean" in result.stderr


def test_it_starts_in_development_without_any_variable_but_debug() -> None:
    result = start(DJANGO_DEBUG="1")
    assert (result.returncode, result.stdout.strip()) == (0, "ok"), result.stderr


def test_it_starts_in_production_with_its_secret() -> None:
    result = start(DJANGO_SECRET_KEY="x" * 50, DJANGO_ALLOWED_HOSTS="api.example.org")
    assert (result.returncode, result.stdout.strip()) == (0, "ok"), result.stderr


def test_it_refuses_a_negative_number_of_proxies() -> None:
    result = start(DJANGO_DEBUG="1", NUM_PROXIES="-1")
    assert result.returncode == 1
    assert "ImproperlyConfigured: NUM_PROXIES=-1 must be 0 or more." in result.stderr

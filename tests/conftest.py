import json
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.db import connections
from django.test import Client
from rest_framework.authtoken.models import Token

from .contract import contract_request

# A read replica alias for the routing tests (tests/test_routers.py): a second connection to
# the test database, as DATABASE_REPLICA_URLS would configure one. No read goes to it unless a
# test names it in DATABASE_REPLICAS.
settings.DATABASES.setdefault(
    "replica1",
    {
        **settings.DATABASES["default"],
        "TEST": {**settings.DATABASES["default"].get("TEST", {}), "MIRROR": "default"},
    },
)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None, django_db_blocker: pytest.FixtureRequest) -> None:
    """The test database holds the article data set, loaded once as `make run` loads it.

    Every test rolls back to this state. Transactional tests restore it through
    `serialized_rollback`, which reloads the contents serialized here (Django's test framework
    keeps them in `_test_serialized_contents`; by default it serializes before this load).
    """
    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        call_command("loaddata", "article", verbosity=0)
        for connection in connections.all():
            if connection.settings_dict["TEST"]["MIRROR"]:
                continue  # the same database as the one it mirrors
            connection._test_serialized_contents = (  # type: ignore[attr-defined]
                connection.creation.serialize_db_to_string()
            )


@pytest.fixture
def article(db: None) -> None:
    """Marks a test that reads the article data set (present in every test's database)."""


@pytest.fixture
def staff_client(db: None, client: Client) -> Client:
    """A client logged in as a superuser (staff with every permission)."""
    user = User.objects.create_superuser("editor", "editor@example.org", "correct-horse-9")
    client.force_login(user)
    client.user = user  # type: ignore[attr-defined]
    return client


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    """Tests create many users; a deliberately slow hash makes them slow for nothing."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_throttle_counts() -> None:
    """Throttle counts live in the cache; each test starts with none (and with no list count
    this process remembers: a rolled-back test's data version may come again)."""
    from events import caching

    caching.clear()


def make_user(name: str, *, editor: bool = False, staff: bool = False) -> User:
    user = User.objects.create_user(name, f"{name}@example.org", "correct-horse-9", is_staff=staff)
    if editor:
        user.groups.add(Group.objects.get(name="editors"))
    return user


class TokenClient(Client):
    """A test client that sends a user's API token on every request."""

    def __init__(self, user: User, **defaults: Any) -> None:
        token, _ = Token.objects.get_or_create(user=user)
        super().__init__(HTTP_AUTHORIZATION=f"Token {token.key}", **defaults)
        self.user = user

    def send(self, method: str, path: str, data: Any = None, **extra: Any) -> Any:
        """A JSON request (POST, PUT, PATCH, DELETE)."""
        body = json.dumps(data) if data is not None else ""
        return getattr(self, method.lower())(path, body, content_type="application/json", **extra)


@pytest.fixture
def editor(db: None) -> TokenClient:
    """An API client authenticated (by token) as a member of the editors group."""
    return TokenClient(make_user("ed", editor=True))


@pytest.fixture
def reader(db: None) -> TokenClient:
    """An API client authenticated as a user without any permission."""
    return TokenClient(make_user("reader"))


@pytest.fixture(autouse=True)
def _responses_follow_the_schema(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every response of the test client is validated against openapi.yaml (tests/contract.py):
    a response the schema does not describe fails the test that received it."""
    monkeypatch.setattr(Client, "request", contract_request(Client.request))

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import connections
from django.test import Client


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

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client


@pytest.fixture
def article(db: None) -> None:
    """The article data set, loaded as `make run` loads it."""
    call_command("loaddata", "article", verbosity=0)


@pytest.fixture
def staff_client(db: None, client: Client) -> Client:
    """A client logged in as a superuser (staff with every permission)."""
    user = User.objects.create_superuser("editor", "editor@example.org", "correct-horse-9")
    client.force_login(user)
    client.user = user  # type: ignore[attr-defined]
    return client

"""Fuzzing from the OpenAPI schema (schemathesis): every operation, reads anonymously and writes
as an editor, with schemathesis' default checks. Zero failures.

CI runs FUZZ_EXAMPLES examples per operation (default 25, set in pyproject.toml); `make fuzz`
runs at least 1000 and the stateful mode (tests/fuzz_stateful.py).
"""

import os

import hypothesis
import pytest
import schemathesis
from rest_framework.authtoken.models import Token

from policyapi.wsgi import application

from . import fuzz_hooks  # registers the hooks, and map_case is reapplied below
from .conftest import make_user

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))


# Each request commits on its own, as in production: one failing request cannot spoil the next
# (a test-wide transaction would). The article data is restored afterwards.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def api_schema(transactional_db: None) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", application)


@pytest.fixture
def editor_token(transactional_db: None) -> str:
    return Token.objects.create(user=make_user("fuzzer", editor=True)).key


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@hypothesis.settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(hypothesis.HealthCheck),
    derandomize=os.environ.get("FUZZ_RANDOM") is None,
)
def test_every_operation_answers_as_documented(case: schemathesis.Case, editor_token: str) -> None:
    headers = (
        {}
        if case.method in ("GET", "HEAD", "OPTIONS")
        else {"Authorization": f"Token {editor_token}"}
    )
    # Again at call time: a case may have been generated before an earlier operation deleted
    # the record it names (the coverage phase builds its cases ahead), and a filter naming a
    # record that is gone is rightly a 400.
    case = fuzz_hooks.map_case(None, case)
    case.call_and_validate(headers=headers)

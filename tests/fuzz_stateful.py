"""Stateful schema fuzzing for `make fuzz` (not collected by `make test`): schemathesis follows
the schema's links from each create to read, replace, update, delete and history, as an editor,
checking every response. Steps and runs: FUZZ_STATEFUL_EXAMPLES (default 200)."""

import os

import hypothesis
import pytest
import schemathesis
from rest_framework.authtoken.models import Token

from policyapi.wsgi import application

from . import fuzz_hooks  # noqa: F401  (registers the hooks)
from .conftest import make_user

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_create_read_update_delete_workflows_answer_as_documented() -> None:
    token = Token.objects.create(user=make_user("fuzzer", editor=True)).key
    schema = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", application)

    class Workflow(schema.as_state_machine()):  # type: ignore[misc]
        def get_call_kwargs(self, case: schemathesis.Case) -> dict[str, object]:
            return {"headers": {"Authorization": f"Token {token}"}}

    Workflow.run(
        settings=hypothesis.settings(
            max_examples=int(os.environ.get("FUZZ_STATEFUL_EXAMPLES", "200")),
            stateful_step_count=10,
            deadline=None,
            suppress_health_check=list(hypothesis.HealthCheck),
        )
    )

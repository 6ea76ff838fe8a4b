"""Who may do what: every endpoint x method x role, with the status each gets."""

from typing import Any

import pytest
from django.test import Client

from .conftest import TokenClient, make_user
from .test_api_writes import NEW

pytestmark = pytest.mark.usefixtures("article")

# (collection, an existing record's key, a change a PATCH may make)
COLLECTIONS = [
    ("events", "rubio-dar-phone-call-2025-04-07", {"summary": "Changed."}),
    ("participants", "tammy-bruce", {"office": "Spokesperson"}),
    ("countries", "AF", {"name": "Afghanistan (changed)"}),
    ("topics", "armed-conflict", {"description": "Changed."}),
    ("tariff-measures", "us-baseline-tariff-10-percent-2025", {"product_scope": "Changed."}),
    ("statements", "state-department-on-rubio-dar-call", {"kind": "quote"}),
    ("sources", "india-today-us-dr-congo-minerals", {"note": "Changed."}),
]
# A record each DELETE may remove (nothing refers to it).
DELETABLE = {
    "events": "us-dr-congo-critical-minerals-talks",
    "participants": None,  # referred to by participations: a new one is created below
    "countries": "UA",
    "topics": "armed-conflict",
    "tariff-measures": "us-baseline-tariff-10-percent-2025",
    "statements": "state-department-on-rubio-dar-call",
    "sources": None,  # every article source is cited; a new one is created below
}
ROLES = ["anonymous", "without-permission", "editor", "staff"]
# What each role gets: reads for everyone; writes for editors and for staff superusers.
EXPECTED = {
    "anonymous": {"GET": 200, "POST": 401, "PUT": 401, "PATCH": 401, "DELETE": 401},
    "without-permission": {"GET": 200, "POST": 403, "PUT": 403, "PATCH": 403, "DELETE": 403},
    "editor": {"GET": 200, "POST": 201, "PUT": 200, "PATCH": 200, "DELETE": 204},
    "staff": {"GET": 200, "POST": 201, "PUT": 200, "PATCH": 200, "DELETE": 204},
}


def client_for(role: str) -> Any:
    if role == "anonymous":
        return TokenClientAnonymous()
    if role == "without-permission":
        return TokenClient(make_user("reader"))
    if role == "editor":
        return TokenClient(make_user("ed", editor=True))
    user = make_user("boss", staff=True)
    user.is_superuser = True
    user.save()
    return TokenClient(user)


class TokenClientAnonymous(Client):
    def send(self, method: str, path: str, data: Any = None) -> Any:
        import json

        body = json.dumps(data) if data is not None else ""
        return getattr(self, method.lower())(path, body, content_type="application/json")


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("collection", "key", "patch"), COLLECTIONS, ids=[c[0] for c in COLLECTIONS]
)
def test_it_lets_each_role_do_what_it_may(
    role: str, collection: str, key: str, patch: dict[str, Any]
) -> None:
    client = client_for(role)
    detail = f"/api/v1/{collection}/{key}/"
    statuses = {
        "GET": (client.get(f"/api/v1/{collection}/").status_code, client.get(detail).status_code),
    }
    current = client.get(detail).json()
    statuses["PATCH"] = client.send("PATCH", detail, patch).status_code
    statuses["PUT"] = client.send("PUT", detail, {**current, **patch}).status_code
    statuses["POST"] = client.send("POST", f"/api/v1/{collection}/", NEW[collection]).status_code
    target = DELETABLE[collection] or NEW[collection]["slug"]
    statuses["DELETE"] = client.send("DELETE", f"/api/v1/{collection}/{target}/").status_code
    expected = EXPECTED[role]
    assert statuses == {
        "GET": (expected["GET"], expected["GET"]),
        "PATCH": expected["PATCH"],
        "PUT": expected["PUT"],
        "POST": expected["POST"],
        "DELETE": expected["DELETE"],
    }


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/",
        "/api/v1/changes/",
        "/api/v1/events/stats/?group_by=month",
        "/api/v1/events/rubio-dar-phone-call-2025-04-07/history/",
        "/api/v1/countries/PK/events/",
        "/api/v1/countries/PK/applicable-tariff-measures/",
    ],
)
@pytest.mark.parametrize("role", ROLES)
def test_it_lets_every_role_read_the_other_endpoints(role: str, path: str) -> None:
    assert client_for(role).get(path).status_code == 200


@pytest.mark.parametrize("role", ROLES)
def test_it_allows_no_write_on_read_only_endpoints(role: str) -> None:
    client = client_for(role)
    # A method the resource lacks is a 405 for everyone (the schema lists every method): not
    # a 401 or 403 that would send a client to log in for a write that can never work.
    for path in (
        "/api/v1/events/stats/",
        "/api/v1/countries/PK/events/",
        "/api/v1/events/rubio-dar-phone-call-2025-04-07/history/",
        "/api/v1/events/export/",
        "/api/v1/tariff-measures/export/",
        "/api/v1/topics/trade/events/",
    ):
        for method in ("POST", "PUT", "PATCH", "DELETE"):
            response = client.send(method, path, {})
            assert response.status_code == 405, (method, path, response.content[:200])
            assert response["Content-Type"] == "application/problem+json"
            assert "GET" in response["Allow"]
    # The root and the change feed are read-only for everyone.
    assert client.send("POST", "/api/v1/changes/", {}).status_code == 405
    assert client.send("DELETE", "/api/v1/").status_code == 405


def test_it_tells_an_anonymous_writer_how_to_authenticate(client: Client) -> None:
    response = client.post("/api/v1/topics/", "{}", content_type="application/json")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert response.json() == {
        "type": "about:blank",
        "title": "Unauthorized",
        "status": 401,
        "detail": "Authentication credentials were not provided.",
    }


def test_it_answers_403_as_a_problem(reader: TokenClient) -> None:
    response = reader.send("DELETE", "/api/v1/topics/trade/")
    assert response.status_code == 403
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["detail"] == "You do not have permission to perform this action."


def test_it_refuses_an_invalid_token(client: Client) -> None:
    response = client.get("/api/v1/events/", HTTP_AUTHORIZATION="Token not-a-real-token")
    assert (response.status_code, response.json()["detail"]) == (401, "Invalid token.")


def test_it_never_reads_a_token_from_the_query_string(editor: TokenClient) -> None:
    from rest_framework.authtoken.models import Token

    key = Token.objects.get(user=editor.user).key
    anonymous = Client()
    for name in ("token", "auth_token", "access_token", "key"):
        response = anonymous.patch(
            f"/api/v1/topics/trade/?{name}={key}", "{}", content_type="application/json"
        )
        assert response.status_code == 401


def test_it_gives_a_user_their_token_for_their_password(client: Client) -> None:
    make_user("ed", editor=True)
    response = client.post(
        "/api/v1/auth/token/",
        {"username": "ed", "password": "correct-horse-9"},
        content_type="application/json",
    )
    assert response.status_code == 200
    token = response.json()["token"]
    write = client.patch(
        "/api/v1/topics/trade/",
        '{"description": "Set with a token."}',
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Token {token}",
    )
    assert write.status_code == 200


def test_it_refuses_a_wrong_password_for_a_token(client: Client) -> None:
    make_user("ed", editor=True)
    response = client.post(
        "/api/v1/auth/token/",
        {"username": "ed", "password": "wrong"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "non_field_errors": ["Unable to log in with provided credentials."]
    }


def test_it_checks_csrf_for_a_logged_in_session(db: None) -> None:
    user = make_user("ed", editor=True)
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    response = client.patch("/api/v1/topics/trade/", "{}", content_type="application/json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    client.get("/auth/login/")  # sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    response = client.patch(
        "/api/v1/topics/trade/",
        '{"description": "From a session."}',
        content_type="application/json",
        HTTP_X_CSRFTOKEN=token,
    )
    assert response.status_code == 200

"""What a person sees in a browser outside the docs: the browsable API's HTML view and the
site's icon (issue 13)."""

import html
import json
import re

import pytest
from django.test import Client

pytestmark = pytest.mark.usefixtures("article")


def shown_json(page: str) -> str:
    """The response body the browsable API shows, after its status line and headers."""
    [info] = re.findall(
        r'<div class="response-info".*?<pre class="prettyprint">(.*?)</pre>', page, re.S
    )
    body = re.sub(r"<[^>]+>", "", info).split("\n\n", 1)[1]
    return html.unescape(body)


@pytest.mark.parametrize(("query", "accept"), [("?format=api", "*/*"), ("", "text/html")])
def test_it_shows_indented_json_in_the_html_view(client: Client, query: str, accept: str) -> None:
    response = client.get(f"/api/v1/topics/tariffs/{query}", HTTP_ACCEPT=accept)
    assert response["Content-Type"] == "text/html; charset=utf-8"
    body = shown_json(response.content.decode())
    # As stock Django REST framework shows it: indented by 4, one member a line (and with
    # `?format=api` in its links, so that following one stays in the HTML view).
    assert body == json.dumps(json.loads(body), indent=4, ensure_ascii=False)
    assert body.startswith('{\n    "url": "http://testserver/api/v1/topics/tariffs/')
    data = client.get("/api/v1/topics/tariffs/").json()
    assert json.loads(body.replace("?format=api", "")) == data


def test_it_keeps_json_compact_for_clients(client: Client) -> None:
    response = client.get("/api/v1/topics/tariffs/")
    assert response["Content-Type"] == "application/json"
    assert b"\n" not in response.content
    assert response.content.startswith(b'{"url":"http://testserver/api/v1/topics/tariffs/",')


def test_it_indents_json_when_the_client_asks(client: Client) -> None:
    response = client.get("/api/v1/topics/tariffs/", HTTP_ACCEPT="application/json; indent=2")
    assert response.content.decode() == json.dumps(
        client.get("/api/v1/topics/tariffs/").json(), indent=2, ensure_ascii=False
    )


def test_it_serves_a_favicon(client: Client) -> None:
    response = client.get("/favicon.ico")
    assert (response.status_code, response["Content-Type"]) == (200, "image/x-icon")
    icon = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    # An ICO file holding one 16x16 image (header: reserved 0, type 1, count 1).
    assert icon[:6] == b"\x00\x00\x01\x00\x01\x00"
    assert (icon[6], icon[7]) == (16, 16)

"""The docs and the admin as their users see them: headless Chromium (Selenium with Debian's
chromedriver) against a live server.

Every page must load everything from the server itself: each test records the browser's network
requests and fails on any URL of another origin. Screenshots go to $BROWSER_SCREENSHOTS (a
temporary directory by default; `BROWSER_SCREENSHOTS=docs/screenshots` refreshes the README's).

Without Chromium and chromedriver these tests are skipped, unless REQUIRE_BROWSER=1 (as in CI),
which makes the missing browser a failure.
"""

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.contrib.auth.models import User
from django.test import Client

from events.models import Event

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")
ROOT = Path(__file__).resolve().parent.parent
WAIT = 30  # seconds for a page to render; generous for a loaded 2-core CI machine

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def require_browser() -> None:
    missing = [path for path in (CHROMIUM, CHROMEDRIVER) if not os.access(path, os.X_OK)]
    if missing:
        reason = (
            f"browser tests need headless Chromium: {' and '.join(missing)} not found "
            "(apt-get install chromium chromium-driver, or set CHROMIUM / CHROMEDRIVER)"
        )
        if os.environ.get("REQUIRE_BROWSER", "").lower() in {"1", "true", "yes", "on"}:
            pytest.fail(f"REQUIRE_BROWSER is set, but {reason}")
        pytest.skip(reason)


class Browser:
    """A headless Chromium session that remembers every URL it requested."""

    def __init__(self, screenshots: Path) -> None:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service

        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for argument in (
            "--headless=new",
            "--no-sandbox",  # CI runs as root
            "--disable-gpu",
            "--disable-dev-shm-usage",
            # Chromium's own traffic (updates, sync, field trials) is not the page's; without
            # these flags it tries to reach Google's hosts.
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-quic",
            "--no-first-run",
            "--window-size=1400,1000",
        ):
            options.add_argument(argument)
        options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
        self.driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
        self.screenshots = screenshots
        self.sent: dict[str, str] = {}  # request id: URL
        self.blocked: dict[str, str] = {}  # request id: why the browser did not send it

    def get(self, url: str) -> None:
        self.driver.get(url)

    def wait_for(self, css: str, *, count: int = 1) -> list[Any]:
        """The elements matching `css`, once there are at least `count` of them."""
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support.ui import WebDriverWait

        return WebDriverWait(self.driver, WAIT).until(
            lambda d: (
                (found := d.find_elements(By.CSS_SELECTOR, css)) and len(found) >= count and found
            )
        )

    def click(self, element: Any) -> None:
        """Click `element` as a user would, once nothing covers it. Swagger UI re-renders and
        reflows the parameter table after each change; on a loaded machine another cell can
        still lie over the target for a moment (ElementClickInterceptedException)."""
        from selenium.common.exceptions import ElementClickInterceptedException
        from selenium.webdriver.support.ui import WebDriverWait

        def clicked(driver: Any) -> bool:
            driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
            try:
                element.click()
            except ElementClickInterceptedException:
                return False
            return True

        WebDriverWait(self.driver, WAIT, poll_frequency=0.2).until(clicked)

    def requests(self) -> list[str]:
        """Every URL the browser requested so far, less those it refused to send itself (a
        Content-Security-Policy block never leaves the browser)."""
        for entry in self.driver.get_log("performance"):
            message = json.loads(entry["message"])["message"]
            params = message.get("params", {})
            if message["method"] == "Network.requestWillBeSent":
                self.sent[params["requestId"]] = params["request"]["url"]
            elif message["method"] == "Network.loadingFailed" and params.get("blockedReason"):
                self.blocked[params["requestId"]] = params["blockedReason"]
        return [url for request, url in self.sent.items() if request not in self.blocked]

    def assert_same_origin(self, origin: str) -> None:
        # data: URIs (Swagger UI's icons) are part of the page, not requests to anyone.
        foreign = [
            url
            for url in self.requests()
            if not url.startswith((origin + "/", "data:", "blob:", "about:"))
        ]
        assert foreign == [], f"requests outside {origin}: {foreign}"

    def console_errors(self) -> list[str]:
        """The errors the page logged to the browser's console (a refused or failed load, a
        script error), as the developer tools show them."""
        return [e["message"] for e in self.driver.get_log("browser") if e["level"] == "SEVERE"]

    def screenshot(self, name: str) -> Path:
        """Save what the page shows now. chromedriver gives up on a capture after 10 s without
        an answer from the renderer (TimeoutException "Timed out receiving message from
        renderer"), which a long page on a loaded 2-core machine can take: ask again, within
        WAIT seconds in all, as the waits above do."""
        from selenium.common.exceptions import TimeoutException

        path = self.screenshots / f"{name}.png"
        deadline = time.monotonic() + WAIT
        while True:
            try:
                self.driver.save_screenshot(str(path))
            except TimeoutException:
                if time.monotonic() > deadline:
                    raise
                continue
            return path


@pytest.fixture
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    require_browser()
    screenshots = Path(os.environ.get("BROWSER_SCREENSHOTS") or tmp_path_factory.mktemp("shots"))
    screenshots.mkdir(parents=True, exist_ok=True)
    browser = Browser(screenshots)
    try:
        yield browser
    finally:
        browser.driver.quit()


def schema_operations() -> set[tuple[str, str]]:
    schema = yaml.safe_load((ROOT / "openapi.yaml").read_text())
    return {
        (method.upper(), path)
        for path, methods in schema["paths"].items()
        for method in methods
        if method in {"get", "post", "put", "patch", "delete"}
    }


def test_swagger_ui_renders_every_operation_of_every_resource(
    browser: Browser, live_server: Any
) -> None:
    browser.get(f"{live_server.url}/api/v1/docs/")
    operations = schema_operations()
    blocks = browser.wait_for(".opblock", count=len(operations))
    shown = {
        (
            block.find_element("css selector", ".opblock-summary-method").text,
            block.find_element("css selector", ".opblock-summary-path").get_attribute("data-path"),
        )
        for block in blocks
    }
    assert shown == operations
    tags = {t.get_attribute("data-tag") for t in browser.wait_for("h3.opblock-tag")}
    assert {"events", "participants", "countries", "topics", "tariff-measures"} <= tags
    assert {"statements", "sources", "changes"} <= tags
    browser.screenshot("swagger-ui")
    browser.assert_same_origin(live_server.url)


def test_swagger_ui_try_it_out_lists_the_events_of_a_country(
    browser: Browser, live_server: Any
) -> None:
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import Select

    browser.get(f"{live_server.url}/api/v1/docs/#/events/events_list")
    [operation] = browser.wait_for("#operations-events-events_list")
    if not operation.find_elements("css selector", ".parameters"):
        browser.click(operation.find_element("css selector", ".opblock-summary"))
    browser.wait_for("#operations-events-events_list tr[data-param-name='country'] input")
    # "Try it out" starts with each parameter's example filled in: keep only the country.
    for row in operation.find_elements("css selector", "tr[data-param-name]"):
        name = row.get_attribute("data-param-name")
        # Each removal re-renders the row: look the first button up again before every click.
        removable = "button.json-schema-form-item-remove"
        removals = 0 if name == "country" else len(row.find_elements("css selector", removable))
        for _ in range(removals):
            browser.click(row.find_elements("css selector", removable)[0])
        for field in row.find_elements("css selector", "input"):
            field.send_keys(Keys.CONTROL, "a")
            field.send_keys(Keys.DELETE)
            if name == "country":
                field.send_keys("PK")
        for select in row.find_elements("css selector", "select"):
            choice = Select(select)
            choice.deselect_all()
            if name == "ordering":
                # Sent comma-joined, so it cannot be left empty: the default order, newest first.
                choice.select_by_value("-date")
    browser.click(operation.find_element("css selector", "button.execute"))

    live = "#operations-events-events_list .live-responses-table"
    [status] = browser.wait_for(f"{live} tbody .response-col_status")
    [url] = browser.wait_for("#operations-events-events_list .request-url pre")
    # The response body, then its headers.
    body = browser.wait_for(f"{live} tbody .response-col_description .microlight")[0]
    assert status.text == "200"
    assert url.text == f"{live_server.url}/api/v1/events/?country=PK&ordering=-date"
    shown = json.loads(body.text)
    expected = Client().get("/api/v1/events/?country=PK").json()
    assert shown["count"] == expected["count"] == 4
    assert [e["slug"] for e in shown["results"]] == [e["slug"] for e in expected["results"]]
    assert all("PK" in e["countries"] for e in shown["results"])
    browser.screenshot("swagger-ui-try-it-out")
    browser.assert_same_origin(live_server.url)


def test_swagger_ui_try_it_out_answers_2xx_on_every_get_operation(
    browser: Browser, live_server: Any
) -> None:
    """Issue 13: a developer opens an operation and presses Execute on the pre-filled form; on
    15 GET operations that answered 404 or 400 (an event's slug in every `{slug}`, `-date`
    offered to the tariff measures). tests/test_schema_examples.py checks the same requests
    without a browser; this checks what Swagger UI actually sends and shows."""
    schema = yaml.safe_load((ROOT / "openapi.yaml").read_text())
    gets = [
        (f"operations-{methods['get']['tags'][0]}-{methods['get']['operationId']}", path)
        for path, methods in schema["paths"].items()
        if "get" in methods
    ]
    browser.get(f"{live_server.url}/api/v1/docs/")
    browser.wait_for(".opblock", count=len(schema_operations()))
    shown = {}
    for block_id, path in gets:
        block = f"[id='{block_id}']"
        [operation] = browser.wait_for(block)
        browser.click(operation.find_element("css selector", ".opblock-summary"))
        # "Try it out" is on from the start (tryItOutEnabled); press it should that change.
        for button in browser.wait_for(f"{block} button.try-out__btn"):
            if button.text == "Try it out":
                browser.click(button)
        browser.click(browser.wait_for(f"{block} button.execute")[0])
        [status] = browser.wait_for(f"{block} .live-responses-table tbody .response-col_status")
        [url] = browser.wait_for(f"{block} .request-url pre")
        shown[path] = (status.text, url.text)
        # Closed again, so that the page stays small and the next summary is in reach.
        browser.click(operation.find_element("css selector", ".opblock-summary"))
    refused = {path: got for path, got in shown.items() if not got[0].startswith("2")}
    assert refused == {}
    assert len(shown) == len(gets) >= 30
    # The requests were the pre-filled ones: a detail names the article's record.
    assert shown["/api/v1/participants/{slug}/"] == (
        "200",
        f"{live_server.url}/api/v1/participants/marco-rubio/",
    )
    browser.assert_same_origin(live_server.url)


def test_swagger_ui_shows_the_articles_records_as_response_examples(
    browser: Browser, live_server: Any
) -> None:
    # Issue 13: the examples were made up from the schema (random slugs matching the pattern,
    # `http://api.example.org/accounts/` paging links).
    browser.get(f"{live_server.url}/api/v1/docs/#/events/events_retrieve")
    block = "#operations-events-events_retrieve"
    [example] = browser.wait_for(f"{block} tr.response[data-code='200'] pre.example")
    shown = json.loads(example.text)
    assert shown["slug"] == "rubio-dar-phone-call-2025-04-07"
    assert shown["url"] == "http://127.0.0.1:8000/api/v1/events/rubio-dar-phone-call-2025-04-07/"
    assert (
        shown == Client(HTTP_HOST="127.0.0.1:8000").get(f"/api/v1/events/{shown['slug']}/").json()
    )

    block = "#operations-events-events_list"
    browser.click(browser.wait_for(f"{block} .opblock-summary")[0])
    [example] = browser.wait_for(f"{block} tr.response[data-code='200'] pre.example")
    shown = json.loads(example.text)
    assert shown["next"] == "http://127.0.0.1:8000/api/v1/events/?page=2&page_size=2"
    assert [event["slug"] for event in shown["results"]] == [
        event["slug"] for event in Client().get("/api/v1/events/?page_size=2").json()["results"]
    ]
    browser.assert_same_origin(live_server.url)


def test_redoc_renders_the_reference(browser: Browser, live_server: Any) -> None:
    browser.get(f"{live_server.url}/api/v1/redoc/")
    browser.wait_for("[data-section-id='tag/events']")
    operations = browser.wait_for("[data-section-id^='operation/']", count=len(schema_operations()))
    assert len(operations) == len(schema_operations())
    [heading] = browser.wait_for("[data-section-id='operation/events_list'] h2")
    assert heading.text == "List events"
    menu = browser.driver.find_element("css selector", ".menu-content").text
    assert {"events", "participants", "countries", "topics", "tariff-measures"} <= set(
        menu.splitlines()
    )
    browser.screenshot("redoc")
    browser.assert_same_origin(live_server.url)
    # Redocly's logo (see the template) is not even attempted: nothing blocked, nothing logged.
    assert {browser.sent[r]: why for r, why in browser.blocked.items()} == {}
    assert not any("cdn.redoc.ly" in url for url in browser.sent.values())
    assert browser.console_errors() == []


def test_the_browsable_api_and_the_favicon_load_without_a_console_error(
    browser: Browser, live_server: Any
) -> None:
    browser.get(f"{live_server.url}/api/v1/?format=api")
    [body] = browser.wait_for(".response-info pre")
    assert '"changes": "http' in body.text
    # The HTML view indents its JSON (one member a line), as stock Django REST framework does.
    assert '{\n    "events": ' in body.text
    browser.get(f"{live_server.url}/favicon.ico")
    assert browser.console_errors() == []
    browser.assert_same_origin(live_server.url)


def test_an_editor_changes_an_event_title_in_the_admin_and_sees_it_in_history_and_api(
    browser: Browser, live_server: Any
) -> None:
    User.objects.create_superuser("curator", "curator@example.org", "correct-horse-9")
    event = Event.objects.get(slug="rubio-dar-phone-call-2025-04-07")
    old_title = event.title
    new_title = "Rubio and Dar speak by phone on tariffs and critical minerals"

    browser.get(f"{live_server.url}/admin/login/?next=/admin/")
    browser.wait_for("#id_username")[0].send_keys("curator")
    browser.wait_for("#id_password")[0].send_keys("correct-horse-9")
    browser.click(browser.wait_for("input[type=submit]")[0])
    browser.wait_for("#site-name")
    assert "Site administration" in browser.driver.title

    browser.get(f"{live_server.url}/admin/events/event/{event.pk}/change/")
    [title] = browser.wait_for("#id_title")
    assert title.get_attribute("value") == old_title
    title.clear()
    title.send_keys(new_title)
    browser.screenshot("admin-event")
    browser.click(browser.wait_for("input[name=_save]")[0])
    [message] = browser.wait_for(".messagelist .success")
    assert new_title in message.text

    browser.get(f"{live_server.url}/admin/events/event/{event.pk}/history/")
    [history] = browser.wait_for("#change-history")
    newest = history.find_elements("css selector", "tbody tr")[0].text
    assert "Title:" in newest
    assert old_title in newest
    assert new_title in newest
    assert "curator" in newest
    browser.screenshot("admin-history")

    browser.get(f"{live_server.url}/api/v1/events/{event.slug}/?format=json")
    shown = json.loads(browser.wait_for("pre, body")[0].text)
    assert shown["title"] == new_title
    browser.assert_same_origin(live_server.url)


# A browser app on another origin: the page comes from 127.0.0.1 (a tiny server of its own), the
# API from the live server's localhost, so every call is cross-origin and the browser enforces
# CORS as it would for https://app.example.org.
APP_PAGE = """<!doctype html>
<meta charset="utf-8"><title>app</title><pre id="result"></pre>
<script>
const api = %(api)s, token = %(token)s, seen = {};
const headersOf = (r, names) => Object.fromEntries(names.map(n => [n, r.headers.get(n)]));
async function run() {
  let r = await fetch(api + "/api/v1/topics/trade/", {headers: {"X-Request-ID": "app-read-1"}});
  seen.read = {status: r.status, ...headersOf(r, ["ETag", "X-Request-ID"])};
  r = await fetch(api + "/api/v1/topics/trade/", {headers: {"If-None-Match": seen.read.ETag}});
  seen.revalidate = {status: r.status, ...headersOf(r, ["ETag"])};
  const auth = {"Authorization": "Token " + token, "Content-Type": "application/json"};
  r = await fetch(api + "/api/v1/topics/", {method: "POST", headers: auth,
    body: JSON.stringify({slug: "from-the-app", name: "From the app"})});
  seen.create = {status: r.status, ...headersOf(r, ["Location", "ETag"])};
  r = await fetch(api + "/api/v1/topics/from-the-app/", {method: "PATCH",
    headers: {...auth, "If-Match": '"stale"', "X-Request-ID": "app-write-1"},
    body: JSON.stringify({name: "Renamed"})});
  seen.stale_write = {status: r.status, ...headersOf(r, ["ETag", "X-Request-ID"])};
  r = await fetch(api + "/api/v1/events/export/?format=csv");
  seen.export = {status: r.status, ...headersOf(r, ["Content-Disposition"])};
  for (let i = 0; i < 10 && r.status !== 429; i++) r = await fetch(api + "/api/v1/countries/");
  seen.throttled = {status: r.status, ...headersOf(r, ["Retry-After"])};
}
run().catch(e => { seen.error = String(e); }).finally(() => {
  const out = document.getElementById("result");
  out.textContent = JSON.stringify(seen);
  out.dataset.done = "1";
});
</script>
"""


@pytest.fixture
def app_origin(live_server: Any) -> Iterator[str]:
    """A second origin serving APP_PAGE, on a free port of 127.0.0.1."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from rest_framework.authtoken.models import Token

    from .conftest import make_user

    token = Token.objects.create(user=make_user("app", editor=True)).key
    page = APP_PAGE % {"api": json.dumps(live_server.url), "token": json.dumps(token)}

    class Page(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = page.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:  # quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Page)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_a_page_on_another_origin_sends_and_reads_the_headers_the_readme_invites(
    browser: Browser, live_server: Any, app_origin: str, settings: Any
) -> None:
    assert not live_server.url.startswith(app_origin)  # two origins: localhost and 127.0.0.1
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "anon": "4/min"}
    browser.get(f"{app_origin}/")
    [result] = browser.wait_for("#result[data-done]")
    seen = json.loads(result.text)
    assert "error" not in seen, seen
    etag = seen["read"]["ETag"]
    assert seen["read"] == {"status": 200, "ETag": etag, "X-Request-ID": "app-read-1"}
    assert etag.startswith('"')
    assert seen["revalidate"] == {"status": 304, "ETag": etag}
    created = seen["create"]
    assert (created["status"], created["Location"]) == (
        201,
        f"{live_server.url}/api/v1/topics/from-the-app/",
    )
    assert created["ETag"].startswith('"')
    assert seen["stale_write"] == {
        "status": 412,
        "ETag": created["ETag"],
        "X-Request-ID": "app-write-1",
    }
    assert seen["export"] == {
        "status": 200,
        "Content-Disposition": 'attachment; filename="events.csv"',
    }
    assert seen["throttled"]["status"] == 429
    assert 1 <= int(seen["throttled"]["Retry-After"]) <= 60

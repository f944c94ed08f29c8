"""The web app as a runner meets it (issue #14 item 7), without a browser: error pages with one
heading and the next step, every problem of a form at once in plain words, progress that says
what it counts and the time left, and job polling that the back button never shows as JSON.
The browser half (axe-core on every page, 360 px) is tests/web/test_pages_a11y.py."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from backstride.config import Settings
from backstride.errors import StorageError
from backstride.web.app import create_app
from tests.web.conftest import csrf_of


def actions_of(html: str) -> list[tuple[str, str]]:
    """The error page's next steps: (link text, href)."""
    block = html[html.index('<p class="actions">'):]
    block = block[:block.index("</p>")]
    return [(text.strip(), href) for href, text in
            re.findall(r'<a class="button[^"]*" href="([^"]*)">([^<]*)</a>', block)]


def test_an_unknown_address_is_the_error_page_not_json(client: TestClient) -> None:
    reply = client.get("/no-such-page")
    assert reply.status_code == 404
    assert reply.headers["content-type"].startswith("text/html")
    assert "<h1 id=\"problem-heading\">That did not work</h1>" in reply.text
    assert "There is no page at /no-such-page: check the address" in reply.text
    assert actions_of(reply.text) == [("Go back", "/")]  # no same-site Referer: home


def test_an_error_page_goes_back_to_the_page_it_came_from(client: TestClient) -> None:
    reply = client.get("/runs/99999", headers={"Referer": "http://127.0.0.1:8765/runs?page=2"})
    assert reply.status_code == 422
    assert "That did not work" in reply.text
    assert actions_of(reply.text) == [("Go back", "/runs?page=2"), ("Dashboard", "/")]
    # Another site's address is never offered as the way back.
    other = client.get("/runs/99999", headers={"Referer": "http://evil.example/runs"})
    assert actions_of(other.text) == [("Go back", "/")]
    assert "javascript:" not in other.text  # the CSP blocks javascript: links: none offered


def test_a_method_not_allowed_is_the_error_page(client: TestClient) -> None:
    reply = client.put("/runs", headers={"Origin": "http://127.0.0.1:8765"})
    assert reply.status_code in (403, 405), reply.text
    assert reply.headers["content-type"].startswith("text/html")
    assert "That did not work" in reply.text


def test_a_database_fault_offers_to_try_again(settings: Settings) -> None:
    app = create_app(settings)

    def busy() -> None:
        raise StorageError("database is locked (/tmp/x.db)", retryable=True)

    app.add_api_route("/busy", busy, methods=["GET", "POST"])
    with TestClient(app, base_url="http://127.0.0.1:8765") as client:
        reply = client.get("/busy?week=2")
        assert reply.status_code == 503
        assert StorageError.PUBLIC in reply.text and "/tmp/x.db" not in reply.text
        assert actions_of(reply.text) == [("Try again", "/busy?week=2"), ("Go back", "/")]
        # A form: "Try again" is its page (sending it again is the runner's choice there).
        posted = client.post("/busy", data={"csrf_token": csrf_of(client, "/pain")},
                             headers={"Referer": "http://127.0.0.1:8765/pain"})
        assert posted.status_code == 503
        assert actions_of(posted.text)[0] == ("Try again", "/pain")

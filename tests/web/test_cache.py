"""Whole-history pages are cached by history version: a write shows at once."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.web.conftest import csrf_of


def test_trends_page_follows_the_history(client: TestClient) -> None:
    first = client.get("/trends").text
    assert client.get("/trends").text == first  # served from the cache
    token = csrf_of(client, "/pain")
    reply = client.post("/pain", data={"csrf_token": token, "score": "3", "kind": "other"},
                        follow_redirects=True)
    assert reply.status_code == 200
    assert client.app.state.cache  # type: ignore[attr-defined]
    versions = {key[-2] for key in client.app.state.cache}  # type: ignore[attr-defined]
    client.get("/trends")
    assert len({key[-2] for key in client.app.state.cache}) == len(versions) + 1  # type: ignore[attr-defined]


def test_runs_page_is_paged(client: TestClient) -> None:
    reply = client.get("/runs?page=7")
    assert reply.status_code == 200 and "No runs yet" in reply.text

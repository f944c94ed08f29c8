"""Safety on every web path (docs/safety.md, "Safety on every path"): the result is shown
before anything is saved, and a failed save is shown under it."""

from __future__ import annotations

import dataclasses
import html
import json
import re
from typing import Any
from urllib.parse import unquote

from fastapi.testclient import TestClient

from backstride.core.simulate import demo_answers
from tests.web.conftest import csrf_of

EMERGENCY = {**demo_answers(), "bladder_change": True}
URGENT = {**demo_answers(), "fever": True}
BAD_DB = "sqlite:////proc/no-such-dir/history.db"


def _break_database(client: TestClient) -> None:
    state: Any = client.app.state  # type: ignore[attr-defined]
    state.settings = dataclasses.replace(state.settings, db=BAD_DB)


def _upload(client: TestClient, answers: dict[str, Any]) -> Any:
    token = csrf_of(client, "/triage")
    return client.post("/triage/upload", data={"csrf_token": token}, files={
        "file": ("answers.json", json.dumps(answers).encode(), "application/json")})


def test_a_failed_save_still_shows_the_emergency_first(client: TestClient) -> None:
    csrf_of(client, "/triage")
    _break_database(client)
    reply = _upload(client, EMERGENCY)
    assert reply.status_code == 503
    page = html.unescape(reply.text)
    action = page.index("Go to an emergency department now")
    problem = page.index("Your answers could not be saved")
    assert action < problem
    assert "Cannot create the folder for the history database" in page
    # the download carries these answers, not an older stored set
    link = re.search(r'href="data:application/json;charset=utf-8,([^"]+)"', page)
    assert link is not None and json.loads(unquote(link.group(1)))["bladder_change"] is True


def test_a_failed_save_of_the_form_shows_the_urgent_result(client: TestClient) -> None:
    token = csrf_of(client, "/triage")
    _break_database(client)
    form = {k: ("yes" if v is True else "no" if v is False else str(v))
            for k, v in URGENT.items() if k not in ("schema", "startback")}
    reply = client.post("/triage", data={**form, "csrf_token": token})
    assert reply.status_code == 503
    page = html.unescape(reply.text)
    assert page.index("See a doctor within 1–2 days") < page.index("could not be saved")

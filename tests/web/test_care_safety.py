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


def test_result_pages_show_reasons_in_words_without_keys(client: TestClient) -> None:
    from backstride.core.triage import ANSWER_NAMES, RED_FLAGS

    answers = {**demo_answers(), "rest_pain": True, "fever": "unsure", "night_pain": "unsure"}
    page = html.unescape(_upload(client, answers).text)
    assert "Pain that stays at rest" in page
    assert ('You answered "not sure" about fever, chills or sweats and night pain; to be safe, '
            '"not sure" counts as the more cautious answer.') in page
    assert "Not answered, or answered" not in page
    text = re.sub(r"<[^>]+>", " ", page)
    ids = {n for n in (*ANSWER_NAMES, *(r.id for r in RED_FLAGS)) if "_" in n}
    assert not [name for name in ids if re.search(rf"\b{name}\b", text)]
    # the JSON download keeps them
    data = client.get("/triage/result.json").json()
    assert {r["rule"] for r in data["reasons"]} >= {"fever", "night_pain", "rest_pain"}


def test_the_form_explains_not_sure_once_before_the_first_question(client: TestClient) -> None:
    page = client.get("/triage").text
    intro = page.index("counts as the more cautious answer")
    assert intro < page.index("Since the back pain began")


def test_no_weakness_on_the_form_answers_whether_it_worsens(client: TestClient) -> None:
    token = csrf_of(client, "/triage")
    form = {k: ("yes" if v is True else "no" if v is False else str(v))
            for k, v in demo_answers().items()
            if k not in ("schema", "startback", "weakness_worsening")}
    reply = client.post("/triage", data={**form, "csrf_token": token}, follow_redirects=False)
    assert reply.status_code == 303
    assert client.get("/triage/answers.json").json()["weakness_worsening"] is False


def test_the_emergency_number_is_editable_in_the_web_app(client: TestClient,
                                                         settings: Any) -> None:
    token = csrf_of(client, "/settings")
    bad = client.post("/settings", data={"csrf_token": token, "emergency_number": "1\n2"})
    assert bad.status_code == 422 and "printable characters on one line" in html.unescape(
        bad.text)
    empty = client.post("/settings", data={"csrf_token": token, "emergency_number": "  "})
    assert empty.status_code == 422
    saved = client.post("/settings", data={"csrf_token": token, "emergency_number": "112"})
    assert saved.status_code == 200 and "call 112" in saved.text
    page = _upload(client, EMERGENCY)
    assert 'href="tel:112"' in page.text and "call 112" in page.text
    # the command line reads the same saved setting
    from backstride.config import load_settings

    assert load_settings({"data_dir": settings.data_dir}, environ={}).emergency_number == "112"


def test_a_later_lower_triage_on_the_web_keeps_the_hold(client: TestClient) -> None:
    _upload(client, EMERGENCY)
    page = html.unescape(_upload(client, demo_answers()).text)
    assert 'class="banner self_care"' in page  # the later answers are shown...
    assert "Your plan is still on hold" in page  # ...and the hold stays
    assert "Do the self-tests" not in page
    assert 'class="banner emergency"' in client.get("/").text  # the dashboard keeps the hold
    token = csrf_of(client, "/plan")
    plan = client.post("/plan/make", data={"csrf_token": token}).text
    assert 'class="banner emergency"' in plan and "Plan on hold" in plan
    assert "only a clinician&#39;s clearance does" in plan or \
        "only a clinician's clearance does" in html.unescape(plan)
    assert '<tr class="week' not in plan


def test_see_clinician_on_the_web_waits_for_the_visit(client: TestClient) -> None:
    _upload(client, {**demo_answers(), "rest_pain": True})
    token = csrf_of(client, "/plan")
    plan = html.unescape(client.post("/plan/make", data={"csrf_token": token}).text)
    assert "Waiting for your visit" in plan and "Record that you were seen" in plan
    assert "/plan/workouts.zip" not in plan
    calendar = client.get("/plan/plan.ics").text
    assert "easy run" not in calendar and calendar.count("BEGIN:VEVENT") == 1

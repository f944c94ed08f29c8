"""Triage, self-tests, the plan, its downloads and clearances in the browser: TestClient for
every route, and headless Chromium for the red-flag path, the plan and the in-page metronome."""

from __future__ import annotations

import html as html_module
import io
import json
import re
import wave
import zipfile
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from backstride import workflows
from backstride.adapters.formats.fit_writer import simulated_run_messages, write_fit_bytes
from backstride.config import Settings
from backstride.core.screening import SELF_TESTS
from backstride.core.simulate import RunPlan, demo_answers, demo_selftests, simulate_run
from backstride.core.triage import ANSWER_KEYS, QUESTION_ORDER
from tests.web.conftest import csrf_of, screenshot

PAGES = ("/triage", "/selftests", "/plan", "/clearance")
SELF_CARE = demo_answers()  # no red flag, medium STarT Back risk
URGENT = {**demo_answers(), "fever": True}
EMERGENCY = {**demo_answers(), "bladder_change": True}


def triage_form(answers: dict[str, Any]) -> dict[str, str]:
    """The questionnaire's fields for answers/1 content."""
    form = {}
    for name, value in answers.items():
        if name == "startback":
            form.update({f"startback_{n}": str(v) for n, v in enumerate(value, start=1)})
        elif name != "schema":
            form[name] = {True: "yes", False: "no"}.get(value, str(value)) \
                if isinstance(value, bool) else str(value)
    return form


def selftest_form(results: dict[str, Any]) -> dict[str, str]:
    return {name: str(value) for name, value in results.items() if name != "schema"}


def post(client: TestClient, url: str, data: dict[str, str], *, page: str = "/triage") -> Any:
    return client.post(url, data={**data, "csrf_token": csrf_of(client, page)})


def triage(client: TestClient, answers: dict[str, Any]) -> Any:
    return post(client, "/triage", triage_form(answers))


def text_of(html: str) -> str:
    return html_module.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


@pytest.fixture
def one_run(settings: Settings, tmp_path: Path) -> Settings:
    """A simulated run in the history (about 156 spm), so the plan has cadence steps."""
    path = tmp_path / "run.fit"
    path.write_bytes(write_fit_bytes(simulated_run_messages(simulate_run(RunPlan(), seed=7))))
    assert workflows.import_paths([path], settings=settings, workers=1).imported == 1
    return settings


# --- pages, security -------------------------------------------------------------------------


@pytest.mark.parametrize("page", PAGES)
def test_care_pages_answer_with_csp_and_no_inline_script(client: TestClient, page: str) -> None:
    reply = client.get(page)
    assert reply.status_code == 200
    assert "script-src 'self'" in reply.headers["content-security-policy"]
    assert "unsafe-inline" not in reply.headers["content-security-policy"].split("script-src")[1]
    scripts = re.findall(r"<script\b([^>]*)>", reply.text)
    assert scripts and all("src=" in attrs for attrs in scripts)
    assert not re.search(r"\son[a-z]+\s*=", reply.text)  # no inline event handlers


def test_every_question_is_asked_in_order_with_not_sure(client: TestClient) -> None:
    html = client.get("/triage").text
    positions = [html.index(f'id="q-{name}"') for name in QUESTION_ORDER]
    assert positions == sorted(positions)
    emergency = [k.name for k in ANSWER_KEYS if k.emergency]
    assert max(html.index(f'id="q-{n}"') for n in emergency) < min(
        html.index(f'id="q-{n}"') for n in QUESTION_ORDER if n not in emergency)
    for key in ANSWER_KEYS:
        fieldset = html.split(f'id="q-{key.name}"')[1].split("</fieldset>")[0]
        assert "Not sure" in fieldset and "<legend>" in fieldset
    for found in re.finditer(r"<input\b([^>]*)>", html):
        attrs = found.group(1)
        if 'type="hidden"' in attrs:
            continue
        named = re.search(r'\bid="([^"]+)"', attrs)
        before = html[:found.start()]
        inside_label = before.rfind("<label") > before.rfind("</label>")
        assert inside_label or (named and f'for="{named.group(1)}"' in html), attrs


def test_triage_post_without_csrf_is_refused(client: TestClient) -> None:
    client.get("/triage")
    reply = client.post("/triage", data=triage_form(SELF_CARE))
    assert reply.status_code == 403
    assert "did not come from backstride" in reply.text


# --- triage ----------------------------------------------------------------------------------


def test_emergency_answer_takes_the_whole_page(client: TestClient) -> None:
    reply = triage(client, EMERGENCY)
    assert reply.status_code == 200 and reply.url.path == "/triage/result"
    assert 'class="emergency-page"' in reply.text
    text = text_of(reply.text)
    assert "Go to an emergency department now or call your local emergency number" in text
    assert "Download my answers (JSON)" in text
    assert 'aria-label="Main"' not in reply.text  # no navigation competing with the action
    action = text.index("Go to an emergency department")
    assert action < text.index("Why") < text.index("New bladder trouble")
    assert "more reason" not in text  # every answer given: only the emergency reason


def test_emergency_answer_alone_is_enough_without_javascript(client: TestClient) -> None:
    reply = post(client, "/triage", {"bladder_change": "no", "bowel_incontinence": "yes"})
    assert 'class="emergency-page"' in reply.text
    saved = client.get("/triage/answers.json")
    assert saved.headers["content-disposition"] == (
        'attachment; filename="backstride-answers.json"')
    answers = saved.json()
    assert answers["bowel_incontinence"] is True and answers["bladder_change"] is False
    assert answers["fever"] == "unsure" and answers["age_years"] == "unsure"
    # the unasked questions are one line, not 24 reasons, and no key or rule id is shown
    assert ("We stopped at your first emergency answer; the other 24 questions were not "
            "asked.") in reply.text
    assert "Fever, chills" not in reply.text and "<details>" not in reply.text
    shown = re.sub(r"<[^>]+>", " ", reply.text)
    assert not [name for name in QUESTION_ORDER if re.search(rf"\b{name}\b", shown)]


def test_emergency_number_setting_is_a_call_link(tmp_path: Path) -> None:
    from backstride.web.app import create_app

    settings = Settings(data_dir=tmp_path / "data", emergency_number="112")
    with TestClient(create_app(settings), base_url="http://127.0.0.1:8765") as client:
        reply = triage(client, EMERGENCY)
    assert 'href="tel:112"' in reply.text and "call 112" in reply.text


def test_self_care_answers_show_the_banner_first(client: TestClient) -> None:
    reply = triage(client, SELF_CARE)
    assert reply.status_code == 200
    banner = reply.text.index('class="banner self_care"')
    assert banner < reply.text.index("No red flags in your answers.")
    text = text_of(reply.text)
    assert "Stay active and keep moving within comfort" in text
    assert "Medium risk of the pain becoming long-lasting (total 4 of 9" in text
    assert 'href="/selftests"' in reply.text and 'href="/plan"' in reply.text
    assert client.get("/triage/answers.json").json() == SELF_CARE
    assert client.get("/triage/result.json").json()["level"] == "self_care"


def test_missing_answers_name_the_questions_and_keep_the_rest(client: TestClient) -> None:
    form = triage_form(SELF_CARE)
    del form["fever"], form["age_years"]
    reply = post(client, "/triage", form)
    assert reply.status_code == 422
    text = text_of(reply.text)
    assert "2 questions are not answered yet" in text
    assert "Do you have a fever, chills or sweats with the pain?" in text.split("Answer each")[1]
    assert '<a href="#q-fever">' in reply.text and '<a href="#q-age_years">' in reply.text
    assert 'name="pain_days" type="number" inputmode="numeric" min="0" max="43830" step="1" ' \
           'value="12"' in reply.text
    assert 'name="chest_pain" value="no" checked' in reply.text
    assert client.get("/triage/answers.json").status_code == 404  # nothing was saved


def test_an_impossible_answer_is_named(client: TestClient) -> None:
    reply = post(client, "/triage", {**triage_form(SELF_CARE), "age_years": "300"})
    assert reply.status_code == 422
    # the page names the question, not the key (docs/safety.md)
    assert "Question 18 (your age): 300 is outside 0 to 120; check what you typed, or " \
           "choose “Not sure”." in html_module.unescape(text_of(reply.text))
    assert '<a href="#q-age_years">Question 18 (your age): 300' in reply.text


def test_not_sure_for_a_number(client: TestClient) -> None:
    form = {**triage_form(SELF_CARE), "age_years_unsure": "unsure"}
    del form["age_years"]
    assert triage(client, SELF_CARE).status_code == 200
    reply = post(client, "/triage", form)
    assert reply.status_code == 200
    assert client.get("/triage/answers.json").json()["age_years"] == "unsure"


def test_startback_is_all_or_nothing(client: TestClient) -> None:
    form = {k: v for k, v in triage_form(SELF_CARE).items() if k != "startback_3"}
    reply = post(client, "/triage", form)
    assert reply.status_code == 422
    assert 'Triage answer "startback" item 3 is null' in text_of(reply.text)
    assert 'name="startback_1" value="0" checked' in reply.text  # the rest are kept
    without = {k: v for k, v in form.items() if not k.startswith("startback_")}
    assert "STarT Back" not in text_of(post(client, "/triage", without).text).split("Why")[1]


def test_emergency_check_for_the_script(client: TestClient) -> None:
    token = csrf_of(client, "/triage")
    headers = {"X-CSRF-Token": token}
    yes = client.post("/triage/check", data={"trauma": "minor",
                                              "osteoporosis_or_steroids": "yes"}, headers=headers)
    no = client.post("/triage/check", data={"trauma": "minor",
                                             "osteoporosis_or_steroids": "no"}, headers=headers)
    assert yes.json() == {"emergency": True} and no.json() == {"emergency": False}
    assert client.post("/triage/check", data={"trauma": "minor"}).status_code == 403


def test_answers_file_upload(client: TestClient) -> None:
    token = csrf_of(client, "/triage")
    reply = client.post("/triage/upload", data={"csrf_token": token}, files={
        "file": ("answers.json", json.dumps(URGENT).encode(), "application/json")})
    assert 'class="banner urgent"' in reply.text
    bad = client.post("/triage/upload", data={"csrf_token": token},
                      files={"file": ("answers.json", b"{not json", "application/json")})
    assert bad.status_code == 422 and "answers.json is not valid JSON" in bad.text


# --- self-tests ------------------------------------------------------------------------------


def test_selftests_wait_for_triage(client: TestClient) -> None:
    page = client.get("/selftests")
    assert "Answer the red-flag questions first" in page.text
    assert '<a class="button" href="/triage">' in page.text and "<fieldset" not in page.text
    refused = post(client, "/selftests", selftest_form(demo_selftests()))
    assert refused.status_code == 409 and "Answer the red-flag questions first" in refused.text


def test_selftests_wait_while_triage_is_urgent(client: TestClient) -> None:
    triage(client, URGENT)
    page = client.get("/selftests")
    assert "Your last triage was urgent" in text_of(page.text)
    assert 'href="/clearance"' in page.text


def test_selftests_after_triage_show_the_results_table(client: TestClient) -> None:
    triage(client, SELF_CARE)
    form = client.get("/selftests").text
    assert form.count("<fieldset") == 1 + len(SELF_TESTS)  # sex, then every test
    assert "Stopped by pain" in form and 'name="sex"' in form
    reply = post(client, "/selftests", selftest_form(demo_selftests()), page="/selftests")
    assert reply.status_code == 200 and reply.url.path == "/selftests/result"
    rows = {text_of(m).strip() for m in re.findall(r"<tr class=\"status-[^>]*>.*?</tr>",
                                                    reply.text, flags=re.S)}
    bridge = next(r for r in rows if "Single-leg bridge (left)" in r)
    assert bridge.startswith("Fails Single-leg bridge (left) 16 reps < 20 reps")
    assert next(r for r in rows if "Thomas test (left)" in r).startswith(
        "Fails Thomas test (left) fail – Your Thomas test (left): fail.")
    plank = next(r for r in rows if "Prone plank" in r)
    assert plank.startswith("OK Prone plank 60 s < 20 s women / < 52 s men heuristic")
    text = text_of(reply.text)
    assert "weak gluteus medius" in text and "tight hip flexors" in text
    assert "Sex not given: the female cut-offs were used." in text
    assert ("Not done: Single-leg squat (left), Single-leg squat (right), Active knee "
            "extension (left), Active knee extension (right).") in text
    assert client.get("/selftests/results.json").json()["single_leg_bridge_left_reps"] == 16


def test_selftest_values_are_checked_and_kept(client: TestClient) -> None:
    triage(client, SELF_CARE)
    reply = post(client, "/selftests", {"prone_plank_s": "-5", "side_bridge_left_s": "40",
                                        "thomas_test_left_pain": "stopped_pain"},
                 page="/selftests")
    assert reply.status_code == 422
    # In the form's words, not the file's key (prone_plank_s): issue #14 item 7.
    assert '<a href="#t-prone_plank_s">Prone plank: -5 seconds is outside what this test can ' \
           'measure (0 to 1800 seconds); check what you typed.</a>' in reply.text
    assert "prone_plank_s =" not in reply.text
    assert 'name="side_bridge_left_s" type="number" inputmode="decimal" min="0" max="1800" ' \
           'step="any" value="40"' in reply.text


def test_stopped_by_pain_is_recorded(client: TestClient) -> None:
    triage(client, SELF_CARE)
    reply = post(client, "/selftests", {"sex": "male", "prone_plank_s_pain": "stopped_pain",
                                        "trendelenburg_left": "stopped_pain"}, page="/selftests")
    assert reply.text.count('<span class="tag act">Pain</span>') == 2
    saved = client.get("/selftests/results.json").json()
    assert saved == {"schema": "backstride.selftests/1", "sex": "male",
                     "prone_plank_s": "stopped_pain", "trendelenburg_left": "stopped_pain"}


# --- plan ------------------------------------------------------------------------------------


def make_plan(client: TestClient) -> Any:
    return post(client, "/plan/make", {})


def test_plan_needs_triage_first(client: TestClient) -> None:
    assert "Start with the red-flag questions" in client.get("/plan").text
    reply = make_plan(client)
    assert reply.status_code == 422 and "No triage on record" in reply.text
    assert client.get("/plan/workouts.zip").status_code == 404


def test_plan_without_runs_has_week_rows(client: TestClient) -> None:
    triage(client, SELF_CARE)
    reply = make_plan(client)
    assert reply.status_code == 200 and reply.url.path == "/plan"
    html = reply.text
    assert html.index('class="banner self_care"') < html.index("<h1>Your plan</h1>")
    # No cadence steps: still 6 dated weeks of easy runs at the usual cadence (assumed length)
    assert len(re.findall(r'<tr class="week', html)) == 6
    assert html.count("easy run 20 min</div>") == 3
    assert "self-tests again" in html and "No cadence baseline" in html
    assert '<iframe class="report plan-report" src="/plan/report" title="Printable plan" ' \
           'sandbox' in html
    report = client.get("/plan/report")
    assert report.status_code == 200 and "Your running plan" in report.text
    zipped = client.get("/plan/workouts.zip")  # one per run, without a cadence target
    assert zipped.status_code == 200
    assert len(zipfile.ZipFile(io.BytesIO(zipped.content)).namelist()) == 18


def test_plan_from_a_run_has_cadence_weeks_and_downloads(client: TestClient,
                                                         one_run: Settings) -> None:
    triage(client, SELF_CARE)
    post(client, "/selftests", selftest_form(demo_selftests()), page="/selftests")
    html = make_plan(client).text
    rows = [text_of(r) for r in re.findall(r'<tr class="week.*?</tr>', html, flags=re.S)]
    assert len(rows) == 6
    assert rows[0].split()[0] == "1" and "164 spm" in rows[0] and "162–166 spm" in rows[0]
    assert rows[3].split()[0] == "4" and "172 spm" in rows[3]
    assert 'data-spm="164"' in html and 'value="164"' in html
    assert "Side-lying hip abduction" in html  # weak glutes from the self-tests
    plan = client.get("/plan/plan.json").json()
    assert plan["cadence_steps"][0]["target_spm"] == 164.0
    runs = [run for week in plan["weeks"] for run in week["runs"]]
    assert len(runs) == 18 and all(run["title"] in html for run in runs)
    with zipfile.ZipFile(io.BytesIO(client.get("/plan/workouts.zip").content)) as archive:
        names = archive.namelist()
        assert names == sorted(names) and len(names) == 18
        assert [n[:10] for n in names] == [run["date"] for run in runs]
        assert all(n.endswith(".fit") for n in names)
        assert archive.read(names[0])[8:12] == b".FIT"
    calendar = client.get("/plan/plan.ics")
    assert calendar.headers["content-type"].startswith("text/calendar")
    assert calendar.text.startswith("BEGIN:VCALENDAR")
    assert f"week 1: {runs[0]['title']}" in calendar.text.replace("\r\n ", "")


@pytest.mark.parametrize(("units", "shown"), [("metric", "643.74 km"), ("imperial", "400.00 mi")])
def test_plan_distances_follow_the_units_setting(tmp_path: Path, units: str, shown: str) -> None:
    from backstride.web.app import create_app

    settings = Settings(data_dir=tmp_path / "data", units=units)
    workflows.add_shoe(settings=settings, name="Pegasus", start_distance_m=643_737.6,
                       default_from=None, default_to=None)
    with TestClient(create_app(settings), base_url="http://127.0.0.1:8765") as client:
        triage(client, SELF_CARE)
        html = make_plan(client).text
    assert f"Pegasus: {shown}" in text_of(html)


def test_metronome_wav(client: TestClient) -> None:
    reply = client.get("/plan/metronome-170.wav")
    assert reply.status_code == 200
    assert reply.headers["content-disposition"] == 'attachment; filename="metronome-170spm.wav"'
    data = reply.content
    assert data[:4] == b"RIFF" and data[8:12] == b"WAVE"
    with wave.open(io.BytesIO(data)) as track:
        assert (track.getframerate(), track.getnchannels(), track.getsampwidth()) == (44100, 1, 2)
        assert track.getnframes() / track.getframerate() == pytest.approx(300, abs=0.05)
    assert client.get("/plan/metronome-500.wav").status_code == 422
    assert client.get("/plan/metronome-170.wav?minutes=90").status_code == 422


def test_urgent_plan_is_held_until_a_clearance(client: TestClient) -> None:
    triage(client, URGENT)
    html = make_plan(client).text
    assert html.index('class="banner urgent"') < html.index("Plan on hold")
    assert "no running progression or exercise until a clinician has seen you" in html
    assert 'action="/clearance"' in html and 'name="by"' in html
    assert '<tr class="week' not in html and 'data-metronome' not in html
    today = datetime.now(UTC).date().isoformat()
    reply = post(client, "/clearance", {"by": "Dr Rao", "date": today, "note": "fine to run"},
                 page="/plan")
    assert reply.url.path == "/plan"
    assert "A clinician's clearance is recorded." in reply.text
    html = make_plan(client).text
    assert "Plan on hold" not in html and "Cleared by a clinician" in html
    # a cleared plan opens with the clearance, not with the old urgent action
    assert html.index("Cleared by Dr Rao on") < html.index("<h1>Your plan</h1>")
    assert "See a doctor within 1–2 days" not in html
    assert len(re.findall(r'<tr class="week', html)) == 6  # 6 dated weeks, no baseline
    assert "Self-tests wait" not in client.get("/selftests").text


def test_clearance_problems_are_shown_on_the_form(client: TestClient) -> None:
    triage(client, URGENT)
    reply = post(client, "/clearance", {"by": "Dr Rao", "date": "2999-01-01"}, page="/clearance")
    assert reply.status_code == 422 and "is in the future" in reply.text
    assert 'value="Dr Rao"' in reply.text


# --- in a real browser -----------------------------------------------------------------------


def answer(page: Any, name: str, label: str) -> None:
    page.locator(f"#q-{name} label.choice", has_text=label).first.click()


@pytest.mark.browser
def test_red_flag_in_the_browser_leads_to_the_emergency_page(live_server: str,
                                                             page: Any) -> None:
    page.goto(f"{live_server}/triage")
    notice = page.locator("#emergency-notice")
    assert not notice.is_visible()
    answer(page, "bladder_change", "Yes")
    notice.wait_for(state="visible")
    assert "This answer needs emergency care" in notice.inner_text()
    page.get_by_role("button", name="See the result now").click()
    page.wait_for_url(f"{live_server}/triage/result")
    assert page.locator("body").inner_text().lstrip().startswith("EMERGENCY")
    action = page.locator("h1.emergency-action")
    assert action.is_visible()
    assert action.inner_text().startswith("Go to an emergency department now")
    assert float(action.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")) >= 30
    assert page.get_by_role("link", name="Download my answers (JSON)").is_visible()
    screenshot(page, "triage-emergency")


def answer_self_care(page: Any) -> None:
    numbers = {"age_years": "38", "pain_days": "12", "pain_now_0_10": "3", "self_care_days": "4"}
    for key in ANSWER_KEYS:
        if key.name in numbers:
            page.locator(f"#in-{key.name}").fill(numbers[key.name])
        else:
            answer(page, key.name, "Yes" if key.name == "improving" else "No")
    page.get_by_role("button", name="See my result").click()


def full_height(page: Any) -> None:
    """A viewport as tall as the page: Chromium leaves a frame below the fold blank in a
    full-page screenshot otherwise."""
    height = page.evaluate("document.documentElement.scrollHeight")
    page.set_viewport_size({"width": 1280, "height": height})
    page.wait_for_timeout(300)


@pytest.mark.browser
def test_self_care_plan_and_metronome_in_the_browser(live_server: str, page: Any,
                                                     one_run: Settings) -> None:
    page.goto(f"{live_server}/triage")
    answer_self_care(page)
    page.wait_for_url(f"{live_server}/triage/result")
    assert "Stay active" in page.locator(".banner.self_care").inner_text()
    page.get_by_role("link", name="Go to my plan").click()
    page.get_by_role("button", name="Make my plan").click()
    page.wait_for_url(f"{live_server}/plan")
    assert page.locator("table.weeks tbody tr").count() == 6
    page.locator("iframe.plan-report").scroll_into_view_if_needed()  # it loads lazily
    page.frame_locator("iframe.plan-report").locator("h1").wait_for()
    full_height(page)
    screenshot(page, "plan")

    toggle = page.get_by_role("button", name="Start metronome")
    assert page.locator("#metronome-spm").input_value() == "164"
    toggle.click()
    page.wait_for_timeout(1500)
    state = page.evaluate("window.backstrideMetronome")
    assert state["playing"] and state["spm"] == 164 and state["ticks"] > 3
    gaps = [b - a for a, b in pairwise(state["times"])]
    assert gaps == pytest.approx([60 / 164] * len(gaps), abs=1e-9)
    pressed = page.locator("[data-metronome-toggle]")
    assert pressed.get_attribute("aria-pressed") == "true"
    assert "Playing 164 steps per minute." in page.locator("[data-metronome-status]").inner_text()
    page.locator("#metronome").scroll_into_view_if_needed()
    screenshot(page, "metronome")
    page.locator("#metronome-spm").fill("180")
    page.wait_for_timeout(1200)
    times = page.evaluate("window.backstrideMetronome.times")[-3:]  # after the change
    gaps = [b - a for a, b in pairwise(times)]
    assert gaps == pytest.approx([60 / 180] * 2, abs=1e-9)
    assert page.locator("[data-metronome-wav]").get_attribute("href") == (
        "/plan/metronome-180.wav")
    pressed.click()
    ticks = page.evaluate("window.backstrideMetronome.ticks")
    page.wait_for_timeout(400)
    assert page.evaluate("window.backstrideMetronome.ticks") == ticks
    assert pressed.get_attribute("aria-pressed") == "false"


@pytest.mark.browser
def test_triage_fits_a_phone(live_server: str, browser: Any) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2,
                                  is_mobile=True, has_touch=True)
    try:
        phone = context.new_page()
        phone.goto(f"{live_server}/triage")
        answer(phone, "bladder_change", "No")
        assert phone.evaluate("document.documentElement.scrollWidth") <= 390 + 1
        screenshot(phone, "triage-phone")
        phone.goto(f"{live_server}/selftests")
        assert phone.evaluate("document.documentElement.scrollWidth") <= 390 + 1
    finally:
        context.close()


def test_home_page_today_card_says_this_week_and_the_hold_first(client: TestClient) -> None:
    assert "Today, " not in client.get("/").text  # no triage: no card
    triage(client, SELF_CARE)
    assert "make your plan to see today's run here" in client.get("/").text
    make_plan(client)
    plan = client.get("/plan/plan.json").json()
    home = client.get("/").text
    today = datetime.now(UTC).date().isoformat()
    assert plan["start_date"] == today  # the first day is a rest day
    card = home[home.index('<section class="card today"'):]
    card = card[:card.index("</section>")]
    assert f'<time datetime="{today}">' in card and "Week 1 of 6" in card
    assert "rest day from running; next run" in card
    assert all(run["title"] in card for run in plan["weeks"][0]["runs"])
    assert "pain 0-10 this morning" in card
    assert f"Latest change (<time datetime=\"{today}\">{today}</time>, start): plan starts " \
        f"{today}" in card
    triage(client, URGENT)
    home = client.get("/").text
    card = home[home.index('<section class="card today"'):]
    card = card[:card.index("</section>")]
    assert "Plan on hold." in card and "spm" not in card and "Exercises due" not in card


def test_plan_first_day_from_the_form_is_kept_and_bad_days_are_refused(
        client: TestClient) -> None:
    triage(client, SELF_CARE)
    today = datetime.now(UTC).date()
    start = (today + timedelta(days=4)).isoformat()
    reply = post(client, "/plan/make", {"start": start}, page="/plan")
    assert reply.status_code == 200 and reply.url.path == "/plan"
    assert f'name="start" aria-describedby="plan-start-help" value="{start}"' in reply.text
    assert client.get("/plan/plan.json").json()["start_date"] == start
    assert make_plan(client).status_code == 200  # empty field: the first day is kept
    assert client.get("/plan/plan.json").json()["start_date"] == start
    bad = post(client, "/plan/make", {"start": "next week"}, page="/plan")
    assert bad.status_code == 422 and "is not a date" in html_module.unescape(bad.text)
    past = post(client, "/plan/make", {"start": (today - timedelta(days=3)).isoformat()},
                page="/plan")
    assert past.status_code == 422 and "is in the past" in past.text

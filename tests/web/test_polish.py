"""The web app as a runner meets it (issue #14 item 7), without a browser: error pages with one
heading and the next step, every problem of a form at once in plain words, progress that says
what it counts and the time left, and job polling that the back button never shows as JSON.
The browser half (axe-core on every page, 360 px) is tests/web/test_pages_a11y.py."""

from __future__ import annotations

import html
import re
import threading
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from backstride import workflows
from backstride.config import Settings
from backstride.errors import StorageError
from backstride.web.app import create_app
from backstride.web.jobs import progress_text, seconds_left, time_left_text
from backstride.web.routes_video import VIDEO_PHASES
from backstride.workflows.imports import import_file_count
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


# ---------------------------------------------------------------- progress in words


def test_progress_says_what_it_counts_and_the_time_left() -> None:
    assert seconds_left(360, 720, 40.0) == pytest.approx(40.0)
    assert seconds_left(360, 720, 1.0) is None  # too soon to tell
    assert seconds_left(0, 720, 30.0) is None and seconds_left(5, None, 30.0) is None
    assert progress_text("frame", 360, 720, 40.0) == "frame 360 of 720, about 40 s left"
    assert progress_text("file", 12, 60, 200.0) == "file 12 of 60, about 3 min left"
    assert progress_text("file", 12, 60, None) == "file 12 of 60"
    assert progress_text("file", 12, None, None) == "12 files so far"
    assert progress_text("file", 1, None, None) == "1 file so far"
    assert progress_text("frame", 0, None, None) == "starting"
    assert progress_text("file", 0, None, None, state="queued") == \
        "waiting for the job before it to finish"
    assert time_left_text(4) == "a few seconds left"
    assert time_left_text(4000) == "about 1 h 7 min left"


def test_a_video_job_names_its_pass() -> None:
    # 360 frames posed, then drawn into the annotated copy: 720 steps in all.
    assert progress_text("frame", 180, 720, 30.0, phases=VIDEO_PHASES) == \
        "pose estimation (1 of 2): frame 180 of 360, about 30 s left"
    assert progress_text("frame", 540, 720, 10.0, phases=VIDEO_PHASES) == \
        "drawing the annotated copy (2 of 2): frame 180 of 360, about 10 s left"
    assert progress_text("frame", 720, 720, 0.0, phases=VIDEO_PHASES) == \
        "drawing the annotated copy (2 of 2): frame 360 of 360, a few seconds left"


def test_a_job_reports_its_progress_sentence_in_its_json(client: TestClient) -> None:
    hold = threading.Event()

    def work(progress: Any) -> str:
        progress(12, 60)
        hold.wait(30)
        return "/runs"

    job = client.app.state.jobs.submit(  # type: ignore[attr-defined]
        "Importing export.zip", work, counts="file")
    try:
        for _ in range(100):
            got = client.get(f"/jobs/{job.id}", headers={"Accept": "application/json"})
            if got.json()["done"] == 12:
                break
            time.sleep(0.02)
        assert got.json()["progress"] == "file 12 of 60"  # no time left in the first 2 s
        assert got.json()["counts"] == "file"
        assert got.headers["cache-control"] == "no-store" and got.headers["vary"] == "Accept"
        page = client.get(f"/jobs/{job.id}")
        assert "Importing export.zip: file 12 of 60" in page.text
        assert page.headers["cache-control"] == "no-store"
    finally:
        hold.set()


def test_an_import_counts_the_files_its_zip_names(tmp_path: Path) -> None:
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        for k in range(3):
            zipped.writestr(f"activities/run-{k}.fit", b"x")
        zipped.writestr("activities/run-3.TCX.GZ", b"x")
        zipped.writestr("clips/side.mp4", b"x")
        zipped.writestr("activities/", b"")
        zipped.writestr("profile.json", b"{}")
    assert import_file_count(archive) == 5
    only_xml = tmp_path / "apple.zip"
    with zipfile.ZipFile(only_xml, "w") as zipped:
        zipped.writestr("apple_health_export/export.xml", b"<HealthData/>")
    assert import_file_count(only_xml) is None  # workouts inside one XML: not told up front
    single = tmp_path / "run.fit"
    single.write_bytes(b"x")
    assert import_file_count(single) == 1


# ---------------------------------------------------------------- every problem at once

LEAKS = re.compile(r"--[a-z]|\b(inf|nan|Infinity)\b|[a-z]+_[a-z_]+ =|\b(age_years|pain_days|"
                   r"onset_min|onset_km|start_distance|prone_plank_s)\b")


def problems_on(reply: Any) -> list[str]:
    """The sentences of the page's problem box, one per item (or its one paragraph)."""
    box = reply.text[reply.text.index('class="card problem"'):]
    box = box[:box.index("</section>")]
    items = re.findall(r"<li>(.*?)</li>", box, re.S) or re.findall(r"<p>(.*?)</p>", box, re.S)
    return [html.unescape(re.sub(r"<[^>]+>", "", item)).strip() for item in items]


def send(client: TestClient, url: str, data: dict[str, str], page: str) -> Any:
    return client.post(url, data={"csrf_token": csrf_of(client, page), **data},
                       follow_redirects=False)


def test_the_pain_form_lists_every_problem_in_its_own_words(client: TestClient) -> None:
    reply = send(client, "/pain", {"score": "", "onset_min": "inf", "onset_km": "-3",
                                   "recorded_on": "2099-01-01", "kind": "during"}, "/pain")
    assert reply.status_code == 422
    found = problems_on(reply)
    assert len(found) == 4, found
    assert found[0] == "Choose a pain score: 0 (none) to 10 (worst)."
    assert found[1].startswith("Began at minute: “inf” is not a number of minutes")
    assert found[2] == "“Began at km” -3 is out of range (0 to 400)."
    assert found[3].startswith("The date 2099-01-01 is after today")
    assert "Nothing was saved: 4 things to fix" in reply.text
    assert not any(LEAKS.search(text.replace("“inf”", "")) for text in found), found
    assert 'value="inf"' in reply.text  # what was typed stays in the form


def test_a_pain_onset_past_the_runs_end_is_in_the_forms_words(client: TestClient,
                                                               settings: Settings,
                                                               tmp_path: Path) -> None:
    from tests.web.test_history_pages import import_runs

    [run] = import_runs(settings, tmp_path, [0])  # a 5-minute run
    reply = send(client, "/pain", {"score": "4", "kind": "during", "onset_min": "12",
                                   "run": str(run.id)}, "/pain")
    assert reply.status_code == 422
    [problem] = problems_on(reply)
    assert problem.startswith(f"“Began at minute” 12 is past the end of run {run.id}")
    assert "(or leave “Began at minute” out)" in problem and "--" not in problem


def test_the_shoe_form_lists_every_problem(client: TestClient) -> None:
    reply = send(client, "/shoes", {"name": " ", "start_distance": "1e999", "start_unit": "km",
                                    "default_from": "2024-05-01", "default_to": "2024-04-01"},
                 "/shoes")
    assert reply.status_code == 422
    assert problems_on(reply) == [
        "Distance it has already run: “1e999” is not a number of km; type it with digits "
        "(for example 12.5), or leave it empty if you do not know.",
        "A shoe needs a name (for example 'Pegasus 40 blue').",
        "“To” is before “From”."]
    miles = send(client, "/shoes", {"name": "Old", "start_distance": "4000",
                                    "start_unit": "mi"}, "/shoes")
    assert problems_on(miles) == ["Distance it has already run: 4000 mi is not plausible; "
                                  "give 0 to 3,107 mi (0 for new shoes)."]


def test_the_self_test_form_lists_every_result_to_check(client: TestClient) -> None:
    from backstride.core.simulate import demo_answers

    workflows.assess_back(demo_answers(), settings=client.app.state.settings)  # type: ignore[attr-defined]
    reply = send(client, "/selftests", {"trunk_flexor_hold_s": "inf", "prone_plank_s": "abc",
                                        "side_bridge_left_s": "-1",
                                        "single_leg_bridge_left_reps": "12.5"}, "/selftests")
    assert reply.status_code == 422
    found = problems_on(reply)
    assert found == [
        "Trunk flexor hold: “inf” is not a number; type the seconds you measured with digits, "
        "or leave it empty if you did not do the test.",
        "Side bridge (left): -1 seconds is outside what this test can measure (0 to 1800 "
        "seconds); check what you typed.",
        "Prone plank: “abc” is not a number; type the seconds you measured with digits, or "
        "leave it empty if you did not do the test.",
        "Single-leg bridge (left): 12.5 is not a whole number of full repetitions; count full "
        "repetitions only."], found
    assert "Please check 4 results" in reply.text
    assert workflows.latest_selftests(settings=client.app.state.settings) is None  # type: ignore[attr-defined]


def test_the_triage_form_names_every_bad_number_by_its_question(client: TestClient) -> None:
    from tests.web.test_care_pages import SELF_CARE, triage_form

    reply = send(client, "/triage", {**triage_form(SELF_CARE), "age_years": "-3",
                                     "pain_days": "1e9", "pain_now_0_10": "11"}, "/triage")
    assert reply.status_code == 422
    assert problems_on(reply) == [
        "Question 18 (your age): “-3” is not a whole number; type it with digits (0 to 120), "
        "or choose “Not sure”.",
        "Question 22 (how long the pain has lasted): “1e9” is not a whole number; type it "
        "with digits (0 to 43830), or choose “Not sure”.",
        "Question 26 (how bad the pain is now): 11 is outside 0 to 10; check what you typed, "
        "or choose “Not sure”."]


def test_a_plan_start_in_the_past_names_the_date_field(client: TestClient) -> None:
    from tests.web.test_care_pages import SELF_CARE, triage

    triage(client, SELF_CARE)
    reply = send(client, "/plan/make", {"start": "2001-01-01"}, "/plan")
    assert reply.status_code == 422
    [problem] = problems_on(reply)
    assert problem.startswith("The first day 2001-01-01 is in the past (today is ")
    assert "--start" not in reply.text
    assert '<a class="button" href="#plan-start">Change the first day</a>' in reply.text
    assert 'href="/triage">Answer the red-flag questions' not in reply.text

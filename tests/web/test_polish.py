"""The web app as a runner meets it (issue #14 item 7), without a browser: error pages with one
heading and the next step, every problem of a form at once in plain words, progress that says
what it counts and the time left, and job polling that the back button never shows as JSON.
The browser half (axe-core on every page, 360 px) is tests/web/test_pages_a11y.py."""

from __future__ import annotations

import re
import threading
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

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

"""Videos in the web app: upload through /analyse, the background job and its errors, the
result page (report frame, <video>, downloads), Range requests on the annotated MP4, the bounded
set of kept results, and in team mode a result that only its owner can open. A finished job's
clip is saved to the runner's history; /videos lists the stored clips and
/videos/stored/{id} shows one (report rebuilt from its keypoints, JSON as stored).

Results are registered directly (``app.state.video_results``) and clips stored directly
(``Store.save_video`` of a simulated runner's keypoints) where a test is about serving them;
the upload flow test swaps the model for simulated keypoints, so only the error tests and the
slow browser test need the video extra and the model.
"""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from backstride import workflows
from backstride.config import Settings
from backstride.core.report import VideoReport, build_video_report
from backstride.core.simulate_pose import RunnerSpec, simulate_pose
from backstride.web.app import create_app
from backstride.web.routes_video import KEEP_VIDEOS, VideoResult
from backstride.web.security import REPORT_CSP
from backstride.workflows.video import file_sha256, save_video_report
from tests.conftest import fixture_file
from tests.web.conftest import csrf_of, screenshot
from tests.web.test_runs_pages import Watcher, submit, wait_for_job

PASSWORD = "correct horse battery"
MP4 = bytes(range(256)) * 40  # served as is: Range handling does not look inside


@pytest.fixture
def video_extra() -> None:
    pytest.importorskip("av", reason="needs the video extra")
    pytest.importorskip("mediapipe", reason="needs the video extra")


def upload(client: TestClient, name: str, data: bytes, **fields: str) -> Any:
    token = csrf_of(client, "/analyse")
    return client.post("/analyse", data={"csrf_token": token, **fields},
                       files={"file": (name, data, "application/octet-stream")},
                       follow_redirects=False)


def kept_result(client: TestClient, folder: Path, *, owner: str | None = None,
                name: str = "easy-run.mp4") -> str:
    """A finished video result as the job leaves it (report, annotated MP4, JSON); its URL."""
    folder.mkdir(parents=True)
    (folder / "report.html").write_text(
        "<!doctype html><title>r</title><h2>Cadence</h2><script>1</script>", encoding="utf-8")
    (folder / "annotated.mp4").write_bytes(MP4)
    analysis = {
        "schema": "backstride.analysis/1", "metrics": {"cadence_spm": {"value": 168.6}},
        "findings": [], "activity": {"duration_s": 12.0},
        "video": {"view": "side", "view_detected": True, "width_px": 720, "height_px": 1280,
                  "frame_rate_hz": 30.0, "cadence_confidence": "high"}}
    (folder / "analysis.json").write_text(json.dumps(analysis), encoding="utf-8")
    token = uuid.uuid4().hex
    client.app.state.video_results.add(  # type: ignore[attr-defined]
        VideoResult(token=token, owner=owner, name=name, folder=folder, analysis=analysis,
                    video_id=7, newly_stored=True))
    return f"/videos/{token}"


def simulated_report(name: str = "clip.mp4", sha: str = "a" * 64) -> VideoReport:
    """A side-view report of a simulated runner (~170 spm): no clip, no model."""
    return build_video_report(simulate_pose(RunnerSpec()), source_name=name, sha256=sha)


def store_clip(settings: Settings, *, runner: str = "me", name: str = "stored-run.mp4",
               sha: str = "c" * 64) -> int:
    """A clip in the history as ``backstride import`` keeps it (analysis and keypoints); its id."""
    _new, video_id = save_video_report(simulated_report(name, sha), name=name,
                                       settings=settings, runner=runner)
    return video_id


# ---------------------------------------------------------------- uploads and jobs


@pytest.mark.video
@pytest.mark.slow
def test_a_clip_without_a_person_shows_the_workflows_error(
        client: TestClient, tmp_path: Path, video_extra: None,
        monkeypatch: pytest.MonkeyPatch) -> None:
    import tempfile

    from tests.adapters.clips import make_clip

    uploads = tmp_path / "uploads"
    uploads.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(uploads))
    clip = make_clip(tmp_path / "square.mp4", width=160, height=96, frames=30)
    reply = upload(client, "square.mp4", clip.read_bytes(), view="side", height_m="1.75")
    assert reply.status_code == 303, reply.text
    assert re.fullmatch(r"/jobs/[0-9a-f]{32}", reply.headers["location"])
    job = wait_for_job(client, reply.headers["location"], timeout_s=240)  # a loaded machine
    assert job["state"] == "failed", job
    assert job["error"].startswith("No person was found in square.mp4"), job
    page = client.get(reply.headers["location"])
    assert "No person was found in square.mp4" in page.text
    assert 'role="alert"' in page.text and "Traceback" not in page.text
    assert list(uploads.iterdir()) == []  # a failed job leaves no folder behind


@pytest.mark.video
def test_a_file_that_is_not_a_video_is_one_line(client: TestClient, video_extra: None) -> None:
    reply = upload(client, "clip.mp4", b"this is not a video at all\n" * 50)
    job = wait_for_job(client, reply.headers["location"], timeout_s=240)
    assert job["state"] == "failed", job
    error: str = job["error"]
    assert "clip.mp4 is not a video backstride can read" in error
    assert "\n" not in error and "Traceback" not in error
    assert error in client.get(reply.headers["location"]).text.replace("&#39;", "'")


def test_a_damaged_mp4_is_reported_without_a_traceback(client: TestClient) -> None:
    """A file whose first bytes say MP4 goes to the video worker whatever its name; without
    the extra the error names the pip command, with it the decoder's complaint: one line."""
    reply = upload(client, "upload.bin", b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 4000)
    assert reply.status_code == 303
    job = wait_for_job(client, reply.headers["location"], timeout_s=240)
    assert job["state"] == "failed" and job["label"] == "Analysing upload.bin", job
    assert "\n" not in job["error"] and "Traceback" not in job["error"]


@pytest.mark.parametrize("height", ["3", "0.5", "2.51", "tall", "nan", "inf", "-1.7"])
def test_height_outside_0_8_to_2_5_m_is_refused(client: TestClient, height: str) -> None:
    reply = upload(client, "clip.mp4", MP4, height_m=height)
    assert reply.status_code == 422
    assert "Height must be in metres, between 0.8 and 2.5" in reply.text


def test_unknown_view_is_refused(client: TestClient) -> None:
    reply = upload(client, "clip.mp4", MP4, view="above")
    assert reply.status_code == 422 and "choose auto, side, rear or front" in reply.text


def test_the_form_offers_video_view_and_height(client: TestClient) -> None:
    html = client.get("/analyse").text
    assert "running video" in html and 'name="view"' in html
    assert 'name="height_m"' in html and 'min="0.8"' in html and 'max="2.5"' in html
    assert "does not store videos" not in html and 'href="/videos"' in html


def test_an_oversized_video_is_refused_without_keeping_it(
        client: TestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import tempfile

    from backstride.web import routes_video

    uploads = tmp_path / "uploads"
    uploads.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(uploads))
    monkeypatch.setattr(routes_video, "VIDEO_MAX_BYTES", 3 * 1024 * 1024)
    reply = upload(client, "long.mp4", b"\x00" * (3 * 1024 * 1024 + 1))
    assert reply.status_code == 413 and "larger than 512 MB" in reply.text
    assert list(uploads.iterdir()) == []


# ---------------------------------------------------------------- the result page and files


def test_result_page_has_the_report_frame_the_video_and_downloads(
        client: TestClient, tmp_path: Path) -> None:
    url = kept_result(client, tmp_path / "r")
    page = client.get(url)
    assert page.status_code == 200
    assert f'<iframe class="report" src="{url}/report"' in page.text
    assert 'sandbox="allow-scripts"' in page.text
    assert f'<video class="clip" controls preload="metadata" playsinline src="{url}/annotated' \
           '.mp4"' in page.text
    assert f'href="{url}/analysis.json" download="easy-run.analysis.json"' in page.text
    assert 'download="easy-run-annotated.mp4"' in page.text
    assert "does not store videos" not in page.text
    assert 'Saved to your history as <a href="/videos/stored/7">video 7</a>' in page.text
    assert "168.6" in page.text and "side view" in page.text
    # The app's own pages never allow inline scripts; the report frame does, sandboxed.
    assert "'unsafe-inline'" not in page.headers["content-security-policy"].split(
        "script-src")[1].split(";")[0]
    report = client.get(f"{url}/report")
    assert report.status_code == 200 and report.headers["content-type"].startswith("text/html")
    assert report.headers["content-security-policy"] == REPORT_CSP
    assert "sandbox allow-scripts" in report.headers["content-security-policy"]
    data = client.get(f"{url}/analysis.json")
    assert data.headers["content-type"] == "application/json"
    assert 'attachment; filename="easy-run.analysis.json"' in data.headers["content-disposition"]
    assert data.json()["metrics"]["cadence_spm"]["value"] == 168.6


def test_annotated_mp4_answers_range_requests(client: TestClient, tmp_path: Path) -> None:
    url = kept_result(client, tmp_path / "r") + "/annotated.mp4"
    whole = client.get(url)
    assert whole.status_code == 200 and whole.content == MP4
    assert whole.headers["content-type"] == "video/mp4"
    assert whole.headers["accept-ranges"] == "bytes"
    assert whole.headers["content-disposition"].startswith("inline;")
    assert whole.headers["x-content-type-options"] == "nosniff"
    part = client.get(url, headers={"Range": "bytes=100-1123"})
    assert part.status_code == 206
    assert part.headers["content-range"] == f"bytes 100-1123/{len(MP4)}"
    assert part.headers["content-length"] == "1024" and part.content == MP4[100:1124]
    assert part.headers["content-type"] == "video/mp4"
    tail = client.get(url, headers={"Range": "bytes=-16"})
    assert tail.status_code == 206 and tail.content == MP4[-16:]
    opened = client.get(url, headers={"Range": "bytes=10000-"})
    assert opened.status_code == 206 and opened.content == MP4[10000:]
    beyond = client.get(url, headers={"Range": f"bytes={len(MP4) + 10}-"})
    assert beyond.status_code == 416


def test_only_the_last_few_results_are_kept_and_the_rest_deleted(
        settings: Settings, tmp_path: Path) -> None:
    with TestClient(create_app(settings), base_url="http://127.0.0.1:8765") as client:
        urls = [kept_result(client, tmp_path / f"r{i}") for i in range(KEEP_VIDEOS + 2)]
        assert not (tmp_path / "r0").exists() and not (tmp_path / "r1").exists()
        for url in urls[:2]:
            gone = client.get(url)
            assert gone.status_code == 404 and "no longer kept" in gone.text
            assert client.get(f"{url}/annotated.mp4").status_code == 404
        for url in urls[2:]:
            assert client.get(url).status_code == 200
    # Shutting the app down deletes the kept results' folders too.
    assert not any((tmp_path / f"r{i}").exists() for i in range(KEEP_VIDEOS + 2))


@pytest.mark.parametrize("path", ["/videos/" + "0" * 32, "/videos/" + "0" * 32 + "/report",
                                  "/videos/" + "0" * 32 + "/annotated.mp4",
                                  "/videos/../etc/passwd", "/videos/ABC/analysis.json"])
def test_unknown_or_malformed_results_are_not_found(client: TestClient, path: str) -> None:
    assert client.get(path).status_code in (404, 422)


# ---------------------------------------------------------------- history: stored clips


@pytest.fixture
def no_model(monkeypatch: pytest.MonkeyPatch) -> None:
    """The job's workflow steps without the model or the decoder: a simulated runner's report
    (its sha from the upload's bytes, as the real one), a stand-in report page and MP4."""

    def analyze_video(path: Path, **_: Any) -> VideoReport:
        return simulated_report(path.name, file_sha256(path))

    def write_annotated(_report: VideoReport, _source: Path, target: Path, **_: Any) -> None:
        target.write_bytes(MP4)

    monkeypatch.setattr(workflows, "analyze_video", analyze_video)
    monkeypatch.setattr(workflows, "render_html", lambda *_a, **_k: "<!doctype html><p>r")
    monkeypatch.setattr(workflows, "write_annotated", write_annotated)


def test_a_finished_video_job_is_saved_to_the_history(client: TestClient, settings: Settings,
                                                      no_model: None) -> None:
    reply = upload(client, "easy-run.mp4", MP4, view="side")
    assert reply.status_code == 303, reply.text
    job = wait_for_job(client, reply.headers["location"], timeout_s=60)
    assert job["state"] == "done", job
    [stored] = workflows.list_videos(settings=settings)
    assert stored.name == "easy-run.mp4" and stored.view == "side"
    page = client.get(job["result_url"]).text
    assert f'Saved to your history as <a href="/videos/stored/{stored.id}">video ' \
           f'{stored.id}</a>' in page
    assert "does not store videos" not in page
    # The same clip again: analysed, but already in the history (by content), not twice.
    again = wait_for_job(client, upload(client, "same-clip.mp4", MP4).headers["location"])
    assert again["state"] == "done", again
    assert f'already in your history as <a href="/videos/stored/{stored.id}">' in \
           client.get(again["result_url"]).text
    assert len(workflows.list_videos(settings=settings)) == 1
    listed = client.get("/videos").text
    assert "easy-run.mp4" in listed and f'href="/videos/stored/{stored.id}"' in listed


def test_the_videos_page_lists_stored_clips_newest_first(client: TestClient,
                                                         settings: Settings) -> None:
    empty = client.get("/videos")
    assert empty.status_code == 200 and "No videos yet" in empty.text
    assert '<a href="/videos"' in empty.text  # in the navigation
    first = store_clip(settings, name="first.mp4", sha="1" * 64)
    second = store_clip(settings, name="clips/second.mp4", sha="2" * 64)
    html = client.get("/videos").text
    assert "2 clips, newest first" in html
    assert html.index(f'href="/videos/stored/{second}"') < html.index(
        f'href="/videos/stored/{first}"')
    assert "second.mp4" in html and "clips/second" not in html
    assert "side" in html and re.search(r"1[67]\d\.\d spm", html)
    assert re.search(r"\d+\.\d s<", html)
    dashboard = client.get("/").text
    assert f'href="/videos/stored/{second}">second.mp4</a>' in dashboard
    assert "2 clips in all" in dashboard


def test_a_stored_clip_page_has_the_report_frame_and_the_json(client: TestClient,
                                                              settings: Settings) -> None:
    video_id = store_clip(settings)
    url = f"/videos/stored/{video_id}"
    page = client.get(url)
    assert page.status_code == 200
    assert "stored-run.mp4" in page.text and "side view" in page.text
    assert f'<iframe class="report" src="{url}/report"' in page.text
    assert 'sandbox="allow-scripts"' in page.text
    assert f'href="{url}/analysis.json" download' in page.text
    assert "<video" not in page.text
    assert "'unsafe-inline'" not in page.headers["content-security-policy"].split(
        "script-src")[1].split(";")[0]
    report = client.get(f"{url}/report")
    assert report.status_code == 200 and report.headers["content-type"].startswith("text/html")
    assert report.headers["content-security-policy"] == REPORT_CSP
    assert "Cadence" in report.text and "stored-run.mp4" in report.text
    data = client.get(f"{url}/analysis.json")
    assert data.status_code == 200 and data.headers["content-type"] == "application/json"
    assert f'attachment; filename="video-{video_id}.analysis.json"' in \
           data.headers["content-disposition"]
    assert data.json() == workflows.stored_video(video_id, settings=settings)


@pytest.mark.parametrize("path", ["/videos/stored/999", "/videos/stored/999/report",
                                  "/videos/stored/999/analysis.json", "/videos/stored/0",
                                  "/videos/stored/abc", "/videos/stored/99999999999"])
def test_a_missing_stored_clip_is_not_found(client: TestClient, path: str) -> None:
    reply = client.get(path)
    assert reply.status_code in (404, 422) and "Traceback" not in reply.text


# ---------------------------------------------------------------- team mode


@pytest.fixture
def team_app(tmp_path: Path) -> Any:
    settings = Settings(data_dir=tmp_path / "data")
    for name in ("alice", "bob"):
        workflows.add_user(settings=settings, username=name, password=PASSWORD, role="runner")
    workflows.add_user(settings=settings, username="coach", password=PASSWORD, role="coach",
                       sees=["alice"])
    return create_app(settings, team=True)


def logged_in(app: Any, username: str) -> TestClient:
    client = TestClient(app, base_url="https://127.0.0.1:8765", follow_redirects=False)
    token = csrf_of(client, "/login")
    reply = client.post("/login", data={"csrf_token": token, "username": username,
                                        "password": PASSWORD, "next": "/"})
    assert reply.status_code == 303, reply.text
    return client


def test_team_a_video_result_and_job_are_their_owners_only(team_app: Any,
                                                            tmp_path: Path) -> None:
    alice, bob, coach = (logged_in(team_app, name) for name in ("alice", "bob", "coach"))
    url = kept_result(alice, tmp_path / "alice", owner="alice", name="alice-secret.mp4")
    files = ("", "/report", "/annotated.mp4", "/analysis.json")
    for suffix in files:
        assert alice.get(url + suffix).status_code == 200, suffix
        ranged = alice.get(url + "/annotated.mp4", headers={"Range": "bytes=0-9"})
        assert ranged.status_code == 206
    for other in (bob, coach):
        for suffix in files:
            reply = other.get(url + suffix)
            assert reply.status_code == 404, suffix
            assert "alice-secret" not in reply.text
        assert other.get(url + "/annotated.mp4",
                         headers={"Range": "bytes=0-9"}).status_code == 404
    # Not logged in: the login page, never the file.
    assert TestClient(team_app, base_url="https://127.0.0.1:8765", follow_redirects=False
                      ).get(url + "/annotated.mp4").status_code == 303
    # The job that analyses an upload is its owner's too (it fails here: not a real clip).
    reply = upload(alice, "clip.mp4", MP4)
    assert reply.status_code == 303, reply.text
    job_url = reply.headers["location"]
    job = wait_for_job(alice, job_url, timeout_s=240)
    assert job["state"] == "failed"
    assert bob.get(job_url).status_code == 404
    assert bob.get(job_url, headers={"Accept": "application/json"}).status_code == 404
    # A coach looks but does not upload for the runner.
    assert upload(coach, "clip.mp4", MP4).status_code == 403


def test_team_a_stored_clip_is_its_runners_only(team_app: Any) -> None:
    settings: Settings = team_app.state.settings
    video_id = store_clip(settings, runner="alice", name="alice-secret.mp4")
    alice, bob = logged_in(team_app, "alice"), logged_in(team_app, "bob")
    url = f"/videos/stored/{video_id}"
    for suffix in ("", "/report", "/analysis.json"):
        assert alice.get(url + suffix).status_code == 200, suffix
        reply = bob.get(url + suffix)
        assert reply.status_code == 404, suffix
        assert "alice-secret" not in reply.text
    assert "alice-secret" in alice.get("/videos").text
    assert "alice-secret" not in bob.get("/videos").text
    assert "alice-secret" not in bob.get("/").text


def test_team_a_video_job_saves_to_the_uploaders_history(team_app: Any,
                                                         no_model: None) -> None:
    settings: Settings = team_app.state.settings
    bob = logged_in(team_app, "bob")
    job = wait_for_job(bob, upload(bob, "bob-run.mp4", MP4).headers["location"])
    assert job["state"] == "done", job
    assert [v.name for v in workflows.list_videos(settings=settings, runner="bob")] == [
        "bob-run.mp4"]
    assert workflows.list_videos(settings=settings, runner="alice") == []


# ---------------------------------------------------------------- browser


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.video
@pytest.mark.fixtures
def test_upload_a_clip_and_watch_the_annotated_video(live_server: str, page: Any,
                                                     video_extra: None) -> None:
    from playwright.sync_api import expect

    clip = fixture_file("video", "treadmill-side-30fps.mp4")
    watcher = Watcher(page)
    page.goto(f"{live_server}/analyse")
    page.set_input_files("#file", str(clip))
    page.select_option("#view", "side")
    submit(page, page.get_by_role("button", name="Analyse"))
    page.wait_for_url(re.compile(r"/videos/[0-9a-f]{32}$"), timeout=480_000)
    expect(page.locator("h1")).to_contain_text(clip.name)
    expect(page.get_by_text("Saved to your history as video")).to_be_visible()
    stored_url = page.get_by_role("link", name=re.compile(r"^video \d+$")).get_attribute("href")
    assert stored_url and re.fullmatch(r"/videos/stored/\d+", stored_url), stored_url
    expect(page.frame_locator("iframe.report").locator("body")).to_contain_text(
        "Cadence", timeout=90_000)
    page.wait_for_function("document.querySelector('video.clip').readyState >= 1",
                           timeout=90_000)
    duration = page.evaluate("document.querySelector('video.clip').duration")
    assert duration > 11, duration
    assert page.evaluate("document.querySelector('video.clip').error") is None
    analysis = page.request.get(page.url + "/analysis.json")
    assert analysis.ok and analysis.json()["video"]["view"] == "side"
    assert analysis.json()["metrics"]["cadence_spm"]["value"] == pytest.approx(168.9, abs=1)
    report = next(f for f in page.frames if f.url.endswith("/report"))
    report.wait_for_load_state("load")
    expect(page.frame_locator("iframe.report").locator("h1")).to_be_visible()
    page.frame_locator("iframe.report").locator(".main-svg").first.wait_for(
        state="attached", timeout=90_000)
    # The frame sits below the fold: bring it into view so that Chromium paints it.
    page.locator("iframe.report").scroll_into_view_if_needed()
    page.wait_for_timeout(500)
    screenshot(page, "video")
    assert watcher.problems() == []

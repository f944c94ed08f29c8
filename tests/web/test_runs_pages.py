"""The lead's pages: dashboard, analysing an upload (progress, then the run), the run report.

Routes through FastAPI's TestClient; the browser tests drive headless Chromium against a live
server, record console errors and CSP violations, and keep screenshots in docs/screenshots.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from backstride import workflows
from backstride.adapters.formats.fit_writer import simulated_run_messages, write_fit_bytes
from backstride.config import Settings
from backstride.core.simulate import RunPlan, demo_answers, simulate_run
from tests.conftest import fixture_file
from tests.web.conftest import csrf_of, screenshot

SECURITY_HEADERS = ("content-security-policy", "x-content-type-options", "x-frame-options")


def fit_bytes(*, minutes: int = 5, day: int = 0, seed: int = 1) -> bytes:
    """A generated FIT run (no pauses or walks), starting ``day`` days after 2024-05-01."""
    start = datetime(2024, 5, 1, 6, 30, tzinfo=UTC) + timedelta(days=day)
    plan = RunPlan(duration_s=minutes * 60, pauses=(), walks=(), start_utc=start)
    return write_fit_bytes(simulated_run_messages(simulate_run(plan, seed=seed)))


def wait_for_job(client: TestClient, url: str, *, timeout_s: float = 60.0) -> dict[str, Any]:
    """Poll a job as the progress page does (JSON) until it is no longer queued or running."""
    deadline = time.monotonic() + timeout_s
    while True:
        job: dict[str, Any] = client.get(url, headers={"Accept": "application/json"}).json()
        if job["state"] not in ("queued", "running") or time.monotonic() > deadline:
            return job
        time.sleep(0.05)


def analyse(client: TestClient, name: str, data: bytes) -> str:
    """Upload through /analyse; the run page's URL."""
    token = csrf_of(client, "/analyse")
    reply = client.post("/analyse", data={"csrf_token": token},
                        files={"file": (name, data, "application/octet-stream")},
                        follow_redirects=False)
    assert reply.status_code == 303, reply.text
    assert re.fullmatch(r"/jobs/[0-9a-f]{32}", reply.headers["location"])
    job = wait_for_job(client, reply.headers["location"])
    assert job["state"] == "done", job
    url: str = job["result_url"]
    return url


# ---------------------------------------------------------------- routes


def test_dashboard_empty_state(client: TestClient) -> None:
    reply = client.get("/")
    assert reply.status_code == 200
    assert "No runs yet" in reply.text and 'href="/analyse"' in reply.text
    assert "Start with the red-flag questions" in reply.text
    assert all(header in reply.headers for header in SECURITY_HEADERS)


def test_analyse_upload_progress_then_run_page(client: TestClient) -> None:
    url = analyse(client, "morning-run.fit", fit_bytes())
    assert re.fullmatch(r"/runs/\d+", url)
    page = client.get(url)
    assert page.status_code == 200
    assert "morning-run.fit" in page.text
    assert f'src="{url}/report"' in page.text and 'sandbox="allow-scripts"' in page.text
    listed = client.get("/runs").text
    assert f'href="{url}"' in listed
    assert f'href="{url}"' in client.get("/").text


def test_job_page_renders_progress_and_unknown_job_is_404(client: TestClient) -> None:
    token = csrf_of(client, "/analyse")
    reply = client.post("/analyse", data={"csrf_token": token},
                        files={"file": ("run.fit", fit_bytes(), "application/octet-stream")},
                        follow_redirects=False)
    html = client.get(reply.headers["location"]).text
    assert "Analysing run.fit" in html and 'data-job-url="/jobs/' in html
    wait_for_job(client, reply.headers["location"])
    assert client.get("/jobs/" + "0" * 32).status_code == 404


def test_report_has_charts_and_loads_plotly_from_this_server(client: TestClient) -> None:
    url = analyse(client, "charts.fit", fit_bytes(minutes=8))
    report = client.get(f"{url}/report")
    assert report.status_code == 200
    assert report.headers["content-type"].startswith("text/html")
    assert '<script src="/static-lib/plotly.min.js"></script>' in report.text
    assert "Plotly.newPlot" in report.text
    assert len(re.findall(r'<div class="chart" id="', report.text)) >= 2
    assert "cdn.plot.ly" not in report.text and "https://" not in report.text.split("<main")[0]
    # The report's own inline scripts are allowed there, and only there.
    assert "'unsafe-inline'" in report.headers["content-security-policy"].split(
        "script-src")[1].split(";")[0]
    assert "'unsafe-inline'" not in client.get(url).headers["content-security-policy"].split(
        "script-src")[1].split(";")[0]


def test_failed_analysis_is_reported_on_the_job(client: TestClient) -> None:
    token = csrf_of(client, "/analyse")
    reply = client.post("/analyse", data={"csrf_token": token},
                        files={"file": ("notes.fit", b"this is not a watch file", "text/plain")},
                        follow_redirects=False)
    job = wait_for_job(client, reply.headers["location"])
    assert job["state"] == "failed" and job["error"]


def test_analyse_rejects_empty_upload_and_missing_csrf(client: TestClient) -> None:
    token = csrf_of(client, "/analyse")
    empty = client.post("/analyse", data={"csrf_token": token},
                        files={"file": ("empty.fit", b"", "application/octet-stream")})
    assert empty.status_code == 422 and "empty" in empty.text
    refused = client.post("/analyse", files={"file": ("a.fit", fit_bytes(), "x/y")})
    assert refused.status_code == 403


def test_analyse_keeps_a_bare_file_name(client: TestClient, tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    import tempfile

    uploads = tmp_path / "uploads" / "deep"
    uploads.mkdir(parents=True)
    monkeypatch.setattr(tempfile, "tempdir", str(uploads))
    url = analyse(client, "../../evil.fit", fit_bytes())
    assert not (tmp_path / "uploads" / "evil.fit").exists()
    assert not (tmp_path / "evil.fit").exists()
    page = client.get(url)
    assert page.status_code == 200 and "evil.fit" in page.text  # stored under its bare name
    assert list(uploads.glob("backstride-upload-*")) == []  # the upload is removed afterwards


@pytest.mark.parametrize("path", ["/", "/analyse", "/runs", "/static/app.css"])
def test_security_headers(client: TestClient, path: str) -> None:
    reply = client.get(path)
    assert reply.status_code == 200
    csp = reply.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'self'" in csp
    assert reply.headers["x-content-type-options"] == "nosniff"
    assert reply.headers["x-frame-options"] == "SAMEORIGIN"
    # Nothing about the page leaks to other sites (same-origin still lets Chromium send this
    # origin on the app's own form posts; no-referrer makes it send 'Origin: null').
    assert reply.headers["referrer-policy"] in ("no-referrer", "same-origin")


def test_plotly_is_served_locally(client: TestClient) -> None:
    reply = client.get("/static-lib/plotly.min.js")
    assert reply.status_code == 200
    assert reply.headers["content-type"].startswith("text/javascript")
    assert len(reply.content) > 1_000_000 and b"plotly" in reply.content[:2000].lower()


def test_unknown_run_is_a_clear_422(client: TestClient) -> None:
    reply = client.get("/runs/999")
    assert reply.status_code == 422 and "There is no run 999" in reply.text


# ---------------------------------------------------------------- browser


class Watcher:
    """Console errors, failed requests and CSP violations of every frame of a page."""

    INIT = ("window.__csp = []; document.addEventListener('securitypolicyviolation', e => "
            "window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));")

    def __init__(self, page: Any) -> None:
        self.page = page
        self.errors: list[str] = []
        page.add_init_script(self.INIT)
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.errors.append(f"pageerror: {error}"))

    def _console(self, message: Any) -> None:
        url = (message.location or {}).get("url", "")
        # Chromium asks for /favicon.ico on its own (base.html.j2 names no icon): not a page
        # error, reported to the lead.
        if message.type == "error" and not url.endswith("/favicon.ico"):
            self.errors.append(f"console: {message.text} ({url})")

    def problems(self) -> list[str]:
        found = list(self.errors)
        for frame in self.page.frames:
            try:
                found.extend(f"CSP: {v}" for v in frame.evaluate("window.__csp || []"))
            except Exception as exc:  # a frame that navigated away meanwhile
                found.append(f"frame not readable: {exc}")
        return found


def submit(page: Any, button: Any) -> None:
    """Click a form's submit button and wait for the answer; fail at once, with the page's
    message, when the app refuses the form (instead of timing out waiting for a URL)."""
    with page.expect_navigation():
        button.click()
    problem = page.locator("section.problem", has_text="That did not work")
    if problem.count():
        pytest.fail(f"the app refused the form: {problem.inner_text()!r}. (Chromium sends "
                    "'Origin: null' on a form POST when the page's Referrer-Policy is "
                    "no-referrer.)")


def _seed_history(settings: Settings, tmp_path: Path, runs: int = 3) -> None:
    folder = tmp_path / "seed"
    folder.mkdir(exist_ok=True)
    for day in range(runs):
        (folder / f"run-{day}.fit").write_bytes(fit_bytes(minutes=6, day=day * 2, seed=day))
    workflows.import_paths([folder], settings=settings, workers=1)
    workflows.assess_back(demo_answers(), settings=settings)


@pytest.mark.browser
@pytest.mark.slow
def test_upload_shows_progress_then_the_run_with_charts(live_server: str, page: Any) -> None:
    from playwright.sync_api import expect

    watcher = Watcher(page)
    visited: list[str] = []

    def navigated(frame: Any) -> None:
        if frame == page.main_frame:
            visited.append(frame.url)

    page.on("framenavigated", navigated)
    fit = fixture_file("watch", "fr920xt-triathlon-multiple-header.fit")
    page.goto(f"{live_server}/analyse")
    page.set_input_files("#file", str(fit))
    submit(page, page.get_by_role("button", name="Analyse"))
    page.wait_for_url(re.compile(r"/runs/\d+$"), timeout=60_000)
    assert any(re.search(r"/jobs/[0-9a-f]{32}$", url) for url in visited), visited
    expect(page.locator("h1")).to_contain_text(fit.name)
    charts = page.frame_locator("iframe.report").locator(".main-svg")
    expect(charts.nth(3)).to_be_attached(timeout=30_000)
    assert charts.count() >= 4
    # Show the charts in the frame (they sit below the summary) for the screenshot.
    page.frame_locator("iframe.report").locator("#charts").evaluate(
        "element => element.scrollIntoView({block: 'start'})")
    screenshot(page, "run")
    assert watcher.problems() == []


@pytest.mark.browser
def test_dashboard_screens_and_keyboard(live_server: str, page: Any, browser: Any,
                                        settings: Settings, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    _seed_history(settings, tmp_path)
    watcher = Watcher(page)
    page.goto(live_server + "/")
    expect(page.locator(".banner")).to_be_visible()
    expect(page.locator("table tbody tr")).to_have_count(3)
    screenshot(page, "dashboard")

    focused: list[dict[str, Any]] = []
    for _ in range(4):
        page.keyboard.press("Tab")
        focused.append(page.evaluate(
            "() => { const e = document.activeElement; const r = e.getBoundingClientRect();"
            " const s = getComputedStyle(e); return {cls: e.className, href: e.getAttribute("
            "'href'), nav: !!e.closest('nav'), text: e.textContent.trim(), visible: r.width > 0"
            " && r.height > 0 && r.left >= 0 && r.top >= 0, outline: s.outlineStyle,"
            " width: parseFloat(s.outlineWidth)}; }"))
    assert focused[0]["cls"] == "skip" and focused[0]["visible"], focused[0]
    assert focused[0]["outline"] != "none" and focused[0]["width"] >= 2
    first_nav = next(f for f in focused if f["nav"])
    assert first_nav["href"] == "/" and first_nav["text"] == "Dashboard"
    assert first_nav["visible"] and first_nav["outline"] != "none" and first_nav["width"] >= 2
    assert watcher.problems() == []

    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True,
                                  has_touch=True, device_scale_factor=2)
    phone = context.new_page()
    phone_watcher = Watcher(phone)
    try:
        phone.goto(live_server + "/")
        overflow = phone.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"the dashboard is {overflow} px wider than the phone"
        screenshot(phone, "dashboard-phone")
        assert phone_watcher.problems() == []
    finally:
        context.close()


def test_runs_page_shows_the_other_files_of_a_run(client: TestClient, settings: Settings,
                                                   tmp_path: Path) -> None:
    """Issue #12 item 7: the FIT and its TCX twin are one run; the TCX is listed with it."""
    paths = [fixture_file("watch", "fr220-short-run.fit"),
             fixture_file("watch", "fr220-short-run.tcx")]
    workflows.import_paths(paths, settings=settings, workers=1)
    page = client.get("/runs").text
    assert page.count('href="/runs/') == 1
    assert "same run:" in page and "fr220-short-run.tcx" in page

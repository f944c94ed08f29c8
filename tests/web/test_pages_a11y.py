"""Every page of the web app as a runner on a phone meets it (issue #14 items 6-7): with a
realistic history stored (four weeks of runs, pain entries, shoes, a triage, self-tests, a plan,
a stored clip and a kept video result, an import summary, a job in progress), each GET page
listed by the app's own routes is opened in headless Chromium at 360 x 740 px and must not
scroll sideways and must have 0 axe-core violations; so must the reports opened alone (a watch
run's, a video's, the printable plan). A new GET route fails the test until it is listed here as
a page (with a URL to open) or as a download.

One browser for the session, one server and one history for the module, one phone page reused."""

from __future__ import annotations

import io
import re
import threading
import uuid
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from backstride import workflows
from backstride.adapters.formats.fit_writer import simulated_run_messages, write_fit_bytes
from backstride.config import Settings
from backstride.core.simulate import RunPlan, demo_answers, demo_selftests, simulate_run
from backstride.web.app import create_app
from backstride.web.routes_video import VIDEO_PHASES, VideoResult
from tests.web.conftest import screenshot, serving

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 740}
PASSWORD = "correct horse battery"

# GET routes that are downloads or media, not pages (checked: not served as text/html).
DOWNLOADS = {
    "/static-lib/plotly.min.js", "/runs/{run_id}/analysis.json", "/triage/answers.json",
    "/triage/result.json", "/selftests/results.json", "/plan/plan.json",
    "/plan/workouts.zip", "/plan/plan.ics", "/plan/metronome-{spm}.wav", "/summary.pdf",
    "/videos/{token}/annotated.mp4", "/videos/{token}/analysis.json",
    "/videos/stored/{video_id}/analysis.json",
}
# Team mode only: opened on a second server started with --team.
TEAM_PAGES = {"/login": "/login", "/team": "/team"}
# Reports: complete HTML documents of their own (shown in a sandboxed frame, or opened alone).
REPORTS = {"/runs/{run_id}/report", "/videos/{token}/report",
           "/videos/stored/{video_id}/report", "/plan/report"}


@dataclass
class Site:
    url: str
    settings: Settings
    app: Any
    run_id: int
    video_id: int
    video_token: str
    release: threading.Event = field(default_factory=threading.Event)
    job_url: str = ""


def _fit(start: datetime, minutes: int, seed: int) -> bytes:
    plan = RunPlan(duration_s=minutes * 60, pauses=(), walks=(), start_utc=start)
    return write_fit_bytes(simulated_run_messages(simulate_run(plan, seed=seed)))


def seed_history(settings: Settings, folder: Path) -> int:
    """Four weeks of runs (3 a week, 20-35 min), pain during some and the next morning, three
    shoes, a triage (self-care), self-tests; the newest run's id."""
    folder.mkdir(parents=True, exist_ok=True)
    today = datetime.now(UTC).replace(hour=6, minute=30, second=0, microsecond=0)
    for k, days_ago in enumerate((27, 25, 22, 20, 18, 15, 13, 11, 8, 6, 4, 1)):
        start = today - timedelta(days=days_ago)
        (folder / f"morning-run-{start:%Y-%m-%d}.fit").write_bytes(
            _fit(start, minutes=20 + 5 * (k % 4), seed=k))
    workflows.import_paths([folder], settings=settings, workers=1)
    runs = workflows.list_runs(settings=settings)
    for k, run in enumerate(runs[:6]):
        workflows.add_pain(settings=settings, score=(2, 4, 3, 5, 2, 1)[k], kind="during",
                           location="low back, left side", onset_min=12.0 + k,
                           onset_km=None, run_id=run.id, recorded_on=run.start_utc.date(),
                           note="stiff after the hill" if k % 2 else None)
    workflows.add_pain(settings=settings, score=3, kind="next_morning", location="low back",
                       onset_min=None, onset_km=None, run_id=None,
                       recorded_on=runs[1].start_utc.date(), note="eased after a walk")
    for name, km in (("Pegasus 40 blue", 420.0), ("Trail Ghost", 120.0), ("Old racers", 790.0)):
        workflows.add_shoe(settings=settings, name=name, start_distance_m=km * 1000,
                           default_from=None, default_to=None)
    workflows.assess_back(demo_answers(), settings=settings)
    workflows.screen_body(demo_selftests(), settings=settings)
    return runs[0].id


def kept_result_in(app: Any, folder: Path, *, video_id: int) -> str:
    """A finished video analysis as its job leaves it: the real report and analysis of a
    simulated side-view runner, a stand-in clip; its token."""
    import json

    from backstride.adapters.render.video_html import render_video_html
    from tests.web.test_video_pages import MP4, simulated_report

    folder.mkdir(parents=True)
    outcome = workflows.Analysed(path=folder / "easy-run.mp4",
                                 report=simulated_report("easy-run.mp4", "d" * 64))
    analysis = outcome.json()
    (folder / "analysis.json").write_text(json.dumps(analysis), encoding="utf-8")
    (folder / "report.html").write_text(  # as the job writes it, less the key frames
        render_video_html(analysis, outcome.report), encoding="utf-8")
    (folder / "annotated.mp4").write_bytes(MP4)
    token = uuid.uuid4().hex
    app.state.video_results.add(VideoResult(token=token, owner=None, name="easy-run.mp4",
                                            folder=folder, analysis=analysis,
                                            video_id=video_id, newly_stored=True))
    return token


def _job(site: Site) -> str:
    """A video analysis job that stays running (released when the module ends), half way
    through."""
    def work(progress: Any) -> str:
        progress(180, 720)  # a 360-frame clip: each frame posed, then drawn
        site.release.wait(timeout=120)
        return "/videos"

    job = site.app.state.jobs.submit("Analysing easy-run.mp4", work, owner=None,
                                     counts="frame", phases=VIDEO_PHASES)
    return f"/jobs/{job.id}"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    from tests.web.test_video_pages import store_clip

    root = tmp_path_factory.mktemp("a11y")
    settings = Settings(data_dir=root / "data")
    run_id = seed_history(settings, root / "runs")
    video_id = store_clip(settings)
    app = create_app(settings)
    token = kept_result_in(app, root / "kept", video_id=video_id)
    runner = workflows.DEFAULT_RUNNER
    app.state.care_plans = {runner: workflows.make_plan(settings=settings, runner=runner)}
    with serving(app) as url:
        found = Site(url=url, settings=settings, app=app, run_id=run_id, video_id=video_id,
                     video_token=token)
        try:
            yield found
        finally:
            found.release.set()


@pytest.fixture(scope="module")
def phone(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True,
                                  device_scale_factor=2)
    yield context.new_page()
    context.close()


def import_summary_url(page: Any, site: Site) -> str:
    """An import through the page (a zip of two runs and a file that is not one)."""
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        day = datetime.now(UTC).replace(hour=18, minute=0, second=0, microsecond=0)
        zipped.writestr("export/evening-1.fit", _fit(day - timedelta(days=2), 8, 101))
        zipped.writestr("export/evening-2.fit", _fit(day - timedelta(days=3), 8, 102))
        zipped.writestr("export/notes.txt", b"not a run")
    page.goto(f"{site.url}/import")
    page.set_input_files("#file", files=[{"name": "export.zip", "mimeType": "application/zip",
                                          "buffer": archive.getvalue()}])
    page.get_by_role("button", name="Import").click()
    page.wait_for_url(re.compile(r"/import/[0-9a-f]{32}$"), timeout=60_000)
    return str(page.url)[len(site.url):]


def page_urls(site: Site, import_url: str) -> dict[str, str]:
    """Each GET page route of the app -> the URL that opens it with data."""
    return {
        "/": "/", "/analyse": "/analyse", "/jobs/{job_id}": site.job_url, "/runs": "/runs",
        "/runs/{run_id}": f"/runs/{site.run_id}", "/triage": "/triage",
        "/triage/result": "/triage/result", "/selftests": "/selftests",
        "/selftests/result": "/selftests/result", "/plan": "/plan", "/summary": "/summary",
        "/settings": "/settings", "/clearance": "/clearance", "/pain": "/pain",
        "/shoes": "/shoes", "/trends": "/trends", "/import": "/import",
        "/import/{token}": import_url, "/videos": "/videos",
        "/videos/{token}": f"/videos/{site.video_token}",
        "/videos/stored/{video_id}": f"/videos/stored/{site.video_id}",
        "/runs/{run_id}/report": f"/runs/{site.run_id}/report",
        "/videos/{token}/report": f"/videos/{site.video_token}/report",
        "/videos/stored/{video_id}/report": f"/videos/stored/{site.video_id}/report",
        "/plan/report": "/plan/report",
    }


def get_routes(app: Any) -> set[str]:
    found = set()
    for route in app.routes:
        methods = getattr(route, "methods", None) or set()
        if "GET" in methods and not route.path.startswith("/static/"):
            found.add(re.sub(r"\{(\w+)(:\w+)?\}", r"{\1}", route.path))
    return found


def axe_violations(page: Any) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    lines = []
    for violation in results.response["violations"]:
        for node in violation["nodes"]:
            lines.append(f"{violation['id']} ({violation['impact']}): {node['target']} "
                         f"{node.get('failureSummary', '').splitlines()[-1:]} "
                         f"{node['html'][:120]}")
    return lines


def check(page: Any, url: str, problems: list[str], *, status: int = 200) -> None:
    polls = "/jobs/" in url  # the progress page asks for its job every 0.4 s: never idle
    reply = page.goto(url, wait_until="load" if polls else "networkidle")
    got = None if reply is None else reply.status
    if polls:  # the script's own text, with the time left once it can be told (after 2 s)
        page.wait_for_function("document.querySelector('.job-status').textContent"
                               ".includes(' left')")
        text = page.locator(".job-status").inner_text()
        if not re.fullmatch(r"Analysing easy-run\.mp4: pose estimation \(1 of 2\): frame 180 "
                            r"of 360, about \d+ (s|min) left", text):
            problems.append(f"{url}: progress says {text!r}")
    if got != status:
        problems.append(f"{url}: HTTP {got}, not {status}")
    width = page.evaluate("document.documentElement.scrollWidth")
    if width > PHONE["width"]:
        problems.append(f"{url}: {width} px wide at {PHONE['width']} px (scrolls sideways)")
    problems.extend(f"{url}: {line}" for line in axe_violations(page))


def test_every_page_fits_a_phone_and_has_no_axe_violations(site: Site, phone: Any,
                                                            browser: Any) -> None:
    import_url = import_summary_url(phone, site)
    site.job_url = _job(site)  # after the import: one worker runs the jobs in turn
    pages = page_urls(site, import_url)
    routes = get_routes(site.app)
    assert set(pages) >= REPORTS, "the reports opened alone are checked too"
    unlisted = routes - set(pages) - DOWNLOADS - set(TEAM_PAGES)
    assert not unlisted, f"GET routes neither checked as pages nor listed as downloads: {unlisted}"
    problems: list[str] = []
    try:
        for route in sorted(pages):
            check(phone, site.url + pages[route], problems)
    finally:
        site.release.set()  # the job in progress ends: the worker is free for later tests
    # Error pages: a run that is not there (422 on the local app), an unknown page (404).
    check(phone, f"{site.url}/runs/99999", problems, status=422)
    check(phone, f"{site.url}/no-such-page", problems, status=404)
    check_team_pages(site, browser, problems)
    assert not problems, "\n".join(problems)


def check_team_pages(site: Site, browser: Any, problems: list[str]) -> None:
    """The login page and a coach's runner picker, on the same history served with --team."""
    workflows.add_user(settings=site.settings, username="coach", password=PASSWORD,
                       role="coach", sees=[workflows.DEFAULT_RUNNER])
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    try:
        with serving(create_app(site.settings, team=True)) as url:
            page = context.new_page()
            check(page, url + TEAM_PAGES["/login"], problems)
            page.get_by_label("Username").fill("coach")
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Log in").click()
            page.wait_for_url(url + "/")
            check(page, url + TEAM_PAGES["/team"], problems)
            check(page, url + "/", problems)  # the header with the runner and Log out
    finally:
        context.close()


def test_back_after_an_import_or_analysis_shows_the_form_not_json(site: Site,
                                                                  phone: Any) -> None:
    """The job page polls its own URL for JSON; back from the result once showed that JSON."""
    from playwright.sync_api import expect

    import_summary_url(phone, site)
    phone.go_back()
    assert phone.url == f"{site.url}/import"  # the job page is replaced by its result
    expect(phone.locator("h1")).to_have_text("Import runs")
    phone.goto(f"{site.url}/analyse")
    start = datetime.now(UTC).replace(hour=7, minute=0, second=0, microsecond=0)
    phone.set_input_files("#file", files=[{
        "name": "lunch-run.fit", "mimeType": "application/octet-stream",
        "buffer": _fit(start - timedelta(days=9), 6, 103)}])
    phone.get_by_role("button", name="Analyse").click()
    phone.wait_for_url(re.compile(r"/runs/\d+$"), timeout=60_000)
    phone.go_back()
    assert phone.url == f"{site.url}/analyse"
    expect(phone.locator("h1")).to_have_text("Analyse a run")
    phone.go_forward()
    expect(phone.locator("h1")).to_contain_text("lunch-run.fit")


def test_the_run_page_says_its_key_findings_first_and_never_shows_a_blank_frame(
        site: Site, phone: Any) -> None:
    from playwright.sync_api import expect

    analysis = workflows.run_analysis(site.run_id, settings=site.settings)
    key = [f for f in analysis["findings"] if f["severity"] in ("act", "watch")]
    held: list[Any] = []

    def hold(route: Any) -> None:  # the report is slow today: answered at the end
        held.append(route)

    phone.route(re.compile(r"/runs/\d+/report$"), hold)
    try:
        phone.goto(f"{site.url}/runs/{site.run_id}", wait_until="domcontentloaded")
        findings = phone.locator(".key-findings li")
        expect(findings).to_have_count(len(key))
        for shown, finding in zip(findings.all(), sorted(key, key=lambda f: f["severity"]),
                                  strict=True):
            expect(shown).to_contain_text(finding["message"])
        # The findings come before the report (and its gauges) on the page.
        assert phone.evaluate("document.querySelector('.key-findings').compareDocumentPosition("
                              "document.querySelector('iframe.report')) & 4") == 4
        # While the report loads, its frame shows the loading line through it, not blank.
        box = phone.locator(".report-frame")
        with_text = box.screenshot()
        phone.locator(".report-loading").evaluate("e => e.style.visibility = 'hidden'")
        without = box.screenshot()
        phone.locator(".report-loading").evaluate("e => e.style.visibility = ''")
        assert with_text != without, "the frame hides its loading line: a blank frame"
        expect(phone.locator(".report-loading")).to_have_text(
            "Loading the report and its charts…")
    finally:
        for route in held:
            route.continue_()
        phone.unroute(re.compile(r"/runs/\d+/report$"))
    expect(phone.frame_locator("iframe.report").locator("#gauges")).to_be_attached(
        timeout=30_000)


def test_the_plans_weeks_are_a_list_of_days_on_a_phone_and_a_table_on_a_desk(
        site: Site, phone: Any, browser: Any) -> None:
    phone.goto(f"{site.url}/plan")
    weeks = phone.locator("table.weeks")
    assert weeks.locator("thead").evaluate("e => getComputedStyle(e).display") == "none"
    rows = weeks.locator("tbody tr")
    assert rows.count() >= 6
    first = rows.first
    assert first.evaluate("e => getComputedStyle(e).display") == "block"
    days = first.locator("td.days")
    assert days.evaluate("e => getComputedStyle(e, '::before').content") == '"Runs: "'
    # Each planned run is its own line, one under the other (a week with 2-3 runs).
    busy = weeks.locator("td.days").filter(has=phone.locator("div:nth-child(2)")).first
    runs = busy.locator("div")
    top = [runs.nth(k).bounding_box()["y"] for k in range(runs.count())]
    assert len(top) >= 2 and top == sorted(top) and len(set(top)) == len(top), top
    assert weeks.evaluate("e => e.scrollWidth") <= PHONE["width"]
    screenshot(phone, "plan-phone")
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        desk = context.new_page()
        desk.goto(f"{site.url}/plan")
        assert desk.locator("table.weeks thead").evaluate(
            "e => getComputedStyle(e).display") == "table-header-group"
        assert desk.locator("table.weeks tbody tr").first.evaluate(
            "e => getComputedStyle(e).display") == "table-row"
    finally:
        context.close()


@pytest.mark.parametrize("red_flag", ["bladder_change", "fever"])
def test_a_held_runners_pages_fit_a_phone_with_no_axe_violations(
        red_flag: str, phone: Any, tmp_path: Path) -> None:
    """The other faces of the same pages: an emergency (bladder change) or urgent (fever)
    triage holds everything; its result, the plan's hold, the refused self-tests, the
    clearance form, the home page's banner."""
    settings = Settings(data_dir=tmp_path / "data")
    workflows.assess_back({**demo_answers(), red_flag: True}, settings=settings)
    problems: list[str] = []
    with serving(create_app(settings)) as url:
        for path in ("/", "/triage/result", "/plan", "/selftests", "/clearance"):
            check(phone, url + path, problems)
    assert not problems, "\n".join(problems)


def test_forms_showing_their_problems_have_no_axe_violations(site: Site, phone: Any) -> None:
    problems: list[str] = []
    phone.goto(f"{site.url}/pain")
    phone.get_by_label("Began at minute").fill("2000")  # a number field: digits only
    phone.get_by_label("or at km").fill("-3")
    phone.get_by_role("button", name="Save").click()
    phone.wait_for_load_state()
    if phone.locator(".problem li").count() != 3:  # no score, minute, km
        problems.append(f"pain form: {phone.locator('.problem').inner_text()!r}")
    problems.extend(f"pain form: {line}" for line in axe_violations(phone))
    phone.goto(f"{site.url}/selftests")
    phone.locator("#in-prone_plank_s").fill("5000")
    phone.locator("#in-side_bridge_left_s").fill("-4")
    phone.get_by_role("button", name=re.compile("^Score")).click()
    phone.wait_for_load_state()
    if phone.locator(".problem li").count() != 2:
        problems.append(f"self-tests: {phone.locator('.problem').inner_text()!r}")
    problems.extend(f"self-tests: {line}" for line in axe_violations(phone))
    phone.goto(f"{site.url}/triage")
    phone.get_by_role("button", name="See my result").click()
    phone.wait_for_load_state()
    if "questions are not answered yet" not in phone.locator(".problem h2").inner_text():
        problems.append(f"triage: {phone.locator('.problem').inner_text()[:200]!r}")
    problems.extend(f"triage: {line}" for line in axe_violations(phone))
    assert not problems, "\n".join(problems)

"""Team mode (``serve --team``) through the real app: logins, sessions and access rules. Each
runner's data is tried from the other runners' sessions (by id guessing and by ?runner=), and
must not be found; coaches and clinicians see only the runners granted to them."""

from __future__ import annotations

import asyncio
import hashlib
import shutil
import time
from collections.abc import AsyncIterator, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import httpx2 as httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from backstride import workflows
from backstride.adapters.storage.schema import web_sessions
from backstride.adapters.storage.store import Store
from backstride.config import Settings
from backstride.core.simulate import demo_answers
from backstride.web.app import create_app
from backstride.web.auth import MAX_FAILURES, LoginThrottle
from tests.conftest import fit_run
from tests.web.conftest import csrf_of, screenshot, serving

PASSWORD = "correct horse battery"
HTTPS = "https://127.0.0.1:8765"  # TestClient does no TLS; the app sees an https URL
COOKIE = "__Host-backstride_session"


@dataclass(frozen=True)
class Team:
    settings: Settings
    app: Any
    alice_run: int
    bob_run: int
    bob_shoe: int


def build_team(tmp_path: Path) -> tuple[Settings, int, int, int]:
    """Runners alice and bob, each with a run, pain, a shoe and a triage; coach sees alice;
    dr (a clinician) sees both."""
    settings = Settings(data_dir=tmp_path / "data")
    for name in ("alice", "bob"):
        workflows.add_user(settings=settings, username=name, password=PASSWORD, role="runner")
    workflows.add_user(settings=settings, username="coach", password=PASSWORD, role="coach",
                       sees=["alice"])
    workflows.add_user(settings=settings, username="dr", password=PASSWORD, role="clinician",
                       sees=["alice", "bob"])
    runs = {}
    for day, name in ((1, "alice"), (12, "bob")):  # weeks from 2024-02-26 and 2024-03-11
        workflows.import_paths([fit_run(tmp_path, day)], settings=settings, workers=1, runner=name)
        runs[name] = workflows.list_runs(settings=settings, runner=name)[0].id
        workflows.add_pain(settings=settings, runner=name, score=3 if name == "alice" else 7,
                           kind="during", location=f"{name}-hip", onset_min=None,
                           onset_km=None, run_id=runs[name], recorded_on=None, note=None)
    workflows.add_shoe(settings=settings, runner="alice", name="Alice-Pegasus",
                       start_distance_m=0, default_from=None, default_to=None)
    bob_shoe = workflows.add_shoe(settings=settings, runner="bob", name="Bob-Clifton",
                                  start_distance_m=0, default_from=None, default_to=None)
    workflows.assess_back(demo_answers(), settings=settings, runner="alice")
    workflows.assess_back({**demo_answers(), "fever": True}, settings=settings, runner="bob")
    return settings, runs["alice"], runs["bob"], bob_shoe


@pytest.fixture(scope="module")
def team_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int, int, int]:
    """The team built once (argon2 hashes and imports take a while); each test gets a copy."""
    folder = tmp_path_factory.mktemp("team")
    settings, *ids = build_team(folder)
    return (settings.data_dir, *ids)  # type: ignore[return-value]


@pytest.fixture
def team(team_template: tuple[Path, int, int, int], tmp_path: Path) -> Team:
    data_dir, alice_run, bob_run, bob_shoe = team_template
    settings = Settings(data_dir=tmp_path / "data")
    shutil.copytree(data_dir, settings.data_dir)
    return Team(settings=settings, app=create_app(settings, team=True), alice_run=alice_run,
                bob_run=bob_run, bob_shoe=bob_shoe)


def browser_of(team: Team, base_url: str = HTTPS) -> TestClient:
    return TestClient(team.app, base_url=base_url, follow_redirects=False)


def log_in(client: TestClient, username: str, password: str = PASSWORD,
           next_url: str = "/") -> Any:
    token = csrf_of(client, "/login")
    return client.post("/login", data={"csrf_token": token, "username": username,
                                       "password": password, "next": next_url})


def logged_in(team: Team, username: str) -> TestClient:
    client = browser_of(team)
    reply = log_in(client, username)
    assert reply.status_code == 303, reply.text
    return client


def post(client: TestClient, path: str, data: dict[str, str], page: str) -> Any:
    return client.post(path, data={"csrf_token": csrf_of(client, page), **data})


# ---------------------------------------------------------------- logging in


@pytest.mark.parametrize("path", ["/", "/runs", "/runs/1", "/runs/1/report",
                                  "/runs/1/analysis.json", "/pain", "/shoes", "/trends",
                                  "/plan", "/plan/plan.json", "/triage", "/triage/result.json",
                                  "/selftests", "/clearance", "/import", "/team",
                                  "/jobs/" + "0" * 32, "/plan/metronome-170.wav"])
def test_every_page_and_download_needs_a_login(team: Team, path: str) -> None:
    reply = browser_of(team).get(path)
    assert reply.status_code == 303
    assert reply.headers["location"] in ("/login", f"/login?next={path.replace('/', '%2F')}")


def test_posts_need_a_login_and_static_files_do_not(team: Team) -> None:
    client = browser_of(team)
    assert client.post("/pain", data={"score": "2"}).headers["location"].startswith("/login")
    assert client.get("/static/app.css").status_code == 200
    page = client.get("/login")
    assert page.status_code == 200 and 'name="password" type="password"' in page.text
    assert 'aria-label="Main"' not in page.text  # no navigation before logging in


def test_login_sets_a_hardened_session_cookie(team: Team) -> None:
    client = browser_of(team)
    reply = log_in(client, "alice")
    assert reply.status_code == 303 and reply.headers["location"] == "/"
    cookie = next(c for c in reply.headers.get_list("set-cookie") if c.startswith(COOKIE))
    token = cookie.split("=", 1)[1].split(";", 1)[0]
    assert len(token) >= 43  # token_urlsafe(32)
    flags = {part.strip().lower() for part in cookie.split(";")[1:]}
    assert {"httponly", "secure", "samesite=strict", "path=/"} <= flags
    assert not any(flag.startswith("domain") for flag in flags)  # __Host- rules
    assert client.get("/").status_code == 200


def test_over_plain_http_on_loopback_the_cookie_is_still_secure(team: Team) -> None:
    reply = log_in(browser_of(team, "http://127.0.0.1:8765"), "alice")
    cookie = next(c for c in reply.headers.get_list("set-cookie")
                  if c.startswith("backstride_session="))
    assert "secure" in cookie.lower() and "httponly" in cookie.lower()


def test_each_login_makes_a_new_session_and_the_old_one_stops_working(team: Team) -> None:
    client = browser_of(team)
    log_in(client, "alice")
    first = client.cookies[COOKIE]
    log_in(client, "alice")
    second = client.cookies[COOKIE]
    assert second != first
    stale = browser_of(team)
    stale.cookies.set(COOKIE, first)
    assert stale.get("/").status_code == 303
    assert client.get("/").status_code == 200


@pytest.mark.parametrize(("username", "password"), [("alice", "wrong password!"),
                                                    ("mallory", PASSWORD)])
def test_a_wrong_password_or_name_is_refused_alike(team: Team, username: str,
                                                   password: str) -> None:
    reply = log_in(browser_of(team), username, password)
    assert reply.status_code == 401 and "Wrong username or password." in reply.text
    assert not any(c.startswith(COOKIE) for c in reply.headers.get_list("set-cookie"))


def test_failed_logins_are_limited_per_name_and_client(team: Team) -> None:
    client = browser_of(team)
    for _ in range(5):
        assert log_in(client, "alice", "wrong password!").status_code == 401
    locked = log_in(client, "alice")  # even the right password waits
    assert locked.status_code == 429
    assert "Too many wrong passwords for &#39;alice&#39; from this computer: wait 60 " \
           "seconds" in locked.text
    assert log_in(browser_of(team), "bob").status_code == 303  # another name is not locked
    throttle = team.app.state.login_throttle
    throttle.clock = lambda: time.monotonic() + 61
    assert log_in(client, "alice").status_code == 303


def test_login_form_needs_its_csrf_token(team: Team) -> None:
    client = browser_of(team)
    client.get("/login")
    bare = client.post("/login", data={"username": "alice", "password": PASSWORD})
    assert bare.status_code == 403
    other = browser_of(team)
    foreign = csrf_of(other, "/login")  # another browser's token
    reply = client.post("/login", data={"csrf_token": foreign, "username": "alice",
                                        "password": PASSWORD})
    assert reply.status_code == 403


@pytest.mark.parametrize(("wanted", "landing"), [
    ("/runs", "/runs"), ("https://evil.example/", "/"), ("//evil.example", "/"),
    ("/\\evil.example", "/")])
def test_after_login_only_local_pages_are_next(team: Team, wanted: str, landing: str) -> None:
    assert log_in(browser_of(team), "alice", next_url=wanted).headers["location"] == landing


def test_logout_ends_the_session_on_the_server(team: Team) -> None:
    client = logged_in(team, "alice")
    token = client.cookies[COOKIE]
    reply = post(client, "/logout", {}, page="/")
    assert reply.status_code == 303 and reply.headers["location"] == "/login"
    replay = browser_of(team)
    replay.cookies.set(COOKIE, token)  # the old cookie, kept by an attacker
    assert replay.get("/runs").status_code == 303


@pytest.mark.parametrize("column", ["expires_utc", "last_seen_utc"])
def test_an_expired_or_idle_session_is_refused(team: Team, column: str) -> None:
    client = logged_in(team, "alice")
    digest = hashlib.sha256(client.cookies[COOKIE].encode()).hexdigest()
    long_ago = datetime.now(UTC) - timedelta(hours=13)
    with Store.open(workflows.database_url(team.settings)) as store, \
            store.engine.begin() as conn:
        conn.execute(update(web_sessions).where(web_sessions.c.token_sha256 == digest)
                     .values({column: long_ago}))
    assert client.get("/").headers["location"] == "/login"


def test_a_removed_user_is_logged_out_at_once(team: Team) -> None:
    client = logged_in(team, "bob")
    workflows.remove_user("bob", settings=team.settings)
    assert client.get("/").status_code == 303


def test_the_local_app_has_no_logins(settings: Settings) -> None:
    with TestClient(create_app(settings), base_url="http://127.0.0.1:8765") as client:
        assert client.get("/login").status_code == 404
        assert client.get("/").status_code == 200


# ---------------------------------------------------------------- a runner's own data


def test_a_runner_sees_only_their_own_data(team: Team) -> None:
    alice = logged_in(team, "alice")
    runs = alice.get("/runs").text
    assert f'href="/runs/{team.alice_run}"' in runs and f'href="/runs/{team.bob_run}"' not in runs
    pain = alice.get("/pain").text
    assert "alice-hip" in pain and "bob-hip" not in pain
    shoes = alice.get("/shoes").text
    assert "Alice-Pegasus" in shoes and "Bob-Clifton" not in shoes
    assert alice.get("/triage/result.json").json()["level"] == "self_care"  # bob's is urgent
    trends = alice.get("/trends").text
    assert "from 2024-02-26" in trends and "from 2024-03-11" not in trends
    bob = logged_in(team, "bob")  # the cached trends page is per runner
    trends = bob.get("/trends").text
    assert "from 2024-03-11" in trends and "from 2024-02-26" not in trends
    assert f'href="/runs/{team.bob_run}"' in bob.get("/").text
    assert f'href="/runs/{team.alice_run}"' not in bob.get("/").text


def test_cached_pages_are_never_another_users(team: Team) -> None:
    """Pages are cached whole (web/pages.py): each user and runner looked at has its own, and
    each answer carries its own session's CSRF token."""
    pages = ("/", "/runs", "/pain", "/shoes", "/trends", f"/runs/{team.alice_run}")
    alice = logged_in(team, "alice")
    seen = {page: alice.get(page).text for page in pages}
    assert "alice-hip" in seen["/pain"] and "· alice (runner)" in seen["/"]
    coach = logged_in(team, "coach")
    assert coach.get("/?runner=alice").status_code == 200
    for page in pages:  # the same runner's pages, as the coach sees them
        html = coach.get(page).text
        assert "· coach (coach)" in html and "· alice (runner)" not in html, page
    assert "alice-hip" in coach.get("/pain").text
    bob = logged_in(team, "bob")
    for page in pages[:-1]:
        html = bob.get(page).text
        assert "alice-hip" not in html and "Alice-Pegasus" not in html
        assert f'href="/runs/{team.alice_run}"' not in html and "· bob (runner)" in html
    assert bob.get(f"/runs/{team.alice_run}").status_code == 404
    second_alice = logged_in(team, "alice")  # the same user in another browser
    token = csrf_of(alice, "/pain")
    assert csrf_of(second_alice, "/pain") != token
    reply = post(coach, "/pain", {"score": "1", "kind": "other"}, "/pain")
    assert reply.status_code == 403  # coaches do not write the diary, whatever the token
    reply = second_alice.post("/pain", data={"csrf_token": token, "score": "1",
                                             "kind": "other"})
    assert reply.status_code == 403  # another session's token
    reply = alice.post("/pain", data={"csrf_token": token, "score": "1", "kind": "other"})
    assert reply.status_code == 303


@pytest.mark.parametrize("path", ["/runs/{bob_run}", "/runs/{bob_run}/report",
                                  "/runs/{bob_run}/analysis.json", "/?runner=bob",
                                  "/runs?runner=bob", "/pain?runner=bob", "/shoes?runner=bob",
                                  "/plan?runner=bob", "/trends?runner=bob",
                                  "/triage/result.json?runner=bob",
                                  "/runs/{alice_run}?runner=bob", "/?runner=nobody"])
def test_another_runners_data_is_not_found(team: Team, path: str) -> None:
    alice = logged_in(team, "alice")
    reply = alice.get(path.format(bob_run=team.bob_run, alice_run=team.alice_run))
    assert reply.status_code == 404
    assert "bob-hip" not in reply.text and "Bob-Clifton" not in reply.text
    assert "2024-03-12" not in reply.text


def test_a_guessed_id_looks_exactly_like_a_missing_one(team: Team) -> None:
    alice = logged_in(team, "alice")
    guessed = alice.get(f"/runs/{team.bob_run}")
    missing = alice.get("/runs/999999")
    assert guessed.status_code == missing.status_code == 404
    def main(html: str) -> str:
        return html.split("<main", 1)[1].split("</main>", 1)[0]

    assert main(guessed.text).replace(str(team.bob_run), "N") == \
        main(missing.text).replace("999999", "N")


def test_another_runners_data_cannot_be_changed(team: Team) -> None:
    alice = logged_in(team, "alice")
    surface = post(alice, f"/runs/{team.bob_run}/surface", {"surface": "trail"}, page="/runs")
    assert surface.status_code == 404
    retire = post(alice, f"/shoes/{team.bob_shoe}/retire", {}, page="/shoes")
    assert retire.status_code == 404
    pain = post(alice, "/pain", {"score": "4", "run": str(team.bob_run)}, page="/pain")
    assert pain.status_code == 422 and f"There is no run {team.bob_run}" in pain.text
    (bob_run,) = workflows.list_runs(settings=team.settings, runner="bob")
    assert bob_run.surface != "trail"
    (bob_shoe,) = workflows.list_shoes(settings=team.settings, runner="bob").shoes
    assert bob_shoe.status != "retired"
    assert len(workflows.list_pain(settings=team.settings, runner="bob")) == 1


def test_plans_are_kept_per_runner(team: Team) -> None:
    bob = logged_in(team, "bob")
    assert post(bob, "/plan/make", {}, page="/plan").status_code == 303
    assert bob.get("/plan/plan.json").json()["held"] is True  # bob's triage was urgent
    alice = logged_in(team, "alice")
    assert alice.get("/plan/plan.json").status_code == 404
    assert alice.get("/plan/plan.json?runner=bob").status_code == 404


def test_jobs_and_import_summaries_are_their_owners(team: Team, tmp_path: Path) -> None:
    alice = logged_in(team, "alice")
    upload = fit_run(tmp_path, 9).read_bytes()
    reply = alice.post("/import", data={"csrf_token": csrf_of(alice, "/import")},
                       files={"file": ("run.fit", upload, "application/octet-stream")})
    job_url = reply.headers["location"]
    for _ in range(200):
        job = alice.get(job_url, headers={"accept": "application/json"}).json()
        if job["state"] not in ("queued", "running"):
            break
        time.sleep(0.05)
    assert job["state"] == "done", job
    bob = logged_in(team, "bob")
    assert bob.get(job_url).status_code == 404
    assert alice.get(job["result_url"]).status_code == 200
    assert bob.get(job["result_url"]).status_code == 404
    assert len(workflows.list_runs(settings=team.settings, runner="alice")) == 2
    assert len(workflows.list_runs(settings=team.settings, runner="bob")) == 1


# ---------------------------------------------------------------- coaches and clinicians


def test_a_coach_sees_the_granted_runner_only(team: Team) -> None:
    coach = logged_in(team, "coach")
    home = coach.get("/")
    assert home.status_code == 200 and "alice" in home.text  # one runner: no picker needed
    assert f'href="/runs/{team.alice_run}"' in coach.get("/runs").text
    assert coach.get(f"/runs/{team.bob_run}").status_code == 404
    assert coach.get("/runs?runner=bob").status_code == 404
    assert coach.get(f"/runs/{team.alice_run}/analysis.json").status_code == 200


@pytest.mark.parametrize(("path", "page", "data"), [
    ("/pain", "/pain", {"score": "4"}), ("/shoes", "/shoes", {"name": "x"}),
    ("/triage", "/triage", {}), ("/selftests", "/triage", {}),
    ("/clearance", "/clearance", {"by": "Coach"}),
    ("/runs/{alice_run}/surface", "/runs", {"surface": "trail"})])
def test_a_coach_looks_but_does_not_write_the_runners_entries(
        team: Team, path: str, page: str, data: dict[str, str]) -> None:
    coach = logged_in(team, "coach")
    reply = post(coach, path.format(alice_run=team.alice_run), data, page=page)
    assert reply.status_code == 403
    assert "only the runner enters their own" in reply.text
    assert len(workflows.list_pain(settings=team.settings, runner="alice")) == 1


def test_a_coach_may_make_the_plan(team: Team) -> None:
    coach = logged_in(team, "coach")
    assert post(coach, "/plan/make", {}, page="/plan").status_code == 303
    assert coach.get("/plan/plan.json").json()["held"] is False


def test_a_clinician_picks_among_their_runners_and_records_a_clearance(team: Team) -> None:
    dr = logged_in(team, "dr")
    assert dr.get("/").headers["location"] == "/team"  # two runners: choose first
    picker = dr.get("/team").text
    assert 'href="/?runner=alice"' in picker and 'href="/?runner=bob"' in picker
    bob_runs = dr.get("/runs?runner=bob").text
    assert f'href="/runs/{team.bob_run}"' in bob_runs
    assert dr.get(f"/runs/{team.alice_run}").status_code == 404  # looking at bob now
    assert dr.get("/triage/result.json").json()["level"] == "urgent"
    cleared = post(dr, "/clearance", {"by": "Dr Rao"}, page="/clearance")
    assert cleared.status_code == 303
    record, was_cleared = workflows.triage_state(team.settings, runner="bob")
    assert record is not None and was_cleared
    assert workflows.triage_state(team.settings, runner="alice")[1] is False


def test_a_form_made_for_one_runner_is_refused_after_switching(team: Team) -> None:
    dr = logged_in(team, "dr")
    dr.get("/?runner=alice")
    alice_form = csrf_of(dr, "/clearance")
    dr.get("/?runner=bob")  # another tab switches to bob
    reply = dr.post("/clearance", data={"csrf_token": alice_form, "by": "Dr Rao"})
    assert reply.status_code == 403
    assert workflows.triage_state(team.settings, runner="alice")[1] is False
    assert workflows.triage_state(team.settings, runner="bob")[1] is False


def test_a_revoked_runner_is_gone_at_once(team: Team) -> None:
    coach = logged_in(team, "coach")
    assert coach.get("/runs").status_code == 200
    workflows.revoke_runner("coach", "alice", settings=team.settings)
    assert coach.get("/runs").headers["location"] == "/team"
    assert coach.get("/runs?runner=alice").status_code == 404
    assert "No runners are shared with you yet" in coach.get("/team").text


# ---------------------------------------------------------------- in the browser


@pytest.fixture
def team_server(tmp_path: Path) -> Iterator[tuple[str, Team]]:
    settings, alice_run, bob_run, bob_shoe = build_team(tmp_path)
    app = create_app(settings, team=True)
    with serving(app) as url:
        yield url, Team(settings=settings, app=app, alice_run=alice_run, bob_run=bob_run,
                        bob_shoe=bob_shoe)


@pytest.mark.browser
def test_logging_in_through_the_form_shows_only_own_data(team_server: tuple[str, Team],
                                                         page: Any) -> None:
    from playwright.sync_api import expect

    base, team = team_server
    page.goto(f"{base}/runs")
    page.wait_for_url("**/login?next=%2Fruns")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base}/runs")
    # Chromium kept the Secure cookie from http://127.0.0.1: loopback is a secure context.
    (cookie,) = [c for c in page.context.cookies() if c["name"] == "backstride_session"]
    assert cookie["secure"] and cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    expect(page.locator(f'a[href="/runs/{team.alice_run}"]')).to_have_count(1)
    expect(page.locator(f'a[href="/runs/{team.bob_run}"]')).to_have_count(0)
    expect(page.locator("header .who")).to_contain_text("alice (runner)")
    screenshot(page, "team-runs")
    reply = page.goto(f"{base}/runs/{team.bob_run}")
    assert reply is not None and reply.status == 404
    page.goto(f"{base}/pain")
    expect(page.locator("main")).to_contain_text("alice-hip")
    expect(page.locator("main")).not_to_contain_text("bob-hip")
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url("**/login")
    page.goto(f"{base}/pain")
    page.wait_for_url("**/login?next=%2Fpain")


# ------------------------------------------- before any body is read; logins sent at once
# (both found by a security review: guesses sent together all passed the limit, and uploads
# were read in full before the login check)

T = TypeVar("T")


def _run(coroutine: Coroutine[Any, Any, T]) -> T:
    """On a thread of its own: the browser tests keep an event loop running in this one."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def test_attempts_count_when_they_start() -> None:
    throttle = LoginThrottle(clock=lambda: 1000.0)
    key = ("alice", "10.0.0.1")
    started = [throttle.begin(key) for _ in range(30)]  # none settled yet
    assert started.count(0.0) == MAX_FAILURES
    for _ in range(MAX_FAILURES):
        throttle.failed(key)
    assert throttle.begin(key) > 0  # locked for LOCK_S
    later = LoginThrottle(clock=lambda: 0.0)
    assert later.begin(key) == 0.0
    later.succeeded(key)
    assert all(later.begin(key) == 0.0 for _ in range(MAX_FAILURES))


def test_guesses_sent_at_once_hit_the_limit(team: Team) -> None:
    browser = browser_of(team)
    token = csrf_of(browser, "/login")

    async def attack() -> list[int]:
        transport = httpx.ASGITransport(app=team.app)
        async with httpx.AsyncClient(transport=transport, base_url=HTTPS,
                                     cookies=dict(browser.cookies)) as client:
            replies = await asyncio.gather(*(
                client.post("/login", data={"csrf_token": token, "username": "alice",
                                            "password": PASSWORD if i == 29 else f"guess{i}",
                                            "next": "/"})
                for i in range(30)))
            return [r.status_code for r in replies]

    statuses = _run(attack())
    assert statuses.count(401) + statuses.count(303) <= MAX_FAILURES
    assert statuses.count(429) >= 30 - MAX_FAILURES


class _Body:
    """A request body that counts how much of it the server read."""

    def __init__(self, size: int) -> None:
        self.size, self.read = size, 0

    async def stream(self) -> AsyncIterator[bytes]:
        chunk = b"x" * (1 << 20)
        while self.read < self.size:
            self.read += len(chunk)
            yield chunk


@pytest.mark.parametrize("path", ["/import", "/analyse", "/pain"])
def test_no_session_no_body_read(team: Team, path: str) -> None:
    body = _Body(200 << 20)

    async def post() -> httpx.Response:
        transport = httpx.ASGITransport(app=team.app)
        async with httpx.AsyncClient(transport=transport, base_url=HTTPS) as client:
            return await client.post(path, content=body.stream(), headers={
                "content-type": "multipart/form-data; boundary=x",
                "content-length": str(body.size)})

    reply = _run(post())
    assert reply.status_code == 413 or (reply.status_code == 303 and reply.headers[
        "location"].startswith("/login"))
    assert body.read <= 1 << 20  # at most the first chunk, taken by the transport


def test_staff_upload_refused_before_the_body(team: Team) -> None:
    coach = logged_in(team, "coach")
    reply = coach.post("/import", content=b"x" * (3 << 20), headers={
        "content-type": "multipart/form-data; boundary=x"})
    assert reply.status_code == 403


def test_declared_size_over_the_limit_is_refused(team: Team) -> None:
    alice = logged_in(team, "alice")
    reply = alice.post("/pain", content=b"x", headers={"content-length": str(80 << 20),
                                                      "content-type": "text/plain"})
    assert reply.status_code == 413


def test_team_emergency_number_is_the_servers_and_the_summary_is_the_runners(
        team: Team) -> None:
    alice = logged_in(team, "alice")
    page = alice.get("/settings").text
    assert "the emergency number is the server" in page
    assert 'action="/settings"' not in page  # shown, not editable
    refused = post(alice, "/settings", {"emergency_number": "112"}, page="/triage")
    assert refused.status_code == 403
    summary = alice.get("/summary").text
    assert "Fever, chills or sweats with back pain" not in summary  # bob's urgent flag
    assert "No red flag in the answers given." in summary

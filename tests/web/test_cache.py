"""Whole pages are cached by the history version (web/pages.py, migration 0006): a write from
anywhere (this app, another Store, another process, plain SQL) shows at once, and every
answer carries its own browser's CSRF token."""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from backstride import workflows
from backstride.config import Settings
from backstride.web.app import create_app
from backstride.web.pages import CSRF_PLACEHOLDER, PageCache
from tests.conftest import fit_run
from tests.web.conftest import csrf_of

CACHED_PAGES = ("/", "/runs", "/pain", "/shoes", "/trends")
PLAN_SHOWN = 'class="report plan-report" src="/plan/report"'  # the plan page shows a made plan


def _import(settings: Settings, folder: Path, day: int) -> int:
    workflows.import_paths([fit_run(folder, day)], settings=settings, workers=1)
    return workflows.list_runs(settings=settings, limit=1)[0].id


def _kept(client: TestClient) -> int:
    return len(client.app.state.cache)  # type: ignore[attr-defined]


def test_pages_come_from_the_cache_until_the_history_changes(client: TestClient,
                                                             settings: Settings,
                                                             tmp_path: Path) -> None:
    _import(settings, tmp_path, 1)
    first = {page: client.get(page).text for page in CACHED_PAGES}
    kept = _kept(client)
    assert kept >= len(CACHED_PAGES)
    assert {page: client.get(page).text for page in CACHED_PAGES} == first
    assert _kept(client) == kept  # the same entries answered
    version = workflows.history_version(settings=settings)
    workflows.add_pain(settings=settings, score=2, kind="other", location="left calf",
                       onset_min=None, onset_km=None, run_id=None, recorded_on=None, note=None)
    assert workflows.history_version(settings=settings) == (version or 0) + 1
    assert "left calf" in client.get("/pain").text
    assert _kept(client) == 1  # the first page of the new version dropped every older one


def test_an_import_a_pain_entry_and_shoe_edits_show_at_once(client: TestClient,
                                                            settings: Settings,
                                                            tmp_path: Path) -> None:
    first_run = _import(settings, tmp_path, 1)
    for page in CACHED_PAGES:
        assert client.get(page).status_code == 200
    assert f'href="/runs/{first_run}"' in client.get("/runs").text
    run_id = _import(settings, tmp_path, 5)  # an import: the new run on every list
    assert run_id != first_run
    for page in ("/", "/runs", "/pain"):
        assert f'{run_id}' in client.get(page).text, page
    assert "2024-03-05" in client.get("/runs").text
    # A pain entry through the web form.
    reply = client.post("/pain", data={"csrf_token": csrf_of(client, "/pain"), "score": "4",
                                       "kind": "during", "location": "hip",
                                       "run": str(run_id)}, follow_redirects=True)
    assert reply.status_code == 200 and "hip" in reply.text
    # A shoe added, given a default range (an update), then retired (an update).
    shoe_id = workflows.add_shoe(settings=settings, name="Pegasus-cache", start_distance_m=0,
                                 default_from=None, default_to=None)
    assert "Pegasus-cache" in client.get("/shoes").text
    assert "no default range" in client.get("/shoes").text
    workflows.set_default_shoe(shoe_id, settings=settings, default_from=date(2024, 3, 1),
                               default_to=None)
    assert "default for runs 2024-03-01" in client.get("/shoes").text
    reply = client.post(f"/shoes/{shoe_id}/retire",
                        data={"csrf_token": csrf_of(client, "/shoes")}, follow_redirects=True)
    assert reply.status_code == 200
    shoes = client.get("/shoes").text
    assert 'id="retired-title"' in shoes and "Retire Pegasus-cache today" not in shoes
    # A surface set on the run page (an update of the run itself).
    assert '<td data-label="Surface">treadmill</td>' not in client.get("/runs").text
    reply = client.post(f"/runs/{run_id}/surface", data={
        "csrf_token": csrf_of(client, f"/runs/{run_id}"), "surface": "treadmill"},
        follow_redirects=False)
    assert reply.status_code == 303
    assert '<td data-label="Surface">treadmill</td>' in client.get("/runs").text
    assert "<td>treadmill</td>" in client.get("/").text


_OTHER_PROCESS = """
import sys
from pathlib import Path
from backstride import workflows
from backstride.config import Settings
workflows.add_pain(settings=Settings(data_dir=Path(sys.argv[1])), score=6, kind="next_morning",
                   location="from-another-process", onset_min=None, onset_km=None,
                   run_id=None, recorded_on=None, note=None)
"""


def test_writes_from_another_process_and_plain_sql_show_at_once(client: TestClient,
                                                                settings: Settings,
                                                                tmp_path: Path) -> None:
    _import(settings, tmp_path, 1)
    workflows.add_shoe(settings=settings, name="Old-name", start_distance_m=0,
                       default_from=None, default_to=None)
    for page in CACHED_PAGES:
        client.get(page)
    assert "from-another-process" not in client.get("/pain").text
    subprocess.run([sys.executable, "-c", _OTHER_PROCESS, str(settings.data_dir)], check=True,
                   timeout=120)
    assert "from-another-process" in client.get("/pain").text
    db = settings.data_dir / "backstride.db"
    with sqlite3.connect(db) as conn:  # no backstride at all: the triggers still count it
        conn.execute("UPDATE shoes SET name = 'New-name' WHERE name = 'Old-name'")
    conn.close()
    shoes = client.get("/shoes").text
    assert "New-name" in shoes and "Old-name" not in shoes
    with sqlite3.connect(db) as conn:  # a delete
        conn.execute("DELETE FROM pain_entries WHERE location = 'from-another-process'")
    conn.close()
    assert "from-another-process" not in client.get("/pain").text
    with sqlite3.connect(db) as conn:  # sessions and jobs are not history: no new version
        before = conn.execute("SELECT version FROM history_version").fetchone()[0]
        conn.execute("DELETE FROM jobs")
        conn.execute("DELETE FROM web_sessions")
        assert conn.execute("SELECT version FROM history_version").fetchone()[0] == before
    conn.close()


def test_every_answer_carries_its_own_browsers_csrf_token(settings: Settings) -> None:
    app = create_app(settings)
    browsers = [TestClient(app, base_url="http://127.0.0.1:8765", follow_redirects=False)
                for _ in range(3)]  # three browsers, each its own cookie
    tokens = []
    for browser in browsers:  # one version: the second and third get the first one's page
        html = browser.get("/pain").text
        assert CSRF_PLACEHOLDER not in html
        found = re.findall(r'name="csrf_token" value="([0-9a-f]+)"', html)
        assert found and len(set(found)) == 1
        tokens.append(found[0])
    assert len(set(tokens)) == 3
    assert len(app.state.cache) == 1  # one page kept for the three
    stranger = TestClient(app, base_url="http://127.0.0.1:8765", follow_redirects=False)
    stranger.get("/pain")
    reply = stranger.post("/pain", data={"csrf_token": tokens[0], "score": "1", "kind": "other"})
    assert reply.status_code == 403  # another browser's token is refused
    for browser, token in zip(browsers, tokens, strict=True):
        reply = browser.post("/pain", data={"csrf_token": token, "score": "1", "kind": "other"})
        assert reply.status_code == 303  # its own is accepted


def test_a_page_that_fails_is_not_kept(client: TestClient) -> None:
    assert client.get("/runs/99").status_code == 422  # no such run: the documented 422
    assert not any("/runs/99" in key for key in client.app.state.cache.kept_keys())  # type: ignore[attr-defined]


def test_the_cache_computes_once_for_many_waiting_requests() -> None:
    cache = PageCache()
    calls = []

    def slow() -> str:
        calls.append(1)
        time.sleep(0.2)
        return "page"

    results: list[str] = []
    threads = [threading.Thread(target=lambda: results.append(cache.get(("k",), 7, slow)))
               for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == ["page"] * 20 and len(calls) == 1


def test_the_cache_keeps_nothing_for_an_older_version_or_an_unknown_one() -> None:
    cache = PageCache(max_entries=2)
    assert cache.get(("a",), None, lambda: 1) == 1 and len(cache) == 0  # version unknown
    assert cache.get(("a",), 5, lambda: 2) == 2
    assert cache.get(("a",), 5, lambda: 3) == 2  # kept
    assert cache.get(("a",), 6, lambda: 4) == 4 and cache.kept_keys() == [("a", 6)]
    assert cache.get(("a",), 5, lambda: 5) == 5  # a request that read an older version
    assert cache.kept_keys() == [("a", 6)]  # ... is answered but not kept
    cache.get(("b",), 6, lambda: 6)
    cache.get(("a",), 6, lambda: 7)  # a hit: the most recently used
    cache.get(("c",), 6, lambda: 8)
    assert cache.kept_keys() == [("a", 6), ("c", 6)]  # the least recently used went
    assert cache.get(("d",), 6, lambda: 9, keep=lambda value: value != 9) == 9
    assert ("d", 6) not in cache.kept_keys()
    with pytest.raises(ZeroDivisionError):
        cache.get(("e",), 6, lambda: 1 // 0)
    assert cache.get(("e",), 6, lambda: 10) == 10  # a failed compute leaves no lock behind


def test_the_runs_page_is_paged(client: TestClient) -> None:
    reply = client.get("/runs?page=7")
    assert reply.status_code == 200 and "No runs yet" in reply.text


def test_run_json_download(client: TestClient, settings: Settings, tmp_path: Path) -> None:
    run_id = _import(settings, tmp_path, 2)
    reply = client.get(f"/runs/{run_id}/analysis.json")
    assert reply.status_code == 200 and "attachment" in reply.headers["content-disposition"]
    assert json.loads(reply.text)["schema"] == "backstride.analysis/1"
    assert "run-2.fit" in client.get(f"/runs/{run_id}").text


def test_the_plan_page_follows_the_plan_made_in_this_server(client: TestClient,
                                                            settings: Settings) -> None:
    from backstride.core.simulate import demo_answers

    assert "Start with the red-flag questions" in client.get("/plan").text
    workflows.assess_back(demo_answers(), settings=settings)  # stored: a new history version
    page = client.get("/plan").text
    assert "Start with the red-flag questions" not in page and PLAN_SHOWN not in page
    made = client.post("/plan/make", data={"csrf_token": csrf_of(client, "/plan")})
    assert made.status_code == 200 and PLAN_SHOWN in made.text
    assert PLAN_SHOWN in client.get("/plan").text
    # A refused first day stores nothing and keeps the plan on show (the form says what is
    # wrong with the date), cached or not.
    version = workflows.history_version(settings=settings)
    bad = client.post("/plan/make", data={"csrf_token": csrf_of(client, "/plan"),
                                          "start": "next week"})
    assert bad.status_code == 422 and PLAN_SHOWN in bad.text
    assert workflows.history_version(settings=settings) == version
    assert PLAN_SHOWN in client.get("/plan").text

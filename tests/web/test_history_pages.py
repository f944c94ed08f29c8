"""The history pages: pain diary, shoes, trends and import (routes_history.py).

Routes through FastAPI's TestClient; the browser tests fill the forms in headless Chromium,
check there are no console errors or CSP violations, and keep screenshots in docs/screenshots.
"""

from __future__ import annotations

import io
import re
import tempfile
import zipfile
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from backstride import workflows
from backstride.adapters.storage.records import RunRecord
from backstride.config import Settings
from backstride.core.simulate import demo_answers
from backstride.web import routes_history
from backstride.web.app import create_app
from tests.web.conftest import csrf_of, screenshot
from tests.web.test_runs_pages import Watcher, fit_bytes, submit, wait_for_job

PAGES = ("/pain", "/shoes", "/trends", "/import")
RETRIAGE = "Answer the red-flag questions again before your next plan step"


def post(client: TestClient, path: str, data: dict[str, str], *, page: str | None = None,
         **kwargs: Any) -> Any:
    """A form POST with the page's CSRF token, redirects not followed."""
    token = csrf_of(client, page or path)
    return client.post(path, data={"csrf_token": token, **data}, follow_redirects=False,
                       **kwargs)


def import_runs(settings: Settings, tmp_path: Path, days: list[int]) -> list[RunRecord]:
    folder = tmp_path / "runs"
    folder.mkdir(exist_ok=True)
    for day in days:
        (folder / f"run-{day}.fit").write_bytes(fit_bytes(day=day, seed=day))
    workflows.import_paths([folder], settings=settings, workers=1)
    return list(workflows.list_runs(settings=settings))


# ---------------------------------------------------------------- pages and security


@pytest.mark.parametrize("path", PAGES)
def test_pages_render(client: TestClient, path: str) -> None:
    reply = client.get(path)
    assert reply.status_code == 200
    if path != "/trends":  # the only one without a form
        assert 'name="csrf_token" value="' in reply.text
    assert '<div class="hist">' in reply.text and 'aria-current="page"' in reply.text
    assert "<script>" not in reply.text and " onclick=" not in reply.text
    assert reply.headers["x-frame-options"] == "SAMEORIGIN"


@pytest.mark.parametrize(("path", "data"), [
    ("/pain", {"score": "3"}),
    ("/shoes", {"name": "Pegasus"}),
    ("/shoes/1/retire", {}),
    ("/shoes/default", {"shoe": "1", "default_from": "2024-01-01"}),
])
def test_post_without_csrf_is_refused(client: TestClient, settings: Settings, path: str,
                                      data: dict[str, str]) -> None:
    workflows.add_shoe(settings=settings, name="Kept", start_distance_m=0.0,
                       default_from=None, default_to=None)
    client.get("/pain")  # the browser has its CSRF cookie, but the form carries no token
    reply = client.post(path, data=data, follow_redirects=False)
    assert reply.status_code == 403 and "reload the page" in reply.text
    wrong = client.post(path, data={**data, "csrf_token": "0" * 64}, follow_redirects=False)
    assert wrong.status_code == 403
    assert workflows.list_pain(settings=settings) == ()
    [shoe] = workflows.list_shoes(settings=settings).shoes
    assert shoe.retired_on is None and shoe.default_from is None


def test_import_without_csrf_is_refused(client: TestClient) -> None:
    client.get("/import")
    reply = client.post("/import", files={"file": ("run.fit", fit_bytes(), "x/y")},
                        follow_redirects=False)
    assert reply.status_code == 403


@pytest.mark.parametrize("path", ["/pain", "/shoes", "/import"])
def test_post_from_a_foreign_origin_is_refused(client: TestClient, settings: Settings,
                                               path: str) -> None:
    reply = post(client, path, {"score": "4", "name": "Evil shoe"},
                 headers={"Origin": "https://evil.example"})
    assert reply.status_code == 403 and "Cross-site" in reply.text
    assert workflows.list_pain(settings=settings) == ()
    assert workflows.list_shoes(settings=settings).shoes == ()


# ---------------------------------------------------------------- pain diary


def test_pain_entries_and_the_retriage_notice(client: TestClient, settings: Settings) -> None:
    first = post(client, "/pain", {"score": "3", "location": "low back, left",
                                   "kind": "during", "onset_min": "35"})
    assert first.status_code == 303 and first.headers["location"] == "/pain?changed=1"
    page = client.get(first.headers["location"]).text
    assert RETRIAGE in page and 'href="/triage"' in page and 'role="alert"' in page

    same = post(client, "/pain", {"score": "3", "location": "low back, left", "kind": "during"})
    assert same.headers["location"] == "/pain?saved=1"
    assert RETRIAGE not in client.get(same.headers["location"]).text

    worse = post(client, "/pain", {"score": "6", "location": "low back, left",
                                   "kind": "after_run", "recorded_on": "2024-05-02",
                                   "note": "after hills"})
    assert worse.headers["location"] == "/pain?changed=1"
    page = client.get("/pain?changed=1").text
    assert RETRIAGE in page
    entries = workflows.list_pain(settings=settings)
    assert [e.score for e in entries] == [6, 3, 3]  # by date: 2024-05-02 first
    assert entries[1].onset_min == 35.0 and entries[0].note == "after hills"
    # The list shows the newest entry first.
    dates = re.findall(r"<td><strong>(\d{4}-\d\d-\d\d)</strong></td>", page)
    assert dates == sorted(dates, reverse=True) and len(dates) == 3
    assert "minute 35" in page and "after hills" in page and "After a run" in page


@pytest.mark.parametrize(("data", "message"), [
    ({"score": "11"}, "out of range"),
    ({"score": "-1"}, "out of range"),
    ({"score": "a lot"}, "not a whole number"),
    ({}, "Choose a pain score"),
    ({"score": "4", "onset_min": "soon"}, "not a number"),
    ({"score": "4", "onset_km": "999"}, "out of range"),
    ({"score": "4", "recorded_on": "yesterday"}, "not a date"),
    ({"score": "4", "kind": "sometimes"}, "Unknown"),
    ({"score": "4", "run": "12345"}, "There is no run 12345"),
])
def test_bad_pain_entry_is_refused_and_nothing_stored(
        client: TestClient, settings: Settings, data: dict[str, str], message: str) -> None:
    reply = post(client, "/pain", {"location": "hip <b>", **data})
    assert reply.status_code == 422
    assert message in reply.text and "Nothing was saved" in reply.text
    assert 'value="hip &lt;b&gt;"' in reply.text  # what was typed comes back, escaped
    assert workflows.list_pain(settings=settings) == ()


def test_pain_can_be_linked_to_a_recent_run(client: TestClient, settings: Settings,
                                            tmp_path: Path) -> None:
    [run] = import_runs(settings, tmp_path, [0])
    page = client.get("/pain").text
    assert f'<option value="{run.id}">2024-05-01 06:30' in page
    post(client, "/pain", {"score": "2", "run": str(run.id), "onset_km": "0.8"})
    [entry] = workflows.list_pain(settings=settings)
    assert entry.run_id == run.id and entry.onset_km == 0.8
    assert f'href="/runs/{run.id}"' in client.get("/pain").text


# ---------------------------------------------------------------- shoes


def test_shoes_add_retire_and_default(client: TestClient, settings: Settings,
                                      tmp_path: Path) -> None:
    [run] = import_runs(settings, tmp_path, [0])
    added = post(client, "/shoes", {"name": "Pegasus 40", "start_distance": "100",
                                    "start_unit": "km"})
    assert added.status_code == 303 and added.headers["location"] == "/shoes?done=added"
    post(client, "/shoes", {"name": "Old Ghost", "start_distance": "400", "start_unit": "mi",
                            "default_from": "2023-01-01", "default_to": "2023-12-31"})
    shoes = {s.name: s for s in workflows.list_shoes(settings=settings).shoes}
    assert shoes["Pegasus 40"].distance_m == pytest.approx(100_000.0)
    assert shoes["Old Ghost"].distance_m == pytest.approx(400 * 1609.344)
    assert shoes["Old Ghost"].default_to == date(2023, 12, 31)
    page = client.get("/shoes").text
    assert "100.00 km" in page and "643.74 km" in page
    assert '<span class="tag ok">ok</span>' in page
    assert '<span class="tag replace_soon">replace soon</span>' in page
    assert "a convention" in page and "483 km" in page and "805 km" in page

    pegasus = shoes["Pegasus 40"].id
    ranged = post(client, "/shoes/default", {"shoe": str(pegasus),
                                             "default_from": "2024-04-01"}, page="/shoes")
    assert ranged.headers["location"] == "/shoes?done=default"
    after = {s.name: s for s in workflows.list_shoes(settings=settings).shoes}
    assert after["Pegasus 40"].default_from == date(2024, 4, 1)
    assert after["Pegasus 40"].n_runs == 1
    assert after["Pegasus 40"].distance_m == pytest.approx(100_000.0 + run.distance_m)

    retired = post(client, f"/shoes/{shoes['Old Ghost'].id}/retire", {}, page="/shoes")
    assert retired.status_code == 303 and retired.headers["location"] == "/shoes?done=retired"
    page = client.get("/shoes?done=retired").text
    assert "Shoe retired." in page and '<span class="tag retired">retired' in page
    assert f'action="/shoes/{shoes["Old Ghost"].id}/retire"' not in page
    assert f'action="/shoes/{pegasus}/retire"' in page


@pytest.mark.parametrize(("path", "data", "message"), [
    ("/shoes", {"name": " "}, "needs a name"),
    ("/shoes", {"name": "X", "start_distance": "far"}, "not a number"),
    ("/shoes", {"name": "X", "start_distance": "-5"}, "not plausible"),
    ("/shoes", {"name": "X", "start_unit": "furlong"}, "Unknown unit"),
    ("/shoes", {"name": "X", "default_from": "2024-02-01", "default_to": "2024-01-01"},
     "before"),
    ("/shoes/default", {"shoe": "1"}, "Give the first day"),
    ("/shoes/default", {"shoe": "77", "default_from": "2024-01-01"}, "There is no shoe 77"),
    ("/shoes/77/retire", {}, "There is no shoe 77"),
])
def test_bad_shoe_forms_are_refused(client: TestClient, settings: Settings, path: str,
                                    data: dict[str, str], message: str) -> None:
    workflows.add_shoe(settings=settings, name="Kept", start_distance_m=0.0,
                       default_from=None, default_to=None)
    reply = post(client, path, data, page="/shoes")
    assert reply.status_code == 422 and message in reply.text
    [shoe] = workflows.list_shoes(settings=settings).shoes
    assert shoe.retired_on is None and shoe.default_from is None


def test_imperial_units_show_miles(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", units="imperial")
    with TestClient(create_app(settings), base_url="http://127.0.0.1:8765") as client:
        page = client.get("/shoes").text
        assert '<option value="mi" selected>' in page
        assert "300 mi" in page and "500 mi" in page
        post(client, "/shoes", {"name": "Pegasus", "start_distance": "100",
                                "start_unit": "km"})
        page = client.get("/shoes").text
        assert "62.14 mi" in page and " km<" not in page


# ---------------------------------------------------------------- trends


def test_trends_without_data_says_so(client: TestClient) -> None:
    page = client.get("/trends").text
    assert page.count("Not enough data yet") >= 4
    assert 'href="/plan"' in page and 'href="/pain"' in page


def test_trends_with_runs_pain_and_a_plan(client: TestClient, settings: Settings,
                                          tmp_path: Path) -> None:
    runs = import_runs(settings, tmp_path, [0, 2, 4, 8, 9])
    for k, run in enumerate(runs):
        workflows.add_pain(settings=settings, score=5 if k % 2 else 1, kind="during",
                           location="low back", onset_min=3.0 if k % 2 else None,
                           onset_km=None, run_id=run.id,
                           recorded_on=run.start_utc.date(), note=None)
    workflows.assess_back(demo_answers(), settings=settings)
    workflows.make_plan(settings=settings)
    found = workflows.trends(settings=settings)
    page = client.get("/trends").text
    assert "2024-W18" in page and "2024-W19" in page
    assert page.index("2024-W19") < page.index("2024-W18")  # newest week first
    assert "Cadence" in page and "spm" in page
    assert f"Week 1–{found.cadence_steps[0].weeks}" in page
    # 2 painful and 3 pain-free runs: fewer than 5 in each group.
    assert "Not enough data yet" in page and "painful" in page
    assert found.notes[0] in page.replace("&#39;", "'")


# ---------------------------------------------------------------- import


def _import(client: TestClient, name: str, data: bytes) -> dict[str, Any]:
    reply = post(client, "/import", {}, files={"file": (name, data, "application/zip")})
    assert reply.status_code == 303, reply.text
    assert re.fullmatch(r"/jobs/[0-9a-f]{32}", reply.headers["location"])
    job = wait_for_job(client, reply.headers["location"])
    assert job["state"] == "done", job
    assert re.fullmatch(r"/import/[0-9a-f]{32}", job["result_url"])
    return job


def test_import_a_watch_file_then_an_archive(client: TestClient, settings: Settings) -> None:
    job = _import(client, "morning.fit", fit_bytes(day=0))
    assert job["label"] == "Importing morning.fit"
    page = client.get(job["result_url"]).text
    assert "Import finished" in page and "morning.fit" in page
    assert re.search(r'<div class="value">1</div><div class="label">runs imported', page)

    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zf:
        for day in (0, 3, 5):  # day 0 is the run above, again
            zf.writestr(f"runs/run-{day}.fit", fit_bytes(day=day, seed=day))
        zf.writestr("runs/readme.txt", "not a run")
    job = _import(client, "export.zip", archive.getvalue())
    page = client.get(job["result_url"]).text
    assert re.search(r'<div class="value">2</div><div class="label">runs imported', page)
    assert len(workflows.list_runs(settings=settings)) == 3
    assert client.get("/import/" + "f" * 32).status_code == 404


def test_import_keeps_a_safe_name_and_writes_nothing_outside(
        client: TestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    uploads = tmp_path / "uploads" / "deep"
    uploads.mkdir(parents=True)
    monkeypatch.setattr(tempfile, "tempdir", str(uploads))
    seen: list[Path] = []
    real_import = workflows.import_paths

    def recording(paths: list[Path], **kwargs: Any) -> Any:
        seen.extend(paths)
        assert all(p.is_file() for p in paths)
        return real_import(paths, **kwargs)

    monkeypatch.setattr(workflows, "import_paths", recording)
    job = _import(client, "../../evil.fit", b"not a watch file at all")
    [path] = seen
    assert path.name == "evil.fit" and path.parent.parent == uploads
    assert path.parent.name.startswith("backstride-import-")
    assert not list(tmp_path.rglob("evil.fit"))  # the upload folder is gone after the job
    page = client.get(job["result_url"]).text
    assert "Skipped" in page and "<strong>evil.fit</strong>" in page
    assert str(uploads) not in page


@pytest.mark.parametrize(("given", "safe"), [
    ("../../evil.fit", "evil.fit"), ("..\\..\\win.fit", "win.fit"), ("/etc/passwd", "passwd"),
    (".hidden.zip", "hidden.zip"), ("my run (1).fit", "my_run_1_.fit"), ("", "upload"),
    (None, "upload"), ("..", "upload"), ("löwe.gpx", "l_we.gpx"),
])
def test_safe_file_name(given: str | None, safe: str) -> None:
    assert routes_history.safe_file_name(given) == safe


def test_import_over_the_limit_is_413(client: TestClient, settings: Settings,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(routes_history, "IMPORT_MAX_BYTES", 1024)
    reply = post(client, "/import", {}, files={"file": ("big.zip", b"x" * 4096, "x/y")})
    assert reply.status_code == 413 and "larger than" in reply.text
    assert workflows.list_runs(settings=settings) == ()


def test_import_empty_or_missing_file_is_422(client: TestClient) -> None:
    empty = post(client, "/import", {}, files={"file": ("e.fit", b"", "x/y")})
    assert empty.status_code == 422 and "empty" in empty.text
    missing = post(client, "/import", {})
    assert missing.status_code == 422 and "Choose a file" in missing.text


# ---------------------------------------------------------------- browser


@pytest.mark.browser
def test_pain_and_shoes_in_the_browser(live_server: str, page: Any, settings: Settings,
                                       tmp_path: Path) -> None:
    from playwright.sync_api import expect

    import_runs(settings, tmp_path, [0, 2, 4])
    workflows.add_pain(settings=settings, score=2, kind="next_morning", location="low back",
                       onset_min=None, onset_km=None, run_id=None,
                       recorded_on=date(2024, 5, 2), note="stiff, eased after a walk")
    watcher = Watcher(page)
    page.goto(f"{live_server}/pain")
    page.locator('label[for="score-5"]').click()
    page.get_by_label("Where").fill("low back, left")
    page.get_by_label("When").select_option("during")
    page.get_by_label("Began at minute").fill("3")  # inside the 5-min run
    page.locator("#run").select_option(index=1)
    page.get_by_label("Note").fill("hills in the second half")
    submit(page, page.get_by_role("button", name="Save"))
    page.wait_for_url("**/pain?changed=1")
    expect(page.get_by_role("alert")).to_contain_text(RETRIAGE)
    expect(page.locator("table.entries tbody tr")).to_have_count(2)
    screenshot(page, "pain")

    page.goto(f"{live_server}/shoes")
    for name, distance, unit in (("Pegasus 40 blue", "420", "mi"), ("Trail Ghost", "120", "km"),
                                 ("Old racers", "850", "km")):
        page.get_by_label("Name").fill(name)
        page.get_by_label("Distance it has already run").fill(distance)
        page.get_by_label("Unit of the distance").select_option(unit)
        submit(page, page.get_by_role("button", name="Add shoe"))
        page.wait_for_url("**/shoes?done=added")
    page.get_by_label("Shoe", exact=True).select_option(label="Trail Ghost")
    page.locator("#range_from").fill("2024-04-01")
    submit(page, page.get_by_role("button", name="Save range"))
    page.wait_for_url("**/shoes?done=default")
    expect(page.locator(".shoe", has_text="Trail Ghost")).to_contain_text("3 runs")
    old = page.locator(".shoe", has_text="Old racers")
    old.locator("summary").click()
    submit(page, old.get_by_role("button", name="Retire Old racers today"))
    page.wait_for_url("**/shoes?done=retired")
    expect(page.locator(".tag.retired")).to_have_count(1)
    expect(page.locator(".shoe .tag.replace_soon")).to_have_count(1)
    screenshot(page, "shoes")
    assert watcher.problems() == []


@pytest.mark.browser
def test_trends_and_import_in_the_browser(live_server: str, page: Any, settings: Settings,
                                          tmp_path: Path) -> None:
    from playwright.sync_api import expect

    runs = import_runs(settings, tmp_path, [0, 1, 3, 5, 8, 10, 12, 15, 17, 19, 22, 24])
    for k, run in enumerate(runs):
        workflows.add_pain(settings=settings, score=4 if k % 2 else 0, kind="during",
                           location="low back", onset_min=3.0 if k % 2 else None,
                           onset_km=None, run_id=run.id,
                           recorded_on=run.start_utc.date(), note=None)
    watcher = Watcher(page)
    page.goto(f"{live_server}/trends")
    expect(page.locator("table.trends tbody tr")).to_have_count(4)
    screenshot(page, "trends")

    page.goto(f"{live_server}/import")
    upload = tmp_path / "new-run.fit"
    upload.write_bytes(fit_bytes(day=40, seed=40))
    page.set_input_files("#file", str(upload))
    submit(page, page.get_by_role("button", name="Import"))
    page.wait_for_url(re.compile(r"/import/[0-9a-f]{32}$"), timeout=60_000)
    expect(page.locator("h1")).to_have_text("Import finished")
    expect(page.locator(".stat").first).to_contain_text("1")
    screenshot(page, "import")
    assert watcher.problems() == []

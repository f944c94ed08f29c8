"""History through the command line: import, runs, shoes, pain."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from backstride.adapters.formats.fit_writer import simulated_run_messages, write_fit_bytes
from backstride.cli import cli
from backstride.core.simulate import RunPlan, demo_answers, simulate_run


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("BACKSTRIDE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)
    runs = tmp_path / "runs"
    runs.mkdir()
    for i in range(3):
        plan = RunPlan(duration_s=900, pauses=(), walks=(),
                       start_utc=datetime(2024, 3, 1, 7, tzinfo=UTC) + timedelta(days=7 * i))
        (runs / f"r{i}.fit").write_bytes(write_fit_bytes(simulated_run_messages(
            simulate_run(plan, seed=20 + i))))
    return tmp_path


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def test_import_then_runs_list_show_and_set(home: Path) -> None:
    code, out, _ = _run("import", str(home / "runs"), "--workers", "1", "--json", "-")
    assert code == 0 and json.loads(out)["imported"] == 3
    runs = json.loads(_run("runs", "--json", "-")[1])
    assert runs["schema"] == "backstride.runs/1" and len(runs["runs"]) == 3
    newest = runs["runs"][0]
    assert set(newest) >= {"id", "start_utc", "distance_m", "duration_s", "surface",
                           "source_sha256", "metrics"}
    assert newest["start_utc"] == "2024-03-15T07:00:00Z"
    analysis = json.loads(_run("runs", "show", str(newest["id"]), "--json", "-")[1])
    assert analysis["schema"] == "backstride.analysis/1"
    assert analysis["metrics"] == newest["metrics"]
    assert _run("runs", "set", str(newest["id"]), "--surface", "grass")[0] == 0
    assert json.loads(_run("runs", "--json", "-", "--limit", "1")[1])["runs"][0][
        "surface"] == "grass"
    code, _out, err = _run("runs", "show", "999")
    assert code == 1 and "no run 999" in err


def test_shoes_take_their_runs_by_date_and_warn_by_distance(home: Path) -> None:
    assert _run("import", str(home / "runs"), "--workers", "1", "--quiet")[0] == 0
    assert _run("shoes", "add", "Old trainers", "--start-mi", "298",
                "--default-from", "2024-03-01", "--default-to", "2024-03-10")[0] == 0
    assert _run("shoes", "add", "New racers", "--default-from", "2024-03-11")[0] == 0
    data = json.loads(_run("shoes", "list", "--json", "-")[1])
    old, new = data["shoes"]
    assert (old["n_runs"], new["n_runs"]) == (2, 1)
    assert old["status"] == "replace_soon"  # 298 mi + two 2.7-km runs > 300 mi
    assert new["status"] == "ok"
    assert _run("shoes", "retire", str(old["id"]))[0] == 0
    assert json.loads(_run("shoes", "--json", "-")[1])["shoes"][0]["status"] == "retired"
    assert "mi" in _run("--units", "imperial", "shoes")[1]


def test_changed_pain_asks_for_triage_before_the_next_plan(home: Path) -> None:
    answers = home / "a.json"
    answers.write_text(json.dumps(demo_answers()))
    assert _run("plan", "--answers", str(answers))[0] == 0
    code, out, _ = _run("pain", "add", "5", "--where", "low back", "--minute", "35")
    assert code == 0 and "red-flag questions again" in out
    code, _out, err = _run("plan")
    assert code == 1 and "Your pain changed since your last triage" in err
    assert _run("triage", "--answers", str(answers))[0] == 0  # asked again, same answers
    assert _run("plan")[0] == 0
    code, out, _ = _run("pain", "add", "5", "--where", "low back")  # unchanged: no re-ask
    assert code == 0 and "red-flag" not in out
    entries = json.loads(_run("pain", "--json", "-")[1])["entries"]
    assert [e["score"] for e in entries] == [5, 5] and entries[0]["onset_min"] == 35
    assert _run("pain", "add", "11")[0] == 1


def test_trends_over_imported_runs(home: Path) -> None:
    assert _run("import", str(home / "runs"), "--workers", "1", "--quiet")[0] == 0
    code, out, _ = _run("trends", "--json", "-")
    data = json.loads(out)
    assert code == 0 and data["schema"] == "backstride.trends/1"
    assert len(data["weekly"]) == 3
    assert any("pain-free" in note for note in data["notes"])
    text = _run("trends")[1]
    assert "Weekly means" in text and "cad spm" in text


def test_plan_baseline_and_shoes_come_from_history(home: Path) -> None:
    assert _run("import", str(home / "runs"), "--workers", "1", "--quiet")[0] == 0
    assert _run("shoes", "add", "Daily trainer", "--default-from", "2024-01-01")[0] == 0
    answers = home / "a.json"
    answers.write_text(json.dumps(demo_answers()))
    plan = json.loads(_run("plan", "--answers", str(answers), "--json", "-")[1])
    assert plan["baseline"]["basis"].startswith("median of 3 runs in your pace band")
    assert plan["cadence_steps"] and plan["cadence_steps"][0]["target_spm"] == round(
        1.05 * plan["baseline"]["cadence_spm"])
    (shoe,) = plan["shoes"]
    assert shoe["name"] == "Daily trainer" and shoe["status"] == "ok" and shoe["distance_m"] > 0


def test_a_file_that_is_not_a_database_is_a_clear_error_and_left_alone(home: Path) -> None:
    data = home / "data"
    data.mkdir()
    database = data / "backstride.db"
    database.write_bytes(b"these are my notes, not a database" * 10)
    before = database.read_bytes()
    code, _out, err = _run("runs")
    assert code == 1 and err.startswith("backstride: error:") and "cannot be opened" in err
    assert "Traceback" not in err and database.read_bytes() == before


def test_batch_without_ray_reports_each_failure(home: Path) -> None:
    (home / "runs" / "bad.fit").write_bytes(b"not a fit file")
    code, out, err = _run("batch", str(home / "runs"), "--workers", "1", "--json", "-")
    summary = json.loads(out)
    assert code == 1 and summary["imported"] == 3
    assert [s["name"].endswith("bad.fit") for s in summary["skipped"]] == [True]
    assert err.count("backstride: error:") == 1

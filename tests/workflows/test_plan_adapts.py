"""The stored plan adapts to imported runs and logged pain (real FIT files, real database)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from backstride import workflows
from backstride.adapters.formats.fit_writer import simulated_run_messages, write_fit_bytes
from backstride.adapters.render.today_json import today_json
from backstride.config import Settings
from backstride.core.simulate import RunPlan, demo_answers, simulate_run
from backstride.workflows.care import run_shape

START = date(2024, 4, 30)  # the plan's first day; runs on its days 2, 4, 6 each week


def _import_runs(settings: Settings, folder: Path, days: list[date]) -> None:
    folder.mkdir(exist_ok=True)
    for i, day in enumerate(days):
        when = datetime(day.year, day.month, day.day, 6, 30, tzinfo=UTC)
        plan = RunPlan(duration_s=600, pauses=(), walks=(), start_utc=when)
        (folder / f"run-{day.isoformat()}.fit").write_bytes(
            write_fit_bytes(simulated_run_messages(simulate_run(plan, seed=i + 1))))
    workflows.import_paths([folder], settings=settings, workers=1)


def _triage(settings: Settings) -> None:
    workflows.assess_back(demo_answers(), settings=settings)


def test_weeks_are_judged_on_the_imported_runs_and_the_pain_diary(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    _triage(settings)
    first = workflows.make_plan(settings=settings, start=START, today=START).json()
    assert [d["action"] for d in first["decisions"]] == ["start"]
    week1 = [START + timedelta(days=d) for d in (1, 3, 5)]
    _import_runs(settings, tmp_path / "w1", week1)
    runs = {r.start_utc.date(): r.id for r in workflows.list_runs(settings=settings)
            if r.start_utc is not None}
    for day in week1:
        workflows.add_pain(settings=settings, score=2, kind="during", location="low back",
                           onset_min=None, onset_km=None, run_id=runs[day], recorded_on=day,
                           note=None)
    # week 2: one run, with pain 5/10 during it
    week2 = START + timedelta(days=8)
    _import_runs(settings, tmp_path / "w2", [week2])
    runs = {r.start_utc.date(): r.id for r in workflows.list_runs(settings=settings)
            if r.start_utc is not None}
    workflows.add_pain(settings=settings, score=5, kind="during", location="low back",
                       onset_min=None, onset_km=None, run_id=runs[week2], recorded_on=week2,
                       note=None)
    _triage(settings)  # changed pain: the red-flag questions again, as the plan demands
    plan = workflows.make_plan(settings=settings, today=START + timedelta(days=15)).json()
    assert plan["start_date"] == START.isoformat()  # kept
    decided = plan["decisions"]
    assert [d["action"] for d in decided] == ["start", "advance", "repeat"]
    assert decided[1]["date"] == (START + timedelta(days=7)).isoformat()
    assert decided[1]["evidence"]["runs"] == [runs[d] for d in week1]
    assert "3 runs, pain at most 2/10" in decided[1]["why"]
    assert decided[2]["why"].startswith(f"week 2 ({(START + timedelta(days=7)).isoformat()}")
    assert "pain 5/10 during or after a run (above 3/10)" in decided[2]["why"]
    # week 3 repeats week 2: the same runs, not extended
    lengths = [w["runs"][0]["duration_s"] for w in plan["weeks"]]
    assert lengths[2] == lengths[1] > lengths[0]


def test_today_adapts_first_and_changed_pain_asks_for_triage(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    _triage(settings)
    today = datetime.now(UTC).date()
    workflows.make_plan(settings=settings)
    card = today_json(workflows.today_card(settings=settings))
    assert card["decision"]["action"] == "start" and "could not adapt" not in card["message"]
    workflows.add_pain(settings=settings, score=6, kind="next_morning", location="low back",
                       onset_min=None, onset_km=None, run_id=None, recorded_on=today, note=None)
    card = today_json(workflows.today_card(settings=settings))
    assert "The plan could not adapt yet: Your pain changed since your last triage" in \
        card["message"]
    _triage(settings)
    card = today_json(workflows.today_card(settings=settings))
    assert "could not adapt" not in card["message"] and card["held"] is False


def test_bad_dates_are_refused_or_left_out_with_a_note(tmp_path: Path) -> None:
    from backstride.errors import InputError

    settings = Settings(data_dir=tmp_path / "data")
    _triage(settings)
    today = datetime.now(UTC).date()
    tomorrow = today + timedelta(days=1)
    with pytest.raises(InputError, match=f"^--date {tomorrow.isoformat()} is after today"):
        workflows.add_pain(settings=settings, score=3, kind="during", location=None,
                           onset_min=None, onset_km=None, run_id=None, recorded_on=tomorrow,
                           note=None)
    assert workflows.list_pain(settings=settings) == ()
    _import_runs(settings, tmp_path / "future", [today + timedelta(days=3)])
    [run] = workflows.list_runs(settings=settings)
    plan = workflows.make_plan(settings=settings).json()
    assert any(note.startswith(f"Run {run.id} is dated {(today + timedelta(days=3)).isoformat()}"
                               f", after today ({today.isoformat()}): not used")
               for note in plan["notes"])
    assert "no runs or pain onset on record" in plan["runs_basis"]  # the future run unused
    with pytest.raises(InputError, match=f"is in the past \\(today is {today.isoformat()}\\)"):
        workflows.make_plan(settings=settings, start=today - timedelta(days=1))


def test_a_dated_plan_keeps_the_baseline_it_started_from(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    _triage(settings)
    _import_runs(settings, tmp_path / "before", [START - timedelta(days=d) for d in (1, 3, 5)])
    first = workflows.make_plan(settings=settings, start=START, today=START).json()
    _import_runs(settings, tmp_path / "after", [START + timedelta(days=d) for d in (1, 3, 5)])
    again = workflows.make_plan(settings=settings, today=START + timedelta(days=8)).json()
    assert again["baseline"] == first["baseline"] and first["baseline"] is not None
    assert again["cadence_steps"] == first["cadence_steps"]


def test_the_plan_reads_only_the_recent_runs(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    days = [START - timedelta(days=100), START - timedelta(days=30), START - timedelta(days=2)]
    _import_runs(settings, tmp_path / "runs", days)
    with workflows.open_store(settings) as store:
        every = store.runs_with_analyses()
        recent = store.runs_with_analyses(recent=timedelta(weeks=8))
    assert [row.start_utc.date() for row, _ in every] == days
    assert [row.start_utc.date() for row, _ in recent] == days[1:]  # 98 days before: left out


def test_the_baseline_keeps_its_pace_band_and_the_runs_carry_their_speed(
        tmp_path: Path) -> None:
    """§4.1: the stored plan keeps the pace band its baseline was measured in, so later runs
    are compared inside the same band when the plan is made again."""
    settings = Settings(data_dir=tmp_path / "data")
    _triage(settings)
    _import_runs(settings, tmp_path / "before", [START - timedelta(days=d) for d in (6, 4, 2)])
    first = workflows.make_plan(settings=settings, start=START, today=START).json()
    low, high = first["baseline"]["pace_band_mps"]
    assert high - low == pytest.approx(0.6, abs=0.011)  # median speed ± 0.3 m/s, to 0.01
    assert f"{low:.1f}–{high:.1f} m/s" in first["baseline"]["basis"]
    again = workflows.make_plan(settings=settings, today=START + timedelta(days=3)).json()
    assert again["baseline"] == first["baseline"]
    inputs = run_shape(settings, "me", today=START)
    assert all(run.speed_mps is not None and low <= run.speed_mps <= high
               for run in inputs.runs)
    # Each stored analysis carries its cadence profile: 10 min runs, about 600 s of running.
    assert all(run.cadence_profile is not None
               and 500 <= sum(run.cadence_profile.seconds) <= 600 for run in inputs.runs)

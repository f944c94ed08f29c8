"""Each export layout imported end to end, on SQLite and on PostgreSQL."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime, timedelta
from pathlib import Path

from backstride.adapters.formats.fit_writer import simulated_run_messages, write_fit_bytes
from backstride.config import Settings
from backstride.core.simulate import RunPlan, simulate_run
from backstride.workflows import import_paths, list_runs, migrate_database
from tests.adapters.test_archives import FOOTER, HEADER, UPLOADED, make_zip, rec, workout, write


def fit_bytes(day: int) -> bytes:
    """A 10-minute run on its own day (the same start and serial would be one run)."""
    plan = RunPlan(duration_s=600, pauses=(), walks=(),
                   start_utc=datetime(2024, 6, 1, 7, tzinfo=UTC) + timedelta(days=day))
    return write_fit_bytes(simulated_run_messages(simulate_run(plan, seed=day)))


def _settings(url: str) -> Settings:
    settings = Settings(db=url)
    migrate_database(settings)
    return settings


def _apple_run_records() -> str:
    """A 20-minute run with a record every 10 s of each running-dynamics type."""
    parts = []
    for i in range(120):
        minute, second = divmod(i * 10, 60)
        at = f"06:{31 + minute:02d}:{second:02d}"
        end = f"06:{31 + (i * 10 + 10) // 60:02d}:{(i * 10 + 10) % 60:02d}"
        parts += [rec("RunningGroundContactTime", "ms", 250 + i % 5, at),
                  rec("RunningVerticalOscillation", "cm", 8.0 + (i % 3) / 10, at),
                  rec("RunningStrideLength", "m", 1.10, at),
                  rec("RunningSpeed", "m/s", 3.0, at),
                  rec("StepCount", "count", 28, at, end),
                  rec("DistanceWalkingRunning", "m", 30, at, end)]
    return "".join(parts)


def test_every_export_layout_imports(tmp_path: Path, database_url: str) -> None:
    settings = _settings(database_url)
    garmin = write(tmp_path / "garmin.zip", make_zip([
        (f"{UPLOADED}/UploadedFiles_0-_Part1.zip",
         make_zip([("1_ACTIVITY.fit", fit_bytes(31)), ("2_ACTIVITY.fit", fit_bytes(32))])),
    ]))
    strava = write(tmp_path / "strava.zip", make_zip([
        ("activities.csv", b"Activity ID,Activity Date,Activity Type,Filename,Extra\n"
                           b"1,x,Run,activities/1.fit.gz,y\n"),
        ("activities/1.fit.gz", gzip.compress(fit_bytes(33))),
    ]))
    body = _apple_run_records()
    apple = write(tmp_path / "apple.zip", make_zip([
        ("apple_health_export/export.xml",
         (HEADER + workout(start="2024-05-01 06:30:00 +0200", end="2024-05-01 06:52:00 +0200",
                           distance='totalDistance="3.6" totalDistanceUnit="km" ')
          + body + FOOTER).encode()),
    ]))
    summary = import_paths([garmin, strava, apple], settings=settings, workers=1)
    assert summary.skipped == ()
    assert summary.imported == 4
    runs = list_runs(settings=settings)
    assert sorted(r.format for r in runs) == ["apple_health", "fit", "fit", "fit"]
    apple_run = next(r for r in runs if r.format == "apple_health")
    assert apple_run.metrics["cadence_spm"]["value"] == 168.0  # 28 steps in 10 s
    assert apple_run.metrics["vertical_oscillation_mm"]["value"] is not None
    again = import_paths([garmin, strava, apple], settings=settings, workers=1)
    assert (again.imported, again.already_imported) == (0, 4)  # members: by content hash
    assert len(list_runs(settings=settings)) == 4

"""Use cases: the one layer the CLI, the web app and library callers share.

Each workflow takes settings, does its work through the core and the adapters, and returns
values; errors are ``BackstrideError`` subclasses, and a batch reports a failed input as a
:class:`Failed` value instead of stopping.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from backstride.adapters.formats import read_activity
from backstride.adapters.formats.fit_writer import simulated_run_messages, write_fit_bytes
from backstride.adapters.render.analysis_json import analysis_json
from backstride.adapters.render.html import render_analysis_html
from backstride.adapters.render.plot_data import plot_series
from backstride.adapters.storage.store import Clearance, Store, sqlite_url
from backstride.config import Settings
from backstride.core.report import WatchReport, build_watch_report
from backstride.core.simulate import RunPlan, simulate_run
from backstride.core.types import Progress
from backstride.errors import BackstrideError, InputError

VIDEO_SUFFIXES = {".mp4", ".mov", ".m4v", ".avi", ".mkv", ".webm"}


@dataclass(frozen=True, slots=True, kw_only=True)
class Failed:
    path: Path
    error: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Analysed:
    path: Path
    report: WatchReport

    def json(self) -> dict[str, Any]:
        return analysis_json(self.report)


Outcome = Analysed | Failed


def analyze_path(path: Path) -> Analysed:
    """Analyse one watch file; raises a ``BackstrideError`` saying what is wrong."""
    if path.suffix.lower() in VIDEO_SUFFIXES:
        raise InputError(f"{path.name} is a video; this version of backstride analyses watch "
                         "files (FIT, TCX, GPX) only. Pass a watch file.")
    activity = read_activity(path)
    return Analysed(path=path, report=build_watch_report(activity, source_name=path.name))


def analyze_paths(paths: Sequence[Path], *, progress: Progress | None = None) -> list[Outcome]:
    """Every input is processed; a bad one becomes a :class:`Failed` and the rest go on."""
    outcomes: list[Outcome] = []
    for done, path in enumerate(paths, start=1):
        try:
            outcomes.append(analyze_path(path))
        except BackstrideError as exc:
            outcomes.append(Failed(path=path, error=str(exc)))
        except (OSError, ValueError, MemoryError) as exc:  # never a traceback for a bad input
            outcomes.append(Failed(path=path, error=(
                f"{path.name} could not be analysed ({type(exc).__name__}: {exc}). "
                "Check the file; if it opens in your watch app, please report this.")))
        if progress is not None:
            progress(done, len(paths))
    return outcomes


def render_html(outcome: Analysed, *, settings: Settings) -> str:
    return render_analysis_html(outcome.json(), plot_series(outcome.report),
                                units=settings.units)


def report_paths(outcomes: Sequence[Outcome], target: Path) -> dict[Path, Path]:
    """Where each input's HTML report goes: FILE.html for one input, else one per input in
    the directory ``target``."""
    if len(outcomes) == 1 and target.suffix.lower() in (".html", ".htm") and not target.is_dir():
        return {outcomes[0].path: target}
    return {o.path: target / f"{o.path.stem}.html" for o in outcomes}


def write_text_atomic(path: Path, text: str) -> None:
    """Write to a temporary file beside ``path``, then rename: never a half-written file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; a report is an ordinary file
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@dataclass(frozen=True, slots=True, kw_only=True)
class DemoResult:
    fit_path: Path
    json_path: Path
    report_path: Path
    outcome: Analysed


def run_demo(out_dir: Path, *, settings: Settings, seed: int = 7) -> DemoResult:
    """Simulate a run with fatigue drift, write it as a real FIT file, analyse it and write
    the JSON and HTML report. Needs nothing from outside the package."""
    import json

    out_dir.mkdir(parents=True, exist_ok=True)
    run = simulate_run(RunPlan(), seed=seed)
    fit_path = out_dir / "demo-run.fit"
    fit_path.write_bytes(write_fit_bytes(simulated_run_messages(run)))
    outcome = analyze_path(fit_path)
    json_path = out_dir / "demo-run.analysis.json"
    write_text_atomic(json_path, json.dumps(outcome.json(), indent=2) + "\n")
    report_path = out_dir / "demo-run.html"
    write_text_atomic(report_path, render_html(outcome, settings=settings))
    return DemoResult(fit_path=fit_path, json_path=json_path, report_path=report_path,
                      outcome=outcome)


# --- history ---------------------------------------------------------------------------


def database_url(settings: Settings) -> str:
    return settings.db or sqlite_url(settings.data_dir / "backstride.db")


def open_store(settings: Settings, *, auto_migrate: bool | None = None) -> Store:
    """The history database: SQLite in ``data_dir`` unless ``--db``/``BACKSTRIDE_DB`` says
    otherwise. SQLite migrates itself on open (after a backup); PostgreSQL only through
    ``migrate_database``."""
    return Store.open(database_url(settings), auto_migrate=auto_migrate)


def migrate_database(settings: Settings) -> str:
    """Upgrade the schema (the only way a PostgreSQL database is migrated)."""
    store = open_store(settings, auto_migrate=True)
    store.close()
    return database_url(settings)


def record_clearance(*, settings: Settings, cleared_by: str, cleared_on: date | None,
                     note: str | None) -> Clearance:
    if not cleared_by.strip():
        raise InputError("--by needs the clinician's name (for example --by 'Dr Rao').")
    day = cleared_on or datetime.now(UTC).date()
    if day > datetime.now(UTC).date():
        raise InputError(f"--date {day.isoformat()} is in the future; give the day the "
                         "clinician cleared you (YYYY-MM-DD).")
    store = open_store(settings)
    try:
        return store.save_clearance(cleared_by=cleared_by.strip(), cleared_on=day, note=note)
    finally:
        store.close()

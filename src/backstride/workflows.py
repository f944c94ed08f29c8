"""Use cases: the one layer the CLI, the web app and library callers share.

Each workflow takes settings, does its work through the core and the adapters, and returns
values; errors are ``BackstrideError`` subclasses, and a batch reports a failed input as a
:class:`Failed` value instead of stopping.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import tempfile
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from backstride import __version__
from backstride.adapters.archives import ImportItem, ImportProblem, iter_import_items
from backstride.adapters.audio import write_wav
from backstride.adapters.formats import read_activity, read_activity_bytes, read_bytes
from backstride.adapters.formats.fit_workout import Intensity, WorkoutStep, cadence_workout_bytes
from backstride.adapters.formats.fit_writer import simulated_run_messages, write_fit_bytes
from backstride.adapters.parallel import map_in_order
from backstride.adapters.render.analysis_json import analysis_json
from backstride.adapters.render.html import render_analysis_html
from backstride.adapters.render.ics import plan_ics
from backstride.adapters.render.plan_json import plan_json
from backstride.adapters.render.plot_data import plot_series
from backstride.adapters.render.selftest_json import selftest_json
from backstride.adapters.render.triage_json import answers_json, triage_json
from backstride.adapters.storage.records import ImportOutcome, Measured, encode_series
from backstride.adapters.storage.store import Clearance, Store, TriageRecord, sqlite_url
from backstride.config import Settings
from backstride.core.activity import Activity
from backstride.core.history import DriftPoint, PainPoint, RunPoint, Trends, build_trends
from backstride.core.metronome import click_track
from backstride.core.plan import (
    Baseline,
    Plan,
    RunSummary,
    build_plan,
    history_baseline,
    pain_is_new_or_changed,
)
from backstride.core.report import WatchReport, build_watch_report
from backstride.core.screening import ScreeningResult, score_self_tests, validate_selftests
from backstride.core.simulate import RunPlan, demo_answers, demo_selftests, simulate_run
from backstride.core.triage import TriageResult, assess, validate_answers
from backstride.core.types import Progress
from backstride.errors import BackstrideError, InputError, StorageError

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
    plan_path: Path
    other_paths: tuple[Path, ...]
    outcome: Analysed
    triage: Triaged
    planned: Planned


def run_demo(out_dir: Path, *, settings: Settings, seed: int = 7) -> DemoResult:
    """The whole flow on data the package makes itself: a simulated run with fatigue drift
    written as a real FIT file, triage answers and self-test results; then the analysis,
    triage, self-tests, plan, watch workouts, a metronome track and a calendar. Its history
    database lives in ``out_dir``, apart from the runner's own."""
    out_dir.mkdir(parents=True, exist_ok=True)
    settings = replace(settings, db=sqlite_url(out_dir / "demo-history.db"))
    run = simulate_run(RunPlan(), seed=seed)
    fit_path = out_dir / "demo-run.fit"
    fit_path.write_bytes(write_fit_bytes(simulated_run_messages(run)))
    outcome = analyze_path(fit_path)
    json_path = out_dir / "demo-run.analysis.json"
    write_text_atomic(json_path, json.dumps(outcome.json(), indent=2) + "\n")
    report_path = out_dir / "demo-run.html"
    write_text_atomic(report_path, render_html(outcome, settings=settings))
    answers_path, tests_path = out_dir / "demo-answers.json", out_dir / "demo-selftests.json"
    write_text_atomic(answers_path, json.dumps(demo_answers(), indent=2) + "\n")
    write_text_atomic(tests_path, json.dumps(demo_selftests(), indent=2) + "\n")
    planned = make_plan(settings=settings, answers=answers_path, results=tests_path,
                        analysis=json_path)
    plan_path = out_dir / "demo-plan.html"
    write_text_atomic(plan_path, render_plan(planned, settings=settings))
    write_text_atomic(out_dir / "demo-plan.json", json.dumps(planned.json, indent=2) + "\n")
    first = planned.plan.cadence_steps[0].target_spm if planned.plan.cadence_steps else 170.0
    others = (
        answers_path, tests_path, out_dir / "demo-plan.json",
        write_metronome(cadence_spm=first, minutes=2.0, accent_every=None,
                        out=out_dir / f"metronome-{first:g}spm.wav"),
        write_calendar(planned.plan, out_dir / "demo-plan.ics", start=date(2024, 5, 6)),
        *write_workouts(planned.plan, out_dir / "workouts"),
    )
    triaged = assess_back(demo_answers(), settings=settings, save=False)
    return DemoResult(fit_path=fit_path, json_path=json_path, report_path=report_path,
                      plan_path=plan_path, other_paths=others, outcome=outcome,
                      triage=triaged, planned=planned)


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
    with open_store(settings) as store:
        record = store.latest_triage()
        if record is not None and record.level in ("urgent", "emergency") \
                and day < record.created_utc.date():
            raise InputError(
                f"--date {day.isoformat()} is before your last {record.level} triage "
                f"({record.created_utc.date().isoformat()}): a clearance must come after the "
                "clinician has seen you for these symptoms.")
        return store.save_clearance(cleared_by=cleared_by.strip(), cleared_on=day, note=note)


# --- triage, self-tests, plan ----------------------------------------------------------


def read_json_file(path: Path, what: str) -> dict[str, Any]:
    """A JSON object from ``path``; InputError that says what is wrong otherwise."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise InputError(f"{path} does not exist. Give the path of your {what} file.") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path} cannot be read as text ({type(exc).__name__}). "
                         f"Give a {what} JSON file.") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{path.name} is not valid JSON (line {exc.lineno}, column "
                         f"{exc.colno}: {exc.msg}). Fix the file or answer again.") from exc
    if not isinstance(data, dict):
        raise InputError(f"{path.name} must hold one JSON object ({what}), not "
                         f"{type(data).__name__}.")
    return data


@dataclass(frozen=True, slots=True, kw_only=True)
class Triaged:
    result: TriageResult
    answers: dict[str, Any]
    json: dict[str, Any]


def assess_back(answers: dict[str, Any], *, settings: Settings, save: bool = True) -> Triaged:
    """Validate the answers, assess them, and record both in history (answers as given)."""
    checked = validate_answers(answers)
    result = assess(checked, emergency_number=settings.emergency_number)
    outcome = Triaged(result=result, answers=answers_json(checked), json=triage_json(result))
    if save:
        with open_store(settings) as store:
            latest = store.latest_triage()
            # The same answers again are the same triage (a clearance given for it still
            # counts), unless pain was logged since: then this is the re-ask, and it counts.
            repeated = latest is not None and latest.answers == outcome.answers and not (
                store.pain_entries_since(latest.created_utc)[1])
            if not repeated:
                store.save_triage(outcome.answers, outcome.json)
    return outcome


def triage_state(settings: Settings) -> tuple[TriageRecord | None, bool]:
    """The latest triage on record, and whether a clinician's clearance came after it."""
    with open_store(settings) as store:
        record, clearance = store.latest_triage(), store.latest_clearance()
    # Only a clearance recorded after this triage counts: a new urgent answer set (changed
    # symptoms) needs a new clearance, even on the same day. Re-running the same answers
    # does not make a new triage record (assess_back), so it keeps its clearance.
    cleared = record is not None and clearance is not None and (
        clearance.created_utc > record.created_utc
        and clearance.cleared_on >= record.created_utc.date())
    return record, cleared


def check_selftests_allowed(settings: Settings) -> None:
    """No self-tests while triage is urgent or emergency and no clearance is recorded
    (DOMAIN.md §6): testing a back that needs a clinician first is not safe. Triage comes
    first (§5.3), so no self-tests before any triage either."""
    record, cleared = triage_state(settings)
    if record is None:
        raise InputError("Answer the red-flag questions first ('backstride triage'): they say "
                         "whether self-tests are safe for you now.")
    if record.level in ("urgent", "emergency") and not cleared:
        raise InputError(
            f"Your last triage was {record.level}: {record.result['action']} Self-tests wait "
            "until a clinician has seen you; then record it with 'backstride clearance --by "
            "NAME'.")


@dataclass(frozen=True, slots=True, kw_only=True)
class Screened:
    result: ScreeningResult
    json: dict[str, Any]


def screen_body(results: dict[str, Any], *, settings: Settings, save: bool = True) -> Screened:
    if save:
        check_selftests_allowed(settings)
    screened = score_self_tests(validate_selftests(results))
    outcome = Screened(result=screened, json=selftest_json(screened))
    if save:
        with open_store(settings) as store:
            store.save_selftests(results, outcome.json)
    return outcome


@dataclass(frozen=True, slots=True, kw_only=True)
class Planned:
    plan: Plan
    json: dict[str, Any]
    triage: dict[str, Any]
    selftests: dict[str, Any] | None


def make_plan(*, settings: Settings, answers: Path | None = None, results: Path | None = None,
              analysis: Path | None = None) -> Planned:
    """The plan from triage (file or history), self-tests (file or history) and a cadence
    baseline (an analysis file; history baselines come with the run history)."""
    if answers is not None:
        assess_back(read_json_file(answers, "triage answers"), settings=settings)
    record, cleared = triage_state(settings)
    if record is None:
        raise InputError("No triage on record: answer the red-flag questions first "
                         "('backstride triage'), or pass --answers FILE.")
    _require_triage_after_changed_pain(settings, record.created_utc)
    held = record.level in ("urgent", "emergency") and not cleared
    if results is not None:
        tests = read_json_file(results, "self-test results")
        screen_body(tests, settings=settings, save=not held)  # a held plan records none
    with open_store(settings) as store:
        stored_tests = store.latest_selftests()
    screening = None if stored_tests is None else screen_body(stored_tests, settings=settings,
                                                                save=False)
    baseline, findings = (_baseline(analysis) if analysis is not None
                          else _history_baseline(settings))
    shoes_in_use = [(shoe["name"], shoe["distance_m"])
                    for shoe in list_shoes(settings=settings)["shoes"] if not shoe["retired_on"]]
    # The action is recomputed so it names today's emergency_number setting; the stored
    # record (and the clearance that refers to it) stays as it was.
    current = assess(validate_answers(record.answers), emergency_number=settings.emergency_number)
    plan = build_plan(
        triage_level=current.level.value, triage_action=current.action,
        cleared=cleared, baseline=baseline, findings=findings,
        contributors=() if screening is None else tuple(screening.json["contributors"]),
        startback_risk=None if current.startback is None else current.startback.risk.value,
        shoes=shoes_in_use, shoe_warn_m=settings.shoe_warn_distance_m,
        shoe_replace_m=settings.shoe_replace_distance_m)
    rendered = plan_json(plan)
    with open_store(settings) as store:
        store.save_plan(rendered)
    return Planned(plan=plan, json=rendered, triage=triage_json(current),
                   selftests=None if screening is None else screening.json)


def _baseline(analysis: Path | None) -> tuple[Baseline | None, tuple[str, ...]]:
    if analysis is None:
        return None, ()
    data = read_json_file(analysis, "analysis (backstride analyze --json)")
    if data.get("schema") != "backstride.analysis/1":
        raise InputError(f"{analysis.name} is not a backstride.analysis/1 file (schema "
                         f"{data.get('schema')!r}). Make one with: backstride analyze RUN "
                         "--json FILE.json")
    cadence = (data.get("metrics") or {}).get("cadence_spm") or {}
    findings = tuple(str(f.get("id")) for f in data.get("findings") or [])
    if cadence.get("status") != "ok" or not isinstance(cadence.get("value"), int | float):
        return None, findings
    when = ((data.get("activity") or {}).get("start_utc") or "date unknown")[:10]
    return Baseline(cadence_spm=float(cadence["value"]),
                    basis=f"single run {when} (one run only: re-measure)"), findings


def _history_baseline(settings: Settings) -> tuple[Baseline | None, tuple[str, ...]]:
    """DOMAIN.md §4.1 from the stored runs, and the findings of the latest run."""
    with open_store(settings) as store:
        stored = store.runs_with_analyses()
    summaries = []
    for row, analysis in stored:
        metrics = analysis.get("metrics", {})
        cadence, speed = metrics.get("cadence_spm", {}), metrics.get("speed_mps", {})
        if cadence.get("status") == "ok" and speed.get("status") == "ok":
            summaries.append(RunSummary(start_utc=_utc(row.start_utc),
                                        cadence_spm=float(cadence["value"]),
                                        speed_mps=float(speed["value"])))
    findings = tuple(str(f["id"]) for f in stored[-1][1].get("findings", [])) if stored else ()
    return history_baseline(summaries), findings


def render_plan(planned: Planned, *, settings: Settings) -> str:
    from backstride.adapters.render.plan_html import render_plan_html

    return render_plan_html(planned.json, triage=planned.triage, selftests=planned.selftests,
                            units=settings.units)


KEY_RUN_MINUTES = (20, 25, 30)  # the metronome weeks build the run toward 30 min (§4.2 rule 4)


def write_workouts(plan: Plan, directory: Path) -> list[Path]:
    """One FIT workout per week: the week's key run with the cadence alert range."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for step in plan.cadence_steps:
        for offset in range(step.weeks):
            week = step.week + offset
            minutes = KEY_RUN_MINUTES[min(offset, len(KEY_RUN_MINUTES) - 1)]
            name = f"Week {week} cadence {step.target_spm:.0f}"
            data = cadence_workout_bytes(name, [
                WorkoutStep(name="Warm-up", duration_s=600, intensity=Intensity.WARMUP),
                WorkoutStep(name=f"Cadence {step.target_spm:.0f}", duration_s=minutes * 60,
                            cadence_low_spm=step.range_spm[0],
                            cadence_high_spm=step.range_spm[1]),
                WorkoutStep(name="Cool-down", duration_s=300, intensity=Intensity.COOLDOWN),
            ])
            path = directory / f"week-{week:02d}-cadence-{step.target_spm:.0f}.fit"
            path.write_bytes(data)
            written.append(path)
    return written


def write_calendar(plan: Plan, path: Path, *, start: date | None = None) -> Path:
    write_text_atomic(path, plan_ics(plan, start=start or datetime.now(UTC).date()))
    return path


def write_metronome(*, cadence_spm: float, minutes: float, accent_every: int | None,
                    out: Path) -> Path:
    track = click_track(cadence_spm, minutes * 60.0, accent_every=accent_every)
    write_wav(out, track)
    return out


# --- imports and runs ------------------------------------------------------------------

SURFACE_FROM_SUB_SPORT = {"street": "road", "trail": "trail", "track": "track",
                          "treadmill": "treadmill"}
SURFACES = ("road", "trail", "track", "treadmill", "grass")


@dataclass(frozen=True, slots=True, kw_only=True)
class NotRun:
    name: str
    sport: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ImportSummary:
    imported: int
    already_imported: int
    duplicates: int
    not_runs: int
    skipped: tuple[tuple[str, str], ...]  # (name, reason)

    def json(self) -> dict[str, Any]:
        return {"schema": "backstride.import/1", "imported": self.imported,
                "already_imported": self.already_imported, "duplicates": self.duplicates,
                "not_runs": self.not_runs,
                "skipped": [{"name": n, "error": e} for n, e in self.skipped]}


def measure_activity(name: str, activity: Activity) -> Measured | NotRun:
    """Analyse one decoded activity into what the Store keeps."""
    sports = {s.sport for s in activity.sessions}
    if activity.sessions and not sports & {"running", "unknown", "generic"}:
        return NotRun(name=name, sport=", ".join(sorted(sports)))
    report = build_watch_report(activity, source_name=name)
    run = report.run
    sub_sports = [leg.sub_sport for leg in run.legs if leg.sub_sport]
    return Measured(
        name=name, sha256=activity.sha256, format=activity.format,
        start_utc=_leg_start(activity, run.legs[0].start_s),
        device=activity.device, device_serial=activity.device_serial, sport="running",
        surface=SURFACE_FROM_SUB_SPORT.get(sub_sports[0]) if sub_sports else None,
        distance_m=run.distance_m, duration_s=run.duration_s, moving_time_s=run.moving_time_s,
        n_records=int(activity.t_s.size),
        series=encode_series(activity.t_s, dict(activity.series)),
        analysis=analysis_json(report), analyser_version=__version__)


def _leg_start(activity: Activity, start_s: float) -> datetime | None:
    """The first running session's start, to the second: the duplicate fingerprint."""
    if activity.start_utc is None:
        return None
    return (activity.start_utc + timedelta(seconds=start_s)).replace(microsecond=0)


def decode_and_measure(item: ImportItem) -> Measured | NotRun | Failed:
    """The worker's job for one input; never raises for a bad input."""
    label = Path(item.name)
    try:
        if item.activity is not None:
            activity = item.activity
        elif item.path is not None:
            activity = read_activity(item.path)
        else:
            activity = read_activity_bytes(item.data or b"", label)
        return measure_activity(item.name, activity)
    except BackstrideError as exc:
        return Failed(path=label, error=str(exc))
    except (OSError, ValueError, MemoryError) as exc:
        return Failed(path=label, error=f"{item.name} could not be read ({type(exc).__name__}: "
                                        f"{exc}). If it opens in your watch app, please report "
                                        "this.")


def import_paths(paths: Sequence[Path], *, settings: Settings, workers: int | None = None,
                 progress: Progress | None = None) -> ImportSummary:
    """Import files, folders and export archives. Workers decode and measure; only this
    process writes, one transaction per file, so a killed import leaves every stored run
    whole and a re-run picks up where it stopped."""
    counts = dict.fromkeys(ImportOutcome, 0)
    skipped: list[tuple[str, str]] = []
    not_runs = 0
    with open_store(settings) as store:
        known = store.known_sha256()

        def todo() -> Iterator[ImportItem]:
            """Items as the archives yield them (memory stays flat); known files skipped."""
            for found in iter_import_items(paths):
                if isinstance(found, ImportProblem):
                    skipped.append((found.name, found.error))
                elif found.path is not None and _quick_sha(found.path) in known:
                    counts[ImportOutcome.ALREADY_IMPORTED] += 1
                else:
                    yield found

        for done, outcome in enumerate(map_in_order(decode_and_measure, todo(),
                                                    workers=workers), start=1):
            if isinstance(outcome, Failed):
                skipped.append((str(outcome.path), outcome.error))
            elif isinstance(outcome, NotRun):
                not_runs += 1
            else:
                counts[store.save_measured(outcome)] += 1
            if progress is not None:
                progress(done, None)
    return ImportSummary(
        imported=counts[ImportOutcome.IMPORTED],
        already_imported=counts[ImportOutcome.ALREADY_IMPORTED],
        duplicates=counts[ImportOutcome.DUPLICATE] + counts[ImportOutcome.REPLACED],
        not_runs=not_runs, skipped=tuple(skipped))


def _quick_sha(path: Path) -> str:
    """SHA-256 of the decompressed bytes, without decoding: skips known files fast."""
    try:
        data = read_bytes(path)
    except InputError:
        return ""
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error):
            return ""
    return hashlib.sha256(data).hexdigest()


def list_runs(*, settings: Settings, limit: int | None = None) -> dict[str, Any]:
    with open_store(settings) as store:
        return {"schema": "backstride.runs/1", "runs": store.list_runs(limit=limit)}


def run_analysis(run_id: int, *, settings: Settings) -> dict[str, Any]:
    with open_store(settings) as store:
        found = store.run_analysis(run_id)
    if found is None:
        raise InputError(f"There is no run {run_id}. See 'backstride runs' for the ids.")
    return found


def set_surface(run_id: int, surface: str, *, settings: Settings) -> None:
    if surface not in SURFACES:
        raise InputError(f"Unknown surface {surface!r}; use one of {', '.join(SURFACES)}.")
    with open_store(settings) as store:
        if not store.set_surface(run_id, surface):
            raise InputError(f"There is no run {run_id}. See 'backstride runs' for the ids.")


# --- shoes and pain ----------------------------------------------------------------------


def add_shoe(*, settings: Settings, name: str, start_distance_m: float,
             default_from: date | None, default_to: date | None) -> int:
    if not name.strip():
        raise InputError("A shoe needs a name (for example 'Pegasus 40 blue').")
    if start_distance_m < 0 or start_distance_m > 5_000_000:
        raise InputError(f"The starting distance {start_distance_m:g} m is not plausible; give "
                         "the distance the shoe has already run (0 for new shoes).")
    if default_from and default_to and default_to < default_from:
        raise InputError("--default-to is before --default-from.")
    with open_store(settings) as store:
        return store.add_shoe(name=name.strip(), start_distance_m=start_distance_m,
                              added_on=datetime.now(UTC).date(), default_from=default_from,
                              default_to=default_to)


def list_shoes(*, settings: Settings) -> dict[str, Any]:
    with open_store(settings) as store:
        found = store.list_shoes()
    for shoe in found:
        shoe["status"] = ("retired" if shoe["retired_on"] else
                          "replace" if shoe["distance_m"] >= settings.shoe_replace_distance_m
                          else "replace_soon"
                          if shoe["distance_m"] >= settings.shoe_warn_distance_m else "ok")
    return {"schema": "backstride.shoes/1", "warn_m": settings.shoe_warn_distance_m,
            "replace_m": settings.shoe_replace_distance_m, "shoes": found}


def retire_shoe(shoe_id: int, *, settings: Settings, on: date | None) -> None:
    with open_store(settings) as store:
        if not store.retire_shoe(shoe_id, on=on or datetime.now(UTC).date()):
            raise InputError(f"There is no shoe {shoe_id}. See 'backstride shoes list'.")


def set_default_shoe(shoe_id: int, *, settings: Settings, default_from: date,
                     default_to: date | None) -> None:
    with open_store(settings) as store:
        if not store.set_default_shoe(shoe_id, default_from=default_from,
                                      default_to=default_to):
            raise InputError(f"There is no shoe {shoe_id}. See 'backstride shoes list'.")


PAIN_KINDS = ("during", "after_run", "next_morning", "other")


def add_pain(*, settings: Settings, score: int, kind: str, location: str | None,
             onset_min: float | None, onset_km: float | None, run_id: int | None,
             recorded_on: date | None, note: str | None) -> bool:
    """Store a pain entry; True when it is new or changed pain, which must be triaged again
    before the plan's next step (DOMAIN.md §5.3)."""
    if not 0 <= score <= 10:
        raise InputError(f"Pain score {score} is out of range: give 0 (none) to 10 (worst).")
    if kind not in PAIN_KINDS:
        raise InputError(f"Unknown --when {kind!r}; use one of {', '.join(PAIN_KINDS)}.")
    for label, value, top in (("--minute", onset_min, 24 * 60), ("--km", onset_km, 400)):
        if value is not None and not 0 <= value <= top:
            raise InputError(f"{label} {value:g} is out of range (0 to {top}).")
    entry = {"score": score, "kind": kind, "location": (location or "").strip() or None,
             "onset_min": onset_min, "onset_km": onset_km, "activity_id": run_id,
             "recorded_on": recorded_on or datetime.now(UTC).date(), "note": note}
    with open_store(settings) as store:
        try:
            previous = store.add_pain(entry)
        except StorageError as exc:
            raise InputError(str(exc)) from exc
    before = None if previous is None else (previous["score"], previous["location"])
    location = entry["location"] if isinstance(entry["location"], str) else None
    return pain_is_new_or_changed(before, (score, location))


def list_pain(*, settings: Settings) -> dict[str, Any]:
    with open_store(settings) as store:
        return {"schema": "backstride.pain/1", "entries": store.list_pain()}


def _require_triage_after_changed_pain(settings: Settings, triaged_at: datetime) -> None:
    with open_store(settings) as store:
        before, after = store.pain_entries_since(triaged_at)
    state = None if before is None else (before["score"], before["location"])
    for entry in after:
        latest = (entry["score"], entry["location"])
        if pain_is_new_or_changed(state, latest):
            raise InputError(
                f"Your pain changed since your last triage ({entry['recorded_on']}: "
                f"{entry['score']}/10): answer the red-flag questions again ('backstride "
                "triage') before the next step of your plan.")
        state = latest


# --- trends ------------------------------------------------------------------------------


def trends(*, settings: Settings) -> Trends:
    """Metrics over weeks, progress against the plan's cadence steps, and pain against form."""
    with open_store(settings) as store:
        stored = store.runs_with_analyses()
        pains = store.list_pain()
        plan = store.latest_plan()
    runs = [RunPoint(
        run_id=row.id, start_utc=_utc(row.start_utc), distance_m=row.distance_m,
        moving_time_s=row.moving_time_s,
        metrics={key: float(m["value"]) for key, m in analysis.get("metrics", {}).items()
                 if m.get("status") == "ok" and m.get("value") is not None},
        drift={d["metric"]: DriftPoint(onset_s=d["onset_s"], onset_m=d["onset_m"],
                                       change_pct=d["change_pct"] or 0.0,
                                       significant=d["significant"])
               for d in analysis.get("drift", [])})
        for row, analysis in stored]
    points = [PainPoint(run_id=p["run_id"], recorded_on=date.fromisoformat(p["recorded_on"]),
                        kind=p["kind"], score=p["score"], onset_min=p["onset_min"],
                        onset_km=p["onset_km"]) for p in pains]
    steps: list[tuple[int, int, float]] = []
    start = None
    if plan is not None and not plan[0].get("held"):
        steps = [(s["week"], s["weeks"], s["target_spm"]) for s in plan[0]["cadence_steps"]]
        start = plan[1].date()
    return build_trends(runs, points, steps=steps, plan_start=start)


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)

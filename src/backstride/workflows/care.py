"""Triage, self-tests and the plan: red flags first, then what the body lacks, then the fix."""


from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from backstride.adapters.output import write_output
from backstride.adapters.render.plan_json import decisions_from_json, plan_json
from backstride.adapters.render.selftest_json import selftest_json
from backstride.adapters.render.triage_json import answers_json, triage_json
from backstride.adapters.storage.records import DEFAULT_RUNNER
from backstride.config import Settings
from backstride.core.adapt import PainDone, RunDone
from backstride.core.plan import (
    Baseline,
    ClearanceNote,
    Plan,
    RunSummary,
    build_plan,
    history_baseline,
)
from backstride.core.schedule import PainOnset, RunShape, pain_onset, shape_runs, usual_run_s
from backstride.core.screening import ScreeningResult, score_self_tests, validate_selftests
from backstride.core.triage import Answers, TriageResult, assess, validate_answers
from backstride.errors import BackstrideError, InputError, StorageError
from backstride.workflows._files import read_json_file, write_text_atomic

if TYPE_CHECKING:
    from backstride.adapters.storage.records import Clearance, TriageRecord
    from backstride.adapters.storage.store import Store


def _open_store(settings: Settings) -> Store:
    # The history (SQLAlchemy) loads only when a workflow touches it: not for the metronome.
    from backstride.workflows.history import open_store

    return open_store(settings)


@dataclass(frozen=True, slots=True, kw_only=True)
class Triaged:
    """A triage: its result and the validated answers it came from."""

    result: TriageResult
    answers: Answers

    def json(self) -> dict[str, Any]:
        """``backstride.triage/1``."""
        return triage_json(self.result)

    def answers_json(self) -> dict[str, Any]:
        """The ``answers/1`` document, values as given ("unsure" kept): what is stored."""
        return answers_json(self.answers)


def assess_back(answers: dict[str, Any], *, settings: Settings, save: bool = True,
                runner: str = DEFAULT_RUNNER) -> Triaged:
    """Validate the answers, assess them, and record both in history (answers as given).

    An interface shows the result before anything is saved (docs/safety.md, "Result first"):
    call this with ``save=False``, show ``result``, then :func:`record_triage`, whose failure
    is reported after the result."""
    checked = validate_answers(answers)
    result = assess(checked, emergency_number=settings.emergency_number)
    outcome = Triaged(result=result, answers=checked)
    if save:
        record_triage(outcome, settings=settings, runner=runner)
    return outcome


def record_triage(outcome: Triaged, *, settings: Settings, runner: str = DEFAULT_RUNNER,
                  direct: bool = False) -> CareState:
    """Store a triage in history and return where the runner stands now; a StorageError when
    the database cannot be used.

    ``direct``: for a SQLite history already at the current schema, record it and read the
    state with the standard library's sqlite3 in one transaction, without importing
    SQLAlchemy (``backstride triage``'s start-up, adapters/storage/direct.py); any other
    history, and any fault, goes through the Store."""
    answers = outcome.answers_json()
    if direct:
        from backstride.adapters.storage.direct import DirectHistory, DirectUnavailable

        try:
            with DirectHistory(settings.database_url, runner) as history:
                every = history.triages()
                latest = every[-1] if every else None
                if not _repeated(latest, answers, latest is not None
                                 and history.pain_logged_after(latest.created_utc)):
                    history.save_triage(answers, outcome.json())
                    every = history.triages()
                return state_of(every, history.latest_clearance())
        except DirectUnavailable:
            pass  # nothing was stored: the Store does it, and says what is wrong if anything
    with _open_store(settings) as store:
        every = store.triages_since(None, runner=runner)
        latest = every[-1] if every else None
        if not _repeated(latest, answers, latest is not None and bool(
                store.pain_entries_since(latest.created_utc, runner=runner)[1])):
            store.save_triage(answers, outcome.json(), runner=runner)
            every = store.triages_since(None, runner=runner)
        return state_of(every, store.latest_clearance(runner=runner))


def _repeated(latest: TriageRecord | None, answers: dict[str, Any], pain_since: bool) -> bool:
    """The same answers again are the same triage (a clearance given for it still counts),
    unless pain was logged since: then this is the re-ask, and it counts."""
    return latest is not None and latest.answers == answers and not pain_since


def triage_state(settings: Settings, *, runner: str = DEFAULT_RUNNER
                 ) -> tuple[TriageRecord | None, bool]:
    """The latest triage on record, and whether a clinician's clearance came after it."""
    state = care_state(settings, runner=runner)
    return state.latest, state.seen


HOLDING_LEVELS = ("urgent", "emergency")


@dataclass(frozen=True, slots=True, kw_only=True)
class CareState:
    """Where the runner stands (docs/safety.md, "Holds that hold")."""

    latest: TriageRecord | None  # the newest triage
    holding: TriageRecord | None  # the urgent/emergency triage no clearance has lifted
    clearance: Clearance | None  # the newest clearance (or recorded visit)
    seen: bool  # a clearance/visit is recorded after the newest triage

    @property
    def held(self) -> bool:
        return self.holding is not None


def care_state(settings: Settings, *, runner: str = DEFAULT_RUNNER) -> CareState:
    """Only a recorded clearance lifts a hold: an urgent or emergency triage holds the plan
    until a clearance is recorded after it, whatever later, lower triages say; the most
    serious such triage (the newest of equals) is the one that holds."""
    with _open_store(settings) as store:
        clearance = store.latest_clearance(runner=runner)
        every = store.triages_since(None, runner=runner)
    return state_of(every, clearance)


def state_of(every: Sequence[TriageRecord], clearance: Clearance | None) -> CareState:
    """:func:`care_state` from the runner's triages (oldest first) and newest clearance."""
    latest = every[-1] if every else None
    # A clearance lifts the triages recorded before it, and only for a visit on or after
    # their day (a clearance dated before an emergency cannot be about it).
    holding = [r for r in every if r.level in HOLDING_LEVELS and (
        clearance is None or r.created_utc >= clearance.created_utc
        or clearance.cleared_on < r.created_utc.date())]
    strongest = max(holding, key=lambda r: (HOLDING_LEVELS.index(r.level), r.created_utc),
                    default=None)
    # Only a clearance recorded after this triage counts: a new urgent answer set (changed
    # symptoms) needs a new clearance, even on the same day. Re-running the same answers
    # does not make a new triage record (record_triage), so it keeps its clearance.
    seen = latest is not None and clearance is not None and (
        clearance.created_utc > latest.created_utc
        and clearance.cleared_on >= latest.created_utc.date())
    return CareState(latest=latest, holding=strongest, clearance=clearance, seen=seen)


def check_selftests_allowed(settings: Settings, *, runner: str = DEFAULT_RUNNER) -> None:
    """No self-tests while triage is urgent or emergency and no clearance is recorded
    (DOMAIN.md §6): testing a back that needs a clinician first is not safe. Triage comes
    first (§5.3), so no self-tests before any triage either."""
    state = care_state(settings, runner=runner)
    if state.latest is None:
        raise InputError("Answer the red-flag questions first ('backstride triage'): they say "
                         "whether self-tests are safe for you now.")
    if state.holding is not None:
        record = state.holding
        which = (f"Your last triage was {record.level}" if record == state.latest else
                 f"Your {record.level} triage of {record.created_utc.date().isoformat()} still "
                 "holds (a later, lower triage does not lift it)")
        raise InputError(
            f"{which}: {record.result['action']} Self-tests wait until a clinician has seen "
            "you; then record it with 'backstride clearance --by NAME'.")


@dataclass(frozen=True, slots=True, kw_only=True)
class Screened:
    result: ScreeningResult

    def json(self) -> dict[str, Any]:
        """``backstride.selftests/1`` scored (results, contributors)."""
        return selftest_json(self.result)


def screen_body(results: dict[str, Any], *, settings: Settings, save: bool = True,
                runner: str = DEFAULT_RUNNER) -> Screened:
    if save:
        check_selftests_allowed(settings, runner=runner)
    screened = score_self_tests(validate_selftests(results))
    outcome = Screened(result=screened)
    if save:
        with _open_store(settings) as store:
            store.save_selftests(results, outcome.json(), runner=runner)
    return outcome


def latest_selftests(*, settings: Settings, runner: str = DEFAULT_RUNNER
                     ) -> dict[str, Any] | None:
    """The latest backstride.selftests/1 on record, as given."""
    with _open_store(settings) as store:
        return store.latest_selftests(runner=runner)


@dataclass(frozen=True, slots=True, kw_only=True)
class Planned:
    """A plan, with the triage that leads it and the self-tests it was made from."""

    plan: Plan
    triage: TriageResult
    screening: ScreeningResult | None

    def json(self) -> dict[str, Any]:
        """``backstride.plan/1``: what is stored and written."""
        return plan_json(self.plan)

    def triage_json(self) -> dict[str, Any]:
        return triage_json(self.triage)

    def selftests_json(self) -> dict[str, Any] | None:
        return None if self.screening is None else selftest_json(self.screening)


def make_plan(*, settings: Settings, answers: Path | None = None, results: Path | None = None,
              analysis: Path | None = None, runner: str = DEFAULT_RUNNER,
              start: date | None = None, today: date | None = None) -> Planned:
    """The plan from triage (file or history), self-tests (file or history), a cadence
    baseline (an analysis file, else the stored runs: DOMAIN.md §4.1) with the latest run's
    findings and the newest stored videos' findings, and the shoes in use.

    Dated from ``start`` (default: the stored plan's start, else ``today``, itself default
    the UTC date); a start before ``today`` is refused. The stored plan's decisions are kept."""
    from backstride.workflows.history import list_shoes, require_triage_after_changed_pain
    from backstride.workflows.video import latest_video_findings

    if answers is not None:
        outcome = assess_back(read_json_file(answers, "triage answers"), settings=settings,
                              save=False)
        try:
            record_triage(outcome, settings=settings, runner=runner)
        except BackstrideError as exc:  # the triage result still comes first (safety.md)
            raise StorageError(
                f"{outcome.result.level.value.replace('_', ' ').upper()}: "
                f"{outcome.result.action} (from {answers.name}) — this triage could not be "
                f"saved, so no plan was made: {exc}") from exc
    today = today or datetime.now(UTC).date()
    with _open_store(settings) as store:
        previous = store.latest_plan(runner=runner)
    previous_start = _stored_start(None if previous is None else previous[0])
    if start is not None and start < today and start != previous_start:
        kept = (f" Leave --start out to keep your plan's start, {previous_start.isoformat()}."
                if previous_start is not None else "")
        raise InputError(f"--start {start.isoformat()} is in the past (today is "
                         f"{today.isoformat()}): a plan starts today or later, so its first "
                         f"runs are still ahead. Give today or a later date.{kept}")
    start = start or previous_start or today
    history = decisions_from_json(None if previous is None else previous[0].get("decisions"))
    state = care_state(settings, runner=runner)
    record = state.latest
    if record is None:
        raise InputError("No triage on record: answer the red-flag questions first "
                         "('backstride triage'), or pass --answers FILE.")
    require_triage_after_changed_pain(settings, record.created_utc, runner=runner)
    held = state.held
    # Only a clearance lifts a hold: the triage that holds leads the plan, and a later,
    # lower triage is kept and named (docs/safety.md, "Holds that hold").
    shown = state.holding or record
    hold_detail = "" if shown == record else (
        f"This hold comes from your {shown.level} triage of "
        f"{shown.created_utc.date().isoformat()}; your later answers "
        f"({record.level.replace('_', ' ')}, {record.created_utc.date().isoformat()}) do "
        "not lift it: only a clinician's clearance does.")
    clearance = None if state.clearance is None or not state.seen else ClearanceNote(
        by=state.clearance.cleared_by, on=state.clearance.cleared_on,
        note=state.clearance.note, after_level=record.level,
        after_day=record.created_utc.date())
    if results is not None:
        tests = read_json_file(results, "self-test results")
        screen_body(tests, settings=settings, save=not held,  # a held plan records none
                    runner=runner)
    stored_tests = latest_selftests(settings=settings, runner=runner)
    screening = None if stored_tests is None else screen_body(stored_tests, settings=settings,
                                                                save=False)
    # The runs' latest analyses, read once: the 8 weeks before the plan's start (baseline,
    # usual run, pain onsets) and every week since (what the plan judges) [D].
    window = max(HISTORY_WINDOW, (today - start) + HISTORY_WINDOW)
    with _open_store(settings) as store:
        stored_runs = store.runs_with_analyses(runner=runner, recent=window)
    baseline, findings = (_baseline(analysis) if analysis is not None
                          else _history_baseline(settings, runner, stored_runs))
    started_from = (previous[0].get("baseline") or {}) if previous is not None else {}
    if analysis is None and start == previous_start and started_from.get("cadence_spm"):
        # A dated plan keeps the baseline it started from: its steps do not move under the
        # runs it is judging (§4.2 rule 5: B changes only after a step, with a new plan).
        band = started_from.get("pace_band_mps")
        baseline = Baseline(cadence_spm=float(started_from["cadence_spm"]),
                            basis=str(started_from.get("basis") or "the plan's baseline"),
                            pace_band_mps=(float(band[0]), float(band[1])) if band else None)
    # What the newest side and rear clips found (overstride, pelvic drop...) counts too.
    findings = tuple(dict.fromkeys(
        (*findings, *latest_video_findings(settings=settings, runner=runner))))
    inputs = run_shape(settings, runner, today=today, stored=stored_runs)
    shoes_in_use = [(shoe.name, shoe.distance_m)
                    for shoe in list_shoes(settings=settings, runner=runner).in_use]
    # The action is recomputed so it names today's emergency_number setting; the stored
    # record (and the clearance that refers to it) stays as it was.
    current = assess(validate_answers(shown.answers), emergency_number=settings.emergency_number)
    plan = build_plan(
        triage_level=current.level, triage_action=current.action,
        cleared=state.seen and not held, clearance=clearance, hold_detail=hold_detail,
        baseline=baseline, findings=findings,
        contributors=() if screening is None else screening.result.contributors,
        startback_risk=None if current.startback is None else current.startback.risk.value,
        shoes=shoes_in_use, shoe_warn_m=settings.shoe_warn_distance_m,
        shoe_replace_m=settings.shoe_replace_distance_m,
        start=start, shape=inputs.shape, history=history, today=today, runs_done=inputs.runs,
        pains_done=inputs.pains)
    if inputs.notes and not plan.held:
        plan = dataclasses.replace(plan, notes=(*plan.notes, *inputs.notes))
    planned = Planned(plan=plan, triage=current,
                      screening=None if screening is None else screening.result)
    with _open_store(settings) as store:
        store.save_plan(planned.json(), runner=runner)
    return planned


def _stored_start(plan: dict[str, Any] | None) -> date | None:
    try:
        return date.fromisoformat(str((plan or {}).get("start_date")))
    except ValueError:  # a plan stored before dated plans, or none
        return None


HISTORY_WINDOW = timedelta(weeks=8)


@dataclass(frozen=True, slots=True, kw_only=True)
class PlanInputs:
    shape: RunShape
    notes: list[str]
    runs: list[RunDone]
    pains: list[PainDone]


def run_shape(settings: Settings, runner: str, *, today: date,
              stored: list[tuple[Any, dict[str, Any]]] | None = None) -> PlanInputs:
    """DOMAIN.md §4.3 rules 1–2 from the pain diary and the stored runs, the runs and pain
    entries the plan adapts to (§4.2 rules 5–6), and a note for each entry or run not used
    (a pain onset past its run's end, a run or a pain entry dated in the future)."""
    with _open_store(settings) as store:
        if stored is None:
            stored = store.runs_with_analyses(runner=runner)
        entries = store.list_pain(runner=runner)
    from backstride.workflows.history import as_utc

    notes: list[str] = []
    runs = {}
    for row, analysis in stored:
        day = as_utc(row.start_utc).date()
        if day > today:
            notes.append(f"Run {row.id} is dated {day.isoformat()}, after today "
                         f"({today.isoformat()}): not used for run lengths (check the watch's "
                         "clock).")
            continue
        runs[row.id] = (day, float(row.duration_s), analysis)
    onsets = []
    for entry in entries:
        if entry.run_id is None or entry.run_id not in runs or entry.kind != "during":
            continue
        day, duration_s, analysis = runs[entry.run_id]
        onset, source = _entry_onset_s(entry.onset_min, entry.onset_km, analysis)
        if onset is not None and onset > duration_s:
            notes.append(f"Pain entry {entry.id}: onset {onset / 60:.0f} min is past the end of "
                         f"run {entry.run_id} ({duration_s / 60:.0f} min): not used; correct it "
                         "with 'backstride pain'.")
            continue
        onsets.append(PainOnset(day=day, score=entry.score, onset_s=onset, source=source))
    durations = [duration for _day, duration, _a in sorted(runs.values(), key=lambda r: r[0])]
    from backstride.adapters.render.analysis_json import cadence_profile_from_json

    done = [RunDone(id=run_id, day=day, cadence_spm=_metric(analysis, "cadence_spm"),
                    speed_mps=_metric(analysis, "speed_mps"),
                    cadence_profile=cadence_profile_from_json(analysis))
            for run_id, (day, _duration, analysis) in runs.items()]
    pains = []
    for entry in entries:
        if entry.recorded_on > today:
            notes.append(f"Pain entry {entry.id} is dated {entry.recorded_on.isoformat()}, "
                         f"after today ({today.isoformat()}): not used.")
            continue
        pains.append(PainDone(day=entry.recorded_on, kind=entry.kind, score=entry.score))
    return PlanInputs(shape=shape_runs(pain_onset(onsets), usual_run_s(durations)), notes=notes,
                      runs=sorted(done, key=lambda r: (r.day, r.id)), pains=pains)


def _metric(analysis: dict[str, Any], key: str) -> float | None:
    """A stored analysis' metric when it was measured, else None."""
    metric = (analysis.get("metrics") or {}).get(key) or {}
    return float(metric["value"]) if metric.get("status") == "ok" else None


def _entry_onset_s(onset_min: float | None, onset_km: float | None,
                   analysis: dict[str, Any]) -> tuple[float | None, str]:
    """Where in the run the pain began (s): the diary's minute, its km at the run's median
    speed, else the earliest significant drift onset of that run (§4.3 rule 1)."""
    if onset_min is not None:
        return 60.0 * onset_min, "diary"
    speed_mps = _metric(analysis, "speed_mps")
    if onset_km is not None and speed_mps is not None and speed_mps > 0:
        return 1000.0 * onset_km / speed_mps, f"diary km {onset_km:g} at {speed_mps:.1f} m/s"
    drifts = [float(d["onset_s"]) for d in analysis.get("drift") or []
              if d.get("significant") and d.get("onset_s") is not None]
    if drifts:
        return min(drifts), "drift onset of that run"
    return None, "no onset"


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


def _history_baseline(settings: Settings, runner: str,
                      stored: list[tuple[Any, dict[str, Any]]] | None = None
                      ) -> tuple[Baseline | None, tuple[str, ...]]:
    """DOMAIN.md §4.1 from the stored runs, and the findings of the latest run."""
    from backstride.workflows.history import as_utc

    if stored is None:
        with _open_store(settings) as store:
            stored = store.runs_with_analyses(runner=runner)
    summaries = []
    for row, analysis in stored:
        cadence_spm, speed_mps = _metric(analysis, "cadence_spm"), _metric(analysis, "speed_mps")
        if cadence_spm is not None and speed_mps is not None:
            summaries.append(RunSummary(start_utc=as_utc(row.start_utc),
                                        cadence_spm=cadence_spm, speed_mps=speed_mps))
    findings = tuple(str(f["id"]) for f in stored[-1][1].get("findings", [])) if stored else ()
    return history_baseline(summaries), findings


def render_plan(planned: Planned, *, settings: Settings) -> str:
    from backstride.adapters.render.plan_html import render_plan_html

    return render_plan_html(planned.json(), triage=planned.triage_json(),
                            selftests=planned.selftests_json(), units=settings.units)


def write_workouts(plan: Plan, directory: Path) -> list[Path]:
    """One FIT workout per planned run (``plan.weeks``): its length, its run-walk repeats and
    its cadence alert range, the same run as the calendar and the printable page. None while
    the plan is held or waits for a clinician's visit (see_clinician)."""
    if plan.held or plan.waiting_for_clinician:
        return []
    from backstride.adapters.formats.fit_workout import (
        Intensity,
        WorkoutStep,
        cadence_workout_bytes,
    )
    from backstride.core.schedule import run_words

    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for week in plan.weeks:
        for run in week.runs:
            low, high = run.range_spm if run.range_spm is not None else (None, None)
            label = "Run" if run.target_spm is None else f"Run {run.target_spm:.0f}"
            if run.run_walk is None:
                steps = [WorkoutStep(name=label, duration_s=run.duration_s,
                                     cadence_low_spm=low, cadence_high_spm=high)]
            else:
                steps = []
                for _ in range(run.run_walk.repeats):
                    steps += [WorkoutStep(name=label, duration_s=run.run_walk.run_s,
                                          cadence_low_spm=low, cadence_high_spm=high),
                              WorkoutStep(name="Walk", duration_s=run.run_walk.walk_s,
                                          intensity=Intensity.REST)]
            name = f"W{week.week} {run.day:%a %d %b}: {run_words(run)[0]}"
            path = directory / f"{run.day:%Y-%m-%d}-week-{week.week:02d}-{run.kind}.fit"
            write_output(path, cadence_workout_bytes(name, steps))
            written.append(path)
    return written


def write_calendar(plan: Plan, path: Path, *, start: date | None = None) -> Path:
    from backstride.adapters.render.ics import plan_ics

    write_text_atomic(path, plan_ics(plan, start=start or plan.start_date
                                     or datetime.now(UTC).date()))
    return path

"""The history database: opening and migrating it, runs, shoes, pain diary, trends."""


from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any, Final

from backstride.adapters.storage.records import (
    DEFAULT_RUNNER,
    Clearance,
    PainRecord,
    RunRecord,
    ShoeRecord,
)
from backstride.adapters.storage.store import Store
from backstride.config import Settings
from backstride.core.plan import (
    pain_is_new_or_changed,
)
from backstride.errors import InputError, NotFoundError, StorageError

if TYPE_CHECKING:
    from backstride.core.history import PainPoint, RunPoint, Trends
    from backstride.core.trend_series import TrendSeries


def database_url(settings: Settings) -> str:
    return settings.database_url


def open_store(settings: Settings, *, auto_migrate: bool | None = None) -> Store:
    """The history database: SQLite in ``data_dir`` unless ``--db``/``BACKSTRIDE_DB`` says
    otherwise. SQLite migrates itself on open (after a backup); PostgreSQL only through
    ``migrate_database``. The Store is the process's one for that database (opened, checked
    and migrated once; ``with store:`` leaves it open for the next call)."""
    from backstride.adapters.storage.opened import shared_store

    return shared_store(database_url(settings), auto_migrate=auto_migrate)


def migrate_database(settings: Settings) -> str:
    """Upgrade the schema (the only way a PostgreSQL database is migrated)."""
    open_store(settings, auto_migrate=True)
    return database_url(settings)


def record_clearance(*, settings: Settings, cleared_by: str, cleared_on: date | None,
                     note: str | None, runner: str = DEFAULT_RUNNER) -> Clearance:
    if not cleared_by.strip():
        raise InputError("--by needs the clinician's name (for example --by 'Dr Rao').")
    day = cleared_on or datetime.now(UTC).date()
    if day > datetime.now(UTC).date():
        raise InputError(f"--date {day.isoformat()} is in the future; give the day the "
                         "clinician cleared you (YYYY-MM-DD).")
    with open_store(settings) as store:
        serious = [r for r in store.triages_since(None, runner=runner)
                   if r.level in ("urgent", "emergency")]
        record = serious[-1] if serious else None  # a later, lower triage does not lift it
        if record is not None and day < record.created_utc.date():
            raise InputError(
                f"--date {day.isoformat()} is before your last {record.level} triage "
                f"({record.created_utc.date().isoformat()}): a clearance must come after the "
                "clinician has seen you for these symptoms.")
        return store.save_clearance(cleared_by=cleared_by.strip(), cleared_on=day, note=note,
                                    runner=runner)


SURFACES = ("road", "trail", "track", "treadmill", "grass")


def list_runs(*, settings: Settings, limit: int | None = None, offset: int = 0,
              runner: str = DEFAULT_RUNNER) -> tuple[RunRecord, ...]:
    """The runs, newest first (a page of them with ``limit`` and ``offset``)."""
    with open_store(settings) as store:
        return tuple(store.list_runs(limit=limit, offset=offset, runner=runner))


def count_runs(*, settings: Settings, runner: str = DEFAULT_RUNNER) -> int:
    with open_store(settings) as store:
        return store.count_runs(runner=runner)


def history_version(*, settings: Settings) -> int | None:
    """A number the database bumps with every write to the history, by any process (for
    caching whole pages); None when it cannot say (then nothing is cached)."""
    with open_store(settings) as store:
        return store.history_version()


def run_analysis(run_id: int, *, settings: Settings, runner: str = DEFAULT_RUNNER
                 ) -> dict[str, Any]:
    """A run of this runner's; another runner's run is "no such run", as a missing one."""
    with open_store(settings) as store:
        found = store.run_analysis(run_id, runner=runner)
    if found is None:
        raise NotFoundError(f"There is no run {run_id}. See 'backstride runs' for the ids.")
    return found


def set_surface(run_id: int, surface: str, *, settings: Settings,
                runner: str = DEFAULT_RUNNER) -> None:
    if surface not in SURFACES:
        raise InputError(f"Unknown surface {surface!r}; use one of {', '.join(SURFACES)}.")
    with open_store(settings) as store:
        if not store.set_surface(run_id, surface, runner=runner):
            raise NotFoundError(f"There is no run {run_id}. See 'backstride runs' for the ids.")


SHOE_START_MAX_M: Final = 5_000_000.0
"""The largest distance a shoe may have run before it is added (5,000 km)."""


def shoe_problems(*, name: str | None, start_distance_m: float | None,
                  default_from: date | None, default_to: date | None) -> list[str]:
    """What is wrong with a new shoe, every problem its own sentence (None: not readable, the
    caller says so)."""
    problems = []
    if name is not None and not name.strip():
        problems.append("A shoe needs a name (for example 'Pegasus 40 blue').")
    if start_distance_m is not None and not 0 <= start_distance_m <= SHOE_START_MAX_M:
        problems.append(f"The starting distance {start_distance_m:g} m is not plausible; give "
                        "the distance the shoe has already run (0 for new shoes).")
    if default_from and default_to and default_to < default_from:
        problems.append("--default-to is before --default-from.")
    return problems


def add_shoe(*, settings: Settings, name: str, start_distance_m: float,
             default_from: date | None, default_to: date | None,
             runner: str = DEFAULT_RUNNER) -> int:
    problems = shoe_problems(name=name, start_distance_m=start_distance_m,
                             default_from=default_from, default_to=default_to)
    if problems:  # every one at once
        raise InputError(" ".join(problems))
    with open_store(settings) as store:
        return store.add_shoe(name=name.strip(), start_distance_m=start_distance_m,
                              added_on=datetime.now(UTC).date(), default_from=default_from,
                              default_to=default_to, runner=runner)


@dataclass(frozen=True, slots=True, kw_only=True)
class ShoeList:
    """The runner's shoes, each with its status against the mileage rule (warn, replace)."""

    warn_m: float
    replace_m: float
    shoes: tuple[ShoeRecord, ...]

    @property
    def in_use(self) -> tuple[ShoeRecord, ...]:
        return tuple(shoe for shoe in self.shoes if shoe.status != "retired")

    @property
    def retired(self) -> tuple[ShoeRecord, ...]:
        return tuple(shoe for shoe in self.shoes if shoe.status == "retired")


def list_shoes(*, settings: Settings, runner: str = DEFAULT_RUNNER) -> ShoeList:
    with open_store(settings) as store:
        found = store.list_shoes(runner=runner)
    warn_m, replace_m = settings.shoe_warn_distance_m, settings.shoe_replace_distance_m
    return ShoeList(warn_m=warn_m, replace_m=replace_m, shoes=tuple(
        replace(shoe, status="retired" if shoe.retired_on else
                "replace" if shoe.distance_m >= replace_m else
                "replace_soon" if shoe.distance_m >= warn_m else "ok")
        for shoe in found))


def retire_shoe(shoe_id: int, *, settings: Settings, on: date | None,
                runner: str = DEFAULT_RUNNER) -> None:
    with open_store(settings) as store:
        if not store.retire_shoe(shoe_id, on=on or datetime.now(UTC).date(), runner=runner):
            raise NotFoundError(f"There is no shoe {shoe_id}. See 'backstride shoes list'.")


def set_default_shoe(shoe_id: int, *, settings: Settings, default_from: date,
                     default_to: date | None, runner: str = DEFAULT_RUNNER) -> None:
    with open_store(settings) as store:
        if not store.set_default_shoe(shoe_id, default_from=default_from,
                                      default_to=default_to, runner=runner):
            raise NotFoundError(f"There is no shoe {shoe_id}. See 'backstride shoes list'.")


PAIN_KINDS = ("during", "after_run", "next_morning", "other")


def add_pain(*, settings: Settings, score: int, kind: str, location: str | None,
             onset_min: float | None, onset_km: float | None, run_id: int | None,
             recorded_on: date | None, note: str | None, runner: str = DEFAULT_RUNNER) -> bool:
    """Store a pain entry; True when it is new or changed pain, which must be triaged again
    before the plan's next step (DOMAIN.md §5.3)."""
    problems = pain_problems(score=score, kind=kind, onset_min=onset_min, onset_km=onset_km,
                             recorded_on=recorded_on)
    if problems:  # every one at once
        raise InputError(" ".join(problems))
    entry = {"score": score, "kind": kind, "location": (location or "").strip() or None,
             "onset_min": onset_min, "onset_km": onset_km, "activity_id": run_id,
             "recorded_on": recorded_on or datetime.now(UTC).date(), "note": note}
    with open_store(settings) as store:
        if run_id is not None:
            _check_onset_inside_run(store.run_analysis(run_id, runner=runner), run_id,
                                    onset_min, onset_km)
        try:
            previous = store.add_pain(entry, runner=runner)
        except StorageError as exc:
            raise NotFoundError(str(exc)) from exc
    before = None if previous is None else (previous.score, previous.location)
    location = entry["location"] if isinstance(entry["location"], str) else None
    return pain_is_new_or_changed(before, (score, location))


PAIN_ONSET_MAX: Final = {"--minute": 24 * 60, "--km": 400}
"""The largest pain onset accepted: a minute within a day, a km within 400 km."""


def pain_problems(*, score: int | None, kind: str | None, onset_min: float | None,
                  onset_km: float | None, recorded_on: date | None) -> list[str]:
    """What is wrong with a pain entry, every problem its own sentence (None: not given, or
    not readable: the caller says so). Options are named as the CLI's (``--minute``); a form
    names its own fields instead (web.forms)."""
    problems = []
    if score is not None and not 0 <= score <= 10:
        problems.append(f"Pain score {score} is out of range: give 0 (none) to 10 (worst).")
    if kind is not None and kind not in PAIN_KINDS:
        problems.append(f"Unknown --when {kind!r}; use one of {', '.join(PAIN_KINDS)}.")
    for label, value in (("--minute", onset_min), ("--km", onset_km)):
        top = PAIN_ONSET_MAX[label]
        if value is not None and not 0 <= value <= top:  # also inf and nan
            problems.append(f"{label} {value:g} is out of range (0 to {top}).")
    today = datetime.now(UTC).date()
    if recorded_on is not None and recorded_on > today:
        problems.append(f"--date {recorded_on.isoformat()} is after today "
                        f"({today.isoformat()}): log pain on the day you felt it, today or "
                        "earlier.")
    return problems


def _check_onset_inside_run(analysis: dict[str, Any] | None, run_id: int,
                            onset_min: float | None, onset_km: float | None) -> None:
    """A pain onset past the run's end cannot be where the pain began in it (it used to be
    accepted and used for run lengths): refuse it with the run's length."""
    activity = (analysis or {}).get("activity") or {}
    duration_s, distance_m = activity.get("duration_s"), activity.get("distance_m")
    if onset_min is not None and duration_s is not None and 60.0 * onset_min > duration_s:
        raise InputError(f"--minute {onset_min:g} is past the end of run {run_id}, which "
                         f"lasted {duration_s / 60.0:.1f} min: give the minute the pain began "
                         "during that run (or leave --minute out).")
    if onset_km is not None and distance_m is not None and 1000.0 * onset_km > distance_m:
        raise InputError(f"--km {onset_km:g} is past the end of run {run_id}, which covered "
                         f"{distance_m / 1000.0:.2f} km: give the km the pain began during "
                         "that run (or leave --km out).")


def list_pain(*, settings: Settings, runner: str = DEFAULT_RUNNER) -> tuple[PainRecord, ...]:
    """The pain diary, oldest first."""
    with open_store(settings) as store:
        return tuple(store.list_pain(runner=runner))


def require_triage_after_changed_pain(settings: Settings, triaged_at: datetime, *,
                                      runner: str = DEFAULT_RUNNER) -> None:
    with open_store(settings) as store:
        before, after = store.pain_entries_since(triaged_at, runner=runner)
    state = None if before is None else (before.score, before.location)
    for entry in after:
        latest = (entry.score, entry.location)
        if pain_is_new_or_changed(state, latest):
            raise InputError(
                f"Your pain changed since your last triage ({entry.recorded_on.isoformat()}: "
                f"{entry.score}/10): answer the red-flag questions again ('backstride "
                "triage') before the next step of your plan.")
        state = latest


def trends(*, settings: Settings, runner: str = DEFAULT_RUNNER) -> Trends:
    """Metrics over weeks, progress against the plan's cadence steps, and pain against form."""
    from backstride.core.history import build_trends

    runs, points, steps, start = _trend_inputs(settings, runner)
    return build_trends(runs, points, steps=[s[:3] for s in steps], plan_start=start)


def trends_with_series(*, settings: Settings, runner: str = DEFAULT_RUNNER
                       ) -> tuple[Trends, TrendSeries]:
    """``trends`` and the charts' per-run series (core.trend_series), from one read."""
    from backstride.core.history import build_trends
    from backstride.core.trend_series import build_series

    runs, points, steps, start = _trend_inputs(settings, runner)
    return (build_trends(runs, points, steps=[s[:3] for s in steps], plan_start=start),
            build_series(runs, points, steps=steps, plan_start=start))


def _trend_inputs(settings: Settings, runner: str) -> tuple[
        list[RunPoint], list[PainPoint], list[tuple[int, int, float, float, float]],
        date | None]:
    """The stored runs and diary as core's points, and the plan's cadence steps
    ``(week, weeks, target, alert low, alert high)`` with the day its week 1 starts."""
    from backstride.adapters.render.units import core_name, from_contract
    from backstride.core.history import DriftPoint, PainKind, PainPoint, RunPoint
    from backstride.core.trend_series import ALERT_HALF_RANGE_SPM

    with open_store(settings) as store:
        stored = store.runs_with_metrics(runner=runner)
        pains = store.list_pain(runner=runner)
        plan = store.latest_plan(runner=runner)
    runs = []
    for row, parts in stored:
        known = _IN_SI.get(id(parts))
        if known is None or known[0] is not parts:
            # stored in the contract's units (ms, mm, %): the core works in SI
            known = (parts, (
                dict(from_contract(key, value) for key, value in parts.metrics.items()),
                {core_name(d["metric"]): DriftPoint(
                    onset_s=d["onset_s"], onset_m=d["onset_m"],
                    change_frac=(d["change_pct"] or 0.0) / 100.0, significant=d["significant"])
                 for d in parts.drift},
                _ci95s(parts.ci95)))
            if len(_IN_SI) >= _IN_SI_KEPT:
                _IN_SI.clear()
            _IN_SI[id(parts)] = known
        metrics, drift, ci95 = known[1]
        runs.append(RunPoint(run_id=row.id, start_utc=as_utc(row.start_utc),
                             distance_m=row.distance_m, moving_time_s=row.moving_time_s,
                             metrics=metrics, drift=drift, ci95=ci95))
    points = [PainPoint(run_id=p.run_id, recorded_on=p.recorded_on, kind=PainKind(p.kind),
                        score=p.score,
                        onset_min=p.onset_min, onset_km=p.onset_km) for p in pains]
    steps: list[tuple[int, int, float, float, float]] = []
    start = None
    if plan is not None and not plan[0].get("held"):
        for s in plan[0]["cadence_steps"]:
            target = float(s["target_spm"])
            low, high = (s.get("range_spm") or
                         (target - ALERT_HALF_RANGE_SPM, target + ALERT_HALF_RANGE_SPM))
            steps.append((int(s["week"]), int(s["weeks"]), target, float(low), float(high)))
        # A dated plan's week 1 starts on its start_date; an older plan on the day it was made.
        start = _stored_day(plan[0].get("start_date")) or plan[1].date()
    return runs, points, steps, start


# Each stored analysis' parts in core's names and SI units, by the parts object the Store keeps
# for that analysis (Store.runs_with_metrics hands out the same object while the analysis is
# unchanged; the entry holds it, so its id is not reused): converted once per process, not
# for 1,500 runs after every write (~0.2 s). The RunPoints share these dicts: read-only.
_IN_SI: dict[int, tuple[Any, tuple[Any, Any, Any]]] = {}
_IN_SI_KEPT: Final = 20_000


def _ci95s(stored: Mapping[str, tuple[float, float]]) -> dict[str, tuple[float, float]]:
    """Each measured metric's 95 % interval, turned into core's name and SI units."""
    from backstride.adapters.render.units import from_contract

    out = {}
    for key, (low, high) in stored.items():
        name, low_si = from_contract(key, low)
        out[name] = (low_si, from_contract(key, high)[1])
    return out


def _stored_day(text: Any) -> date | None:
    try:
        return date.fromisoformat(str(text)) if text else None
    except ValueError:
        return None


def as_utc(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def run_report_html(run_id: int, *, settings: Settings, plotly_src: str | None = None,
                    runner: str = DEFAULT_RUNNER,
                    memo: Callable[[str, Callable[[], str]], str] | None = None,
                    plan: dict[str, Any] | None = None, plan_href: str | None = None,
                    link_target: str | None = None) -> str:
    """The stored run's HTML report, drawn from its stored analysis and analysed series; its
    findings name (and with ``plan_href``, link to) the parts of ``plan`` that answer them.
    ``memo(key, draw)``: a cache of drawn reports by ``key``, the SHA-256 of everything the
    report is drawn from (analysis, series, units, plotly source, plan and links), so a report
    is drawn again only when one of them changed (drawing is ~0.5 s; reading and hashing
    ~5 ms)."""
    import hashlib
    import json

    analysis = run_analysis(run_id, settings=settings, runner=runner)
    with open_store(settings) as store:
        blob = store.run_series(run_id, runner=runner)

    def draw() -> str:
        return _draw_run_report(analysis, blob, settings=settings, plotly_src=plotly_src,
                                plan=plan, plan_href=plan_href, link_target=link_target)

    if memo is None:
        return draw()
    digest = hashlib.sha256(json.dumps(
        [analysis, settings.units, plotly_src, plan, plan_href, link_target], sort_keys=True,
        default=str).encode())
    digest.update(blob or b"")
    return memo(digest.hexdigest(), draw)


def _draw_run_report(analysis: dict[str, Any], blob: bytes | None, *, settings: Settings,
                     plotly_src: str | None, plan: dict[str, Any] | None,
                     plan_href: str | None, link_target: str | None) -> str:
    import numpy as np

    from backstride.adapters.render.html import render_analysis_html
    from backstride.adapters.render.plot_data import plot_columns
    from backstride.adapters.render.units import METRIC_UNITS
    from backstride.adapters.storage.records import decode_series

    plot: dict[str, list[float | None]] = {}
    if blob is not None:
        t_s, columns = decode_series(blob)
        running = columns.pop("running", np.ones_like(t_s)) > 0.5
        timer_s = columns.pop("timer_s", t_s)
        measured = [name for name, unit in METRIC_UNITS.items()
                    if (analysis["metrics"].get(unit.key) or {}).get("status") == "ok"]
        plot = plot_columns(running, timer_s, columns, measured)
    return render_analysis_html(analysis, plot, units=settings.units, plotly_src=plotly_src,
                                plan=plan, plan_href=plan_href, link_target=link_target)


def run_id_for_sha256(sha256: str, *, settings: Settings, runner: str = DEFAULT_RUNNER
                      ) -> int | None:
    with open_store(settings) as store:
        return store.run_id_for_source(sha256, runner=runner)

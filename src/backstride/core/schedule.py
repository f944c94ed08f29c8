"""The dated plan: weeks with dated runs, each run shaped (DOMAIN.md §4.2 rule 4, §4.3).

Pure: dates in, dates out, no clock. The workflow passes today's date and the runner's
pain diary and runs in the small records below.

- Run length (§4.3 rules 1–2): the pain onset is the earliest onset (minute or km from the
  diary, else the drift onset of the run where the pain was logged) on the last 3 runs with
  pain ≥ 3/10. Easy runs end at ~80 % of it, or become run-walk (4 min run / 1 min walk) when
  it is under 20 min. No onset known: the runner's usual easy-run length (median of recent
  runs), else 20 min building towards 30 min (§4.2 rule 4) [D].
- 2–3 runs a week (§4.3 rule 3): 3, or 2 while runs are run-walk [D].
- Extended by at most 10 % a week (§4.3 rule 4) [D, convention], planned ahead on the
  assumption that pain stays within the pain-monitoring rules; the plan's decisions repeat or
  step back a week when it does not.
- Metronome (§4.2 rule 4): week 1 of a step 5 min inside each run, week 2 2–3 min on / off,
  then off (watch check only).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from statistics import median
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from backstride.core.plan import CadenceStep

PAIN_ONSET_MIN_SCORE: Final = 3  # §4.3 rule 1 [D]
ONSET_RUNS: Final = 3
ONSET_FRACTION: Final = 0.8  # §4.3 rule 2: end easy runs at ~80 % of the onset [D]
RUN_WALK_BELOW_S: Final = 20 * 60.0  # §4.3 rule 2: run-walk when the onset is under 20 min
RUN_WALK_RUN_S: Final = 240  # 4 min run / 1 min walk [D]
RUN_WALK_WALK_S: Final = 60
RUN_WALK_REPEATS: Final = 5
DEFAULT_RUN_S: Final = 20 * 60  # no run on record: 20 min building to 30 (§4.2 rule 4) [D]
DEFAULT_CAP_S: Final = 30 * 60
MIN_RUN_S: Final = 10 * 60  # shorter than this an easy run is run-walk instead [D]
WEEKLY_GROWTH: Final = 0.10  # §4.3 rule 4: at most +10 % a week [D, convention]
DEFAULT_WEEKS: Final = 6  # a plan without cadence steps still dates 6 weeks of runs [D]
# Days after the week's first day: 3 runs (day 2, 4, 6) or 2 runs (day 2, 5), rest between.
RUN_DAYS: Final = {3: (1, 3, 5), 2: (1, 4)}
METRONOME_WEEK: Final = ("5 min inside the run", "2–3 min on / off")
METRONOME_OFF: Final = "off: watch check only"
USUAL_RUNS: Final = 5  # the usual easy-run length: median of the last 5 runs' durations [D]


class Action(StrEnum):
    """What a plan decision did (CONTRACT.md ``decisions[].action``)."""

    START = "start"
    ADVANCE = "advance"
    HOLD = "hold"
    REPEAT = "repeat"
    STEP_BACK = "step_back"
    HELD_BY_TRIAGE = "held_by_triage"
    WAITING_FOR_CLINICIAN = "waiting_for_clinician"


@dataclass(frozen=True, slots=True, kw_only=True)
class Decision:
    """One dated change of the plan, explained in words with the numbers behind it."""

    day: date
    action: Action
    why: str
    runs: tuple[int, ...] = ()  # the stored run ids it rests on


@dataclass(frozen=True, slots=True, kw_only=True)
class PainOnset:
    """One pain diary entry of a run, with where in the run the pain began (if known)."""

    day: date
    score: int  # 0-10
    onset_s: float | None  # from the diary's minute, the km at the run's speed, or the drift
    source: str  # "diary minute", "diary km at 2.8 m/s", "cadence drift onset", ...


@dataclass(frozen=True, slots=True, kw_only=True)
class RunWalk:
    run_s: int
    walk_s: int
    repeats: int

    @property
    def duration_s(self) -> int:
        return self.repeats * (self.run_s + self.walk_s)


@dataclass(frozen=True, slots=True, kw_only=True)
class RunShape:
    """Week 1's run and how far it may grow, and the words saying where it came from."""

    first_s: int  # week 1's easy run (s); for run-walk the run part of each repeat
    cap_s: int  # the longest it grows to (s)
    run_walk: bool
    runs_per_week: int
    basis: str


@dataclass(frozen=True, slots=True, kw_only=True)
class PlannedRun:
    day: date
    kind: str  # "easy" or "run_walk"
    duration_s: int
    run_walk: RunWalk | None
    target_spm: float | None
    range_spm: tuple[float, float] | None
    metronome: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class PlanWeek:
    week: int
    start: date
    end: date
    target_spm: float | None
    step: int | None  # 1-based cadence step, None outside the steps
    runs: tuple[PlannedRun, ...]


def pain_onset(entries: Sequence[PainOnset]) -> PainOnset | None:
    """§4.3 rule 1: the earliest onset on the last 3 runs with pain ≥ 3/10 (by day)."""
    painful = sorted((e for e in entries if e.score >= PAIN_ONSET_MIN_SCORE),
                     key=lambda e: e.day)
    recent_days = sorted({e.day for e in painful})[-ONSET_RUNS:]
    timed = [e for e in painful if e.day in recent_days and e.onset_s is not None]
    return min(timed, key=lambda e: (e.onset_s, e.day), default=None)


def usual_run_s(durations_s: Sequence[float]) -> float | None:
    """The runner's usual easy-run length: median duration of the last 5 runs (oldest first)."""
    recent = [d for d in durations_s if d > 0 and math.isfinite(d)][-USUAL_RUNS:]
    return float(median(recent)) if recent else None


def shape_runs(onset: PainOnset | None, usual_s: float | None) -> RunShape:
    """§4.3 rule 2 (and §4.2 rule 4 when nothing is known)."""
    usual = None if usual_s is None else int(usual_s)
    cap = max(usual or DEFAULT_CAP_S, MIN_RUN_S)
    if onset is not None and onset.onset_s is not None:
        minutes = onset.onset_s / 60.0
        said = (f"pain {onset.score}/10 began at {minutes:.0f} min on {onset.day.isoformat()} "
                f"({onset.source})")
        if onset.onset_s < RUN_WALK_BELOW_S:
            run_s = min(RUN_WALK_RUN_S, _floor_to(ONSET_FRACTION * onset.onset_s, 30))
            return RunShape(first_s=max(run_s, 60), cap_s=cap, run_walk=True, runs_per_week=2,
                            basis=f"{said}: under 20 min, so run-walk ({_clock(max(run_s, 60))} "
                                  "run / 1 min walk), 2 runs a week")
        first = max(_floor_to(ONSET_FRACTION * onset.onset_s, 60), MIN_RUN_S)
        return RunShape(first_s=first, cap_s=max(cap, first), run_walk=False, runs_per_week=3,
                        basis=f"{said}: runs end at 80 % of it, {first // 60} min")
    if usual is not None:
        first = max(_floor_to(usual, 60), MIN_RUN_S)
        return RunShape(first_s=first, cap_s=first, run_walk=False, runs_per_week=3,
                        basis=f"no pain onset in your diary: your usual run, {first // 60} min "
                              "(median of your last runs)")
    return RunShape(first_s=DEFAULT_RUN_S, cap_s=DEFAULT_CAP_S, run_walk=False, runs_per_week=3,
                    basis="no runs or pain onset on record: 20 min, building towards 30 min "
                          "(assumed)")


def _clock(seconds: int) -> str:
    return f"{seconds // 60} min" + (f" {seconds % 60} s" if seconds % 60 else "")


def _floor_to(seconds: float, unit: int) -> int:
    return int(seconds // unit) * unit


def grown_s(first_s: int, cap_s: int, weeks: int) -> int:
    """``first_s`` extended by ≤ 10 % a week for ``weeks`` weeks (floored to 10 s), capped."""
    value = first_s
    for _ in range(weeks):  # never shorter, never past the cap, never more than +10 %
        value = max(min(_floor_to(value * (1.0 + WEEKLY_GROWTH), 10), cap_s), value)
    return value


def metronome_for(position: int | None) -> str | None:
    """The metronome part of a run in week ``position`` (0-based) of a cadence step."""
    if position is None:
        return None
    return METRONOME_WEEK[position] if position < len(METRONOME_WEEK) else METRONOME_OFF


@dataclass(frozen=True, slots=True, kw_only=True)
class WeekState:
    """What one week of the plan is: its slot in the planned sequence of step weeks (the
    cadence step and the week within it) and how many +10 % extensions its runs have had."""

    slot: int
    growth: int
    held_weeks: int = 0  # extra weeks on the step while the cadence is not yet there


def template(steps: Sequence[CadenceStep]) -> tuple[tuple[int | None, int | None], ...]:
    """The planned sequence of (step index, week within the step): each step's weeks in
    order, or 6 weeks without a step."""
    ordered = sorted(steps, key=lambda s: s.week)
    slots = tuple((i, position) for i, step in enumerate(ordered)
                  for position in range(step.weeks))
    return slots or tuple((None, None) for _ in range(DEFAULT_WEEKS))


def schedule(steps: Sequence[CadenceStep], start: date, shape: RunShape, *,
             states: Sequence[WeekState] | None = None) -> tuple[PlanWeek, ...]:
    """The plan's weeks from ``start``: week n runs from start + 7(n-1) days for 7 days.

    ``states`` says what each week is (default: the planned sequence, one +10 % a week); the
    plan's decisions pass a repeated, held or stepped-back week as such."""
    ordered = sorted(steps, key=lambda s: s.week)
    slots = template(ordered)
    if states is None:
        states = [WeekState(slot=i, growth=i) for i in range(len(slots))]
    weeks = []
    for index, state in enumerate(states):
        first = start + timedelta(weeks=index)
        step_index, position = slots[min(state.slot, len(slots) - 1)]
        step = None if step_index is None else ordered[step_index]
        if step is not None and state.held_weeks and position is not None:
            position += state.held_weeks  # a held step's extra weeks: metronome off
        runs = tuple(
            _run(first + timedelta(days=offset), shape, state.growth, step, position)
            for offset in RUN_DAYS[shape.runs_per_week])
        weeks.append(PlanWeek(week=index + 1, start=first, end=first + timedelta(days=6),
                              target_spm=None if step is None else step.target_spm,
                              step=None if step_index is None else step_index + 1, runs=runs))
    return tuple(weeks)


def _run(day: date, shape: RunShape, grown: int, step: CadenceStep | None,
         position: int | None) -> PlannedRun:
    target = None if step is None else step.target_spm
    alert = None if step is None else step.range_spm
    if shape.run_walk:
        # The run part grows by ≤ 10 % a week up to 4 min; the walks and repeats stay.
        walk = RunWalk(run_s=grown_s(shape.first_s, RUN_WALK_RUN_S, grown),
                       walk_s=RUN_WALK_WALK_S, repeats=RUN_WALK_REPEATS)
        return PlannedRun(day=day, kind="run_walk", duration_s=walk.duration_s, run_walk=walk,
                          target_spm=target, range_spm=alert, metronome=metronome_for(position))
    return PlannedRun(day=day, kind="easy", duration_s=grown_s(shape.first_s, shape.cap_s, grown),
                      run_walk=None, target_spm=target, range_spm=alert,
                      metronome=metronome_for(position))


def run_words(run: PlannedRun) -> tuple[str, str]:
    """A planned run's title and description, the same words in the calendar, the watch
    workout's name, the printable page and the terminal."""
    minutes = run.duration_s / 60.0
    if run.run_walk is not None:
        rw = run.run_walk
        shape = (f"run-walk {rw.repeats} x ({_clock(rw.run_s)} run / {_clock(rw.walk_s)} walk)"
                 f", {minutes:.0f} min")
    else:
        shape = f"easy run {minutes:.0f} min"
    if run.target_spm is None or run.range_spm is None:
        return shape, f"{shape[:1].upper()}{shape[1:]} at your usual cadence."
    low, high = run.range_spm
    title = f"{shape} at {run.target_spm:.0f} spm"
    return title, (f"{title[:1].upper()}{title[1:]} (watch alert {low:.0f}-{high:.0f} spm); "
                   f"metronome {run.target_spm:.0f} bpm: {run.metronome}.")


def week_of(weeks: Sequence[PlanWeek], day: date) -> PlanWeek | None:
    return next((w for w in weeks if w.start <= day <= w.end), None)


def run_on(weeks: Sequence[PlanWeek], day: date) -> PlannedRun | None:
    week = week_of(weeks, day)
    return None if week is None else next((r for r in week.runs if r.day == day), None)


def strength_days(start: date, run_days: set[date]) -> tuple[date, ...]:
    """A week's days (from ``start``) in the order strength exercises take them: rest days
    first, then run days (after the run), so 'N days a week' lands on the first N [D]."""
    days = [start + timedelta(days=i) for i in range(7)]
    return tuple([d for d in days if d not in run_days] + [d for d in days if d in run_days])

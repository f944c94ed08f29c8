"""The plan adapts to every run and pain entry (DOMAIN.md §4.2 rules 5–6, §4.3 rule 4).

Pure and deterministic: the same runs and pain diary give the same weeks and decisions, so
the plan's history can be recomputed whenever a run or a pain entry arrives. Triage comes
first and is not decided here: a held or waiting plan has no weeks at all (core.plan).

Each week that has ended is judged, in this order [D]:
1. No run logged in it: the week is repeated (the plan assumes it was missed).
2. Pain (§4.3 rule 4): pain during or after a run above 3/10, pain the next morning of 3/10 or
   more (not settled), or the week's worst pain 2 points above the week before's (rising):
   the week is repeated; the second time in a row, the plan steps back one week.
3. Otherwise the runs grow by ≤ 10 %. At the end of a cadence step (≥ 2 weeks, §4.2 rule 5)
   the next step starts only when the last 3 runs' cadence is within 2 % of the target;
   otherwise the step holds another week (up to 6 weeks in all, Davis; then it still holds
   and says to ask a physiotherapist). Only runs inside the baseline's pace band count
   (§4.1: cadence rises with speed); a run whose speed is unknown counts, and the words say
   which runs were left out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Final

from backstride.core.schedule import (
    Action,
    Decision,
    WeekState,
    template,
)

if TYPE_CHECKING:
    from backstride.core.plan import CadenceStep
    from backstride.core.running import CadenceProfile

PAIN_OK_MAX: Final = 3  # §4.3 rule 4: ≤ 3/10 during a run is acceptable [D]
NEXT_MORNING_NOT_SETTLED: Final = 3  # next-morning pain ≥ 3/10: not settled [D]
RISING_POINTS: Final = 2  # the week's worst pain 2 points above last week's: rising [D]
WITHIN_FRACTION: Final = 0.02  # §4.2 rule 5: within 2 % of the target on 3 runs
ADHERENCE_RUNS: Final = 3
MAX_STEP_WEEKS: Final = 6  # §4.2 rule 5: up to 6 weeks per step (Davis)
DURING_KINDS: Final = ("during", "after_run")


@dataclass(frozen=True, slots=True, kw_only=True)
class RunDone:
    id: int
    day: date
    cadence_spm: float | None
    speed_mps: float | None = None  # the run's median running speed, for the pace band
    cadence_profile: CadenceProfile | None = None  # running time per spm: time in range


@dataclass(frozen=True, slots=True, kw_only=True)
class PainDone:
    day: date
    kind: str  # during, after_run, next_morning, other
    score: int


def adapt(steps: Sequence[CadenceStep], start: date, today: date, runs: Sequence[RunDone],
          pains: Sequence[PainDone], *,
          paused: Sequence[tuple[date, date | None]] = (),
          pace_band_mps: tuple[float, float] | None = None
          ) -> tuple[tuple[WeekState, ...], tuple[Decision, ...]]:
    """Every week from ``start``: the weeks that ended before ``today`` as decided, this
    week, and the weeks still ahead as planned (one +10 % a week, each step its weeks).

    ``paused``: (from, until) of each hold or wait for a clinician (until None: still on);
    a week that overlaps one is not judged (triage decided it) and is done again after.
    ``pace_band_mps``: the baseline's pace band (§4.1); runs outside it are not compared."""
    ordered = sorted(steps, key=lambda s: s.week)
    slots = template(ordered)
    state = WeekState(slot=0, growth=0)
    states: list[WeekState] = []
    decisions: list[Decision] = []
    previous_worst = 0
    pain_repeats = 0
    index = 0
    while True:
        first = start + timedelta(weeks=index)
        last = first + timedelta(days=6)
        states.append(state)
        if last >= today:
            break
        number = index + 1
        if any(since <= last and (until is None or first < until) for since, until in paused):
            index += 1  # held by triage: not judged, not counted as missed
            continue
        week_runs = sorted((r for r in runs if first <= r.day <= last), key=lambda r: r.day)
        during = [p.score for p in pains if first <= p.day <= last and p.kind in DURING_KINDS]
        mornings = [p.score for p in pains if first < p.day <= last + timedelta(days=1)
                    and p.kind == "next_morning"]
        worst = max(during, default=0)
        when = last + timedelta(days=1)
        span = f"week {number} ({first.isoformat()} to {last.isoformat()})"
        if not week_runs:
            decisions.append(Decision(
                day=when, action=Action.REPEAT,
                why=f"no run logged in {span}: assumed missed, so the week is repeated"))
            pain_repeats = 0
            index += 1
            continue
        ids = tuple(r.id for r in week_runs)
        problems = _pain_problems(during, mornings, worst, previous_worst)
        previous_worst = worst
        if problems:
            pain_repeats += 1
            said = "; ".join(problems)
            if pain_repeats >= 2:
                state = WeekState(slot=max(state.slot - 1, 0), growth=max(state.growth - 1, 0))
                decisions.append(Decision(
                    day=when, action=Action.STEP_BACK, runs=ids,
                    why=f"{span}: {said}, the second week in a row: one week back, runs of "
                        f"{_length_words(state.growth)}"))
                pain_repeats = 0
            else:
                decisions.append(Decision(
                    day=when, action=Action.REPEAT, runs=ids,
                    why=f"{span}: {said}: the week is repeated, runs not extended"))
            index += 1
            continue
        pain_repeats = 0
        step_index, _position = slots[min(state.slot, len(slots) - 1)]
        ends_step = step_index is not None and (
            state.slot + 1 >= len(slots) or slots[state.slot + 1][0] != step_index)
        pain_words = (f"pain at most {worst}/10 during runs"
                      + (f", {max(mornings)}/10 next morning" if mornings else "")
                      + (" (within the pain-monitoring rules)"))
        if ends_step and step_index is not None:
            state, decision = _step_end(ordered, step_index, state, runs, last, when,
                                        pain_words, pace_band_mps)
            decisions.append(decision)
            if state.slot >= len(slots):
                states.append(state)
                break
        else:
            state = WeekState(slot=state.slot + 1, growth=state.growth + 1,
                              held_weeks=state.held_weeks)
            decisions.append(Decision(
                day=when, action=Action.ADVANCE, runs=ids,
                why=f"{span}: {len(week_runs)} run{'s' if len(week_runs) != 1 else ''}, "
                    f"{pain_words}: runs extended by up to 10 % from {when.isoformat()}"))
            if state.slot >= len(slots):
                states.append(state)
                break
        index += 1
    # The weeks still ahead, as planned: one slot and one +10 % a week.
    while states[-1].slot < len(slots) - 1:
        ahead = states[-1]
        states.append(WeekState(slot=ahead.slot + 1, growth=ahead.growth + 1))
    if states[-1].slot >= len(slots):
        states.pop()  # the plan ended: no week after the last one
    return tuple(states), tuple(decisions)


def _step_end(ordered: Sequence[CadenceStep], step_index: int, state: WeekState,
              runs: Sequence[RunDone], last: date, when: date, pain_words: str,
              pace_band_mps: tuple[float, float] | None) -> tuple[WeekState, Decision]:
    """§4.2 rule 5 at the end of a step: the next step when the last 3 runs in the pace band
    are within 2 % of the target, else the step holds another week."""
    step = ordered[step_index]
    measured = [r for r in runs if r.day <= last and r.cadence_spm is not None]
    compared = [r for r in measured if _in_band(r, pace_band_mps)]
    recent = compared[-ADHERENCE_RUNS:]
    # The runs left out since the first one compared (or among the last 3 measured).
    since = recent[0].day if len(recent) == ADHERENCE_RUNS else None
    outside = [r for r in measured if not _in_band(r, pace_band_mps)
               and (since is None or r.day >= since)][-ADHERENCE_RUNS:]
    values = [float(r.cadence_spm) for r in recent if r.cadence_spm is not None]
    low, high = step.target_spm * (1 - WITHIN_FRACTION), step.target_spm * (1 + WITHIN_FRACTION)
    shown = ", ".join(f"{v:.0f}" for v in values)
    band = "" if pace_band_mps is None else (
        f" in your pace band ({pace_band_mps[0]:.1f}–{pace_band_mps[1]:.1f} m/s)")
    left_out = "" if not outside else (
        f" ({_runs_words(outside)} not compared: cadence rises with speed)")
    in_range = _time_in_range(recent, step.range_spm)
    if len(values) == ADHERENCE_RUNS and all(low <= v <= high for v in values):
        nxt = (f"step {step_index + 2} ({ordered[step_index + 1].target_spm:.0f} spm) "
               f"starts {when.isoformat()}" if step_index + 1 < len(ordered) else
               f"the last step is done: keep {step.target_spm:.0f} spm, watch check only")
        return WeekState(slot=state.slot + 1, growth=state.growth + 1), Decision(
            day=when, action=Action.ADVANCE, runs=tuple(r.id for r in recent),
            why=f"your last 3 runs{band}: {shown} spm{left_out}, within 2 % of "
                f"{step.target_spm:.0f}{in_range}; {pain_words}: {nxt}")
    weeks_on = step.weeks + state.held_weeks + 1
    more = (f" ({weeks_on} weeks on this step, the most studied: ask a physiotherapist, or "
            "re-measure your baseline)" if weeks_on >= MAX_STEP_WEEKS else "")
    evidence = (f"your last {len(values)} runs{band}: {shown} spm{left_out}" if values else
                f"no run with a cadence{band} since the step began{left_out}")
    return WeekState(slot=state.slot, growth=state.growth + 1,
                     held_weeks=state.held_weeks + 1), Decision(
        day=when, action=Action.HOLD, runs=tuple(r.id for r in recent),
        why=f"{evidence}, not all within 2 % of {step.target_spm:.0f} ({low:.1f}–{high:.1f} "
            f"spm) on 3 runs{in_range}: step {step_index + 1} continues another week from "
            f"{when.isoformat()}{more}")


def _time_in_range(runs: Sequence[RunDone], range_spm: tuple[float, float]) -> str:
    """The share of each run's running time inside the step's alert range, where known: how
    the cadence held between the medians (shown, not decided on: DOMAIN.md gives no share)."""
    shares = [None if r.cadence_profile is None else r.cadence_profile.share_within(*range_spm)
              for r in runs]
    if all(share is None for share in shares):
        return ""
    said = ", ".join("–" if share is None else f"{share:.0%}".replace("%", " %")
                     for share in shares)
    return (f" (running time inside the alert range {range_spm[0]:.0f}–{range_spm[1]:.0f} "
            f"spm: {said})")


def _in_band(run: RunDone, band: tuple[float, float] | None) -> bool:
    return band is None or run.speed_mps is None or band[0] <= run.speed_mps <= band[1]


def _runs_words(runs: Sequence[RunDone]) -> str:
    said = ", ".join(f"{r.day.isoformat()} at {r.speed_mps:.1f} m/s" for r in runs)
    return f"run{'s' if len(runs) != 1 else ''} {said}"


def _pain_problems(during: list[int], mornings: list[int], worst: int,
                   previous_worst: int) -> list[str]:
    problems = []
    if worst > PAIN_OK_MAX:
        problems.append(f"pain {worst}/10 during or after a run (above {PAIN_OK_MAX}/10)")
    if mornings and max(mornings) >= NEXT_MORNING_NOT_SETTLED:
        problems.append(f"pain {max(mornings)}/10 the next morning (not settled)")
    if during and worst - previous_worst >= RISING_POINTS and previous_worst > 0:
        problems.append(f"pain rising from {previous_worst}/10 to {worst}/10 week to week")
    return problems


def _length_words(growth: int) -> str:
    return "week 1's length" if growth == 0 else f"the length after {growth} week(s) of growth"

"""``backstride today`` and the web home page's "today / this week" card
(``backstride.today/1``, CONTRACT.md): what the plan on record holds for one day.

Safety first: the live triage state leads. A hold (urgent or emergency, no clearance since)
or a see-clinician triage without a recorded visit gives no run at all, whatever the stored
plan says; the hold's action comes first."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from backstride.adapters.storage.records import DEFAULT_RUNNER
from backstride.config import Settings
from backstride.errors import InputError

if TYPE_CHECKING:
    from backstride.core.schedule import Decision, PlannedRun, PlanWeek

LOG_AFTER_RUN = (
    "pain 0-10 after the run and next morning (backstride pain add SCORE --run ID, with "
    "--minute M if it began during the run)",
    "import the run from your watch (backstride import FILE) so the plan can adapt")
LOG_REST_DAY = ("pain 0-10 this morning if your back hurts "
                "(backstride pain add SCORE --when next_morning)",)


@dataclass(frozen=True, slots=True, kw_only=True)
class DueExercise:
    """An exercise of the plan that falls on the day."""

    id: str
    name: str
    when: str  # daily, pre-run, strength day
    dose: str
    why: str


@dataclass(frozen=True, slots=True, kw_only=True)
class TodayCard:
    """What one day holds (``backstride.today/1`` is ``adapters.render.today_json`` of it):
    the hold first when held, else the day's run or rest, the exercises due, what to log
    afterwards and the week's runs."""

    day: date
    triage_level: str  # the triage that leads: the one that holds, else the latest
    triage_action: str | None
    held: bool
    hold_reason: str | None = None
    waiting_for_clinician: bool = False
    run: PlannedRun | None = None
    exercises: tuple[DueExercise, ...] = ()
    log: tuple[str, ...] = ()
    week: PlanWeek | None = None
    weeks_in_plan: int = 0
    next_run: PlannedRun | None = None
    decision: Decision | None = None
    message: str = ""


def today_card(*, settings: Settings, day: date | None = None,
               runner: str = DEFAULT_RUNNER) -> TodayCard:
    """What ``day`` (default: today, UTC) holds: the hold first when held, else its run or
    rest, the exercises due, what to log afterwards, and the week's runs."""
    from backstride.workflows.care import care_state
    from backstride.workflows.history import open_store

    day = day or datetime.now(UTC).date()
    state = care_state(settings, runner=runner)
    if state.latest is None:
        raise InputError("No triage on record: answer the red-flag questions first "
                         "('backstride triage'), then make your plan ('backstride plan').")
    with open_store(settings) as store:
        stored = store.latest_plan(runner=runner)
        newest = store.newest_entry_utc(runner=runner)
    adapt_note = ""
    changes = [t for t in (newest, state.latest.created_utc,
                           None if state.clearance is None else state.clearance.created_utc)
               if t is not None]
    if stored is not None and stored[0].get("start_date") and not state.held and (
            any(t > stored[1] for t in changes)
            or stored[1].date() < datetime.now(UTC).date()):
        # A run, a pain entry, a triage or a clearance came in since the plan was made, or a
        # day passed: the plan adapts first (DOMAIN.md §4.2 rules 5-6), triage rules included.
        from backstride.workflows.care import make_plan

        try:
            stored = (make_plan(settings=settings, runner=runner).json(), datetime.now(UTC))
        except InputError as exc:  # changed pain: the red-flag questions come first
            adapt_note = f" The plan could not adapt yet: {exc}"
    shown = state.holding or state.latest
    leading = TodayCard(day=day, triage_level=shown.level,
                        triage_action=shown.result.get("action"), held=state.held)
    if state.held:
        return dataclasses.replace(
            leading, message="No run today: the plan is on hold.",
            hold_reason=(f"Your {shown.level} triage of {shown.created_utc.date().isoformat()} "
                         "holds the plan: no run and no exercises until a clinician has seen "
                         "you. Record it with 'backstride clearance --by NAME'."))
    if shown.level == "see_clinician" and not state.seen:
        return dataclasses.replace(leading, waiting_for_clinician=True, message=(
            "No planned run yet: the dated runs start once you record the visit "
            "('backstride clearance --by NAME'). Keep your running easy."))
    from backstride.adapters.render.plan_json import decisions_from_json, weeks_from_json

    plan = None if stored is None else stored[0]
    weeks = weeks_from_json(None if plan is None else plan.get("weeks"))
    if plan is None or not weeks:
        raise InputError("No dated plan on record: make one with 'backstride plan' "
                         "(add --start YYYY-MM-DD to choose its first day).")
    decisions = decisions_from_json(plan.get("decisions"))
    card = _day_of(weeks, _exercises(plan.get("exercises")), day, leading=leading,
                   decision=decisions[-1] if decisions else None)
    return dataclasses.replace(card, message=card.message + adapt_note)


@dataclass(frozen=True, slots=True, kw_only=True)
class _Exercise:
    due: DueExercise
    days_per_week: int


def _exercises(items: Any) -> list[_Exercise]:
    """The stored plan's exercises, as the day needs them."""
    return [_Exercise(due=DueExercise(id=str(e["id"]), name=str(e["name"]),
                                      when=str(e.get("when")), dose=str(e["dose"]),
                                      why=str(e["why"])),
                      days_per_week=int(e.get("days_per_week") or 0))
            for e in (items if isinstance(items, list) else [])]


def _day_of(weeks: tuple[PlanWeek, ...], exercises: list[_Exercise], day: date, *,
            leading: TodayCard, decision: Decision | None) -> TodayCard:
    from backstride.core.schedule import run_on, run_words, strength_days, week_of

    runs = [r for w in weeks for r in w.runs]
    upcoming = next((r for r in runs if r.day > day), None)
    first, last = weeks[0].start, weeks[-1].end
    if day < first:
        opening = (f"Your plan starts {first.isoformat()}" + (
            f"; its first run is {runs[0].day.isoformat()}." if runs else "."))
        return dataclasses.replace(leading, decision=decision, message=opening,
                                   next_run=runs[0] if runs else None)
    week = week_of(weeks, day)
    if day > last or week is None:
        return dataclasses.replace(leading, decision=decision, message=(
            f"Your plan ended {last.isoformat()}: make the next one "
            "('backstride plan --start YYYY-MM-DD')."))
    run = run_on(weeks, day)
    order = strength_days(week.start, {r.day for r in week.runs})
    due = tuple(e.due for e in exercises
                if e.due.when == "daily" or (e.due.when == "pre-run" and run is not None)
                or (e.due.when == "strength day" and day in order[:e.days_per_week]))
    step = f", cadence step {week.step}" if week.step else ""
    if run is not None:
        said = f"today, {run_words(run)[0]}."
    else:
        said = "rest day from running" + (
            f"; next run {upcoming.day.isoformat()}: {run_words(upcoming)[0]}."
            if upcoming is not None else ".")
    return dataclasses.replace(
        leading, decision=decision, run=run, exercises=due,
        log=LOG_AFTER_RUN if run is not None else LOG_REST_DAY, week=week,
        weeks_in_plan=len(weeks), next_run=upcoming if run is None else None,
        message=f"Week {week.week} of {len(weeks)}{step}: {said}")

"""``backstride today`` and the web home page's "today / this week" card
(``backstride.today/1``, CONTRACT.md): what the plan on record holds for one day.

Safety first: the live triage state leads. A hold (urgent or emergency, no clearance since)
or a see-clinician triage without a recorded visit gives no run at all, whatever the stored
plan says; the hold's action comes first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from backstride.adapters.storage.records import DEFAULT_RUNNER
from backstride.config import Settings
from backstride.errors import InputError

SCHEMA = "backstride.today/1"
LOG_AFTER_RUN = (
    "pain 0-10 after the run and next morning (backstride pain add SCORE --run ID, with "
    "--minute M if it began during the run)",
    "import the run from your watch (backstride import FILE) so the plan can adapt")
LOG_REST_DAY = ("pain 0-10 this morning if your back hurts "
                "(backstride pain add SCORE --when next_morning)",)


@dataclass(frozen=True, slots=True, kw_only=True)
class TodayCard:
    json: dict[str, Any]


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
    base: dict[str, Any] = {
        "schema": SCHEMA, "date": day.isoformat(),
        "triage": {"level": shown.level, "action": shown.result.get("action")},
        "held": state.held, "hold_reason": None, "waiting_for_clinician": False,
        "run": None, "exercises": [], "log": [], "week": None, "next_run": None,
        "decision": None, "message": "",
    }
    if state.held:
        base["hold_reason"] = (f"Your {shown.level} triage of "
                               f"{shown.created_utc.date().isoformat()} holds the plan: no run "
                               "and no exercises until a clinician has seen you. Record it "
                               "with 'backstride clearance --by NAME'.")
        base["message"] = "No run today: the plan is on hold."
        return TodayCard(json=base)
    if shown.level == "see_clinician" and not state.seen:
        base["waiting_for_clinician"] = True
        base["message"] = ("No planned run yet: the dated runs start once you record the "
                           "visit ('backstride clearance --by NAME'). Keep your running easy.")
        return TodayCard(json=base)
    plan = None if stored is None else stored[0]
    if plan is None or not plan.get("weeks"):
        raise InputError("No dated plan on record: make one with 'backstride plan' "
                         "(add --start YYYY-MM-DD to choose its first day).")
    card = {**base, **_day_of(plan, day)}
    card["decision"] = (plan.get("decisions") or [None])[-1]
    card["message"] += adapt_note
    return TodayCard(json=card)


def _day_of(plan: dict[str, Any], day: date) -> dict[str, Any]:
    from backstride.core.schedule import strength_days

    weeks = plan["weeks"]
    first, last = date.fromisoformat(weeks[0]["start"]), date.fromisoformat(weeks[-1]["end"])
    iso = day.isoformat()
    runs = [r for w in weeks for r in w["runs"]]
    upcoming = next((r for r in runs if r["date"] > iso), None)
    if day < first:
        return {"message": f"Your plan starts {first.isoformat()}; its first run is "
                           f"{runs[0]['date']}.", "next_run": runs[0] if runs else None}
    if day > last:
        return {"message": f"Your plan ended {last.isoformat()}: make the next one "
                           "('backstride plan --start YYYY-MM-DD').",
                "next_run": None}
    week_json = next(w for w in weeks if w["start"] <= iso <= w["end"])
    run = next((r for r in week_json["runs"] if r["date"] == iso), None)
    order = strength_days(date.fromisoformat(week_json["start"]),
                          {date.fromisoformat(r["date"]) for r in week_json["runs"]})
    exercises = []
    for e in plan.get("exercises") or []:
        when, per_week = e.get("when"), int(e.get("days_per_week") or 0)
        due = (when == "daily" or (when == "pre-run" and run is not None)
               or (when == "strength day" and day in order[:per_week]))
        if due:
            exercises.append({"id": e["id"], "name": e["name"], "when": when,
                              "dose": e["dose"], "why": e["why"]})
    step = (f", cadence step {week_json['step']}" if week_json.get("step") else "")
    return {
        "run": run, "exercises": exercises,
        "log": list(LOG_AFTER_RUN) if run is not None else list(LOG_REST_DAY),
        "week": {"week": week_json["week"], "of": len(weeks), "start": week_json["start"],
                 "end": week_json["end"], "target_spm": week_json.get("target_spm"),
                 "runs": week_json["runs"]},
        "next_run": upcoming if run is None else None,
        "message": (f"Week {week_json['week']} of {len(weeks)}{step}: "
                    + (f"today, {run['title']}." if run is not None else
                       "rest day from running" + (f"; next run {upcoming['date']}: "
                                                  f"{upcoming['title']}." if upcoming else "."))),
    }


def today_text(card: dict[str, Any]) -> str:
    """The card in the terminal: the hold first, then today, the exercises, what to log and
    the week's runs."""
    triage = card["triage"]
    lines = [f"TODAY {card['date']}"]
    if card["held"]:
        lines.append(f"{str(triage['level']).replace('_', ' ').upper()}: {triage['action']}")
        lines.append(f"PLAN HELD: {card['hold_reason']}")
        return "\n".join(lines)
    if card["waiting_for_clinician"]:
        lines.append(f"{str(triage['level']).replace('_', ' ').upper()}: {triage['action']}")
    lines.append(card["message"])
    if card.get("decision"):
        decided = card["decision"]
        lines.append(f"Latest change ({decided['date']}, "
                     f"{decided['action'].replace('_', ' ')}): {decided['why']}")
    run = card["run"]
    if run is not None:
        lines.append(f"  {run['text']}")
    for e in card["exercises"]:
        lines.append(f"  {e['when']:<13} {e['name']}: {e['dose']}")
    lines.extend(f"  afterwards log: {item}" for item in card["log"])
    week = card.get("week")
    if week:
        lines.append(f"This week ({week['start']} to {week['end']}):")
        lines.extend(f"  {r['date']}: {r['title']}" for r in week["runs"])
    return "\n".join(lines)

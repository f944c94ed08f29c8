"""``backstride.today/1`` (CONTRACT.md) and the card in the terminal, from the typed
``TodayCard`` of ``workflows.today``: the hold first, then the day."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from backstride.adapters.render.plan_json import decision_json, run_json, week_json

if TYPE_CHECKING:
    from backstride.workflows.today import TodayCard

SCHEMA = "backstride.today/1"


def today_json(card: TodayCard) -> dict[str, Any]:
    week = None if card.week is None else {
        "week": card.week.week, "of": card.weeks_in_plan, **{
            key: value for key, value in week_json(card.week).items()
            if key in ("start", "end", "target_spm", "runs")}}
    return {
        "schema": SCHEMA, "date": card.day.isoformat(),
        "triage": {"level": card.triage_level, "action": card.triage_action},
        "held": card.held, "hold_reason": card.hold_reason,
        "waiting_for_clinician": card.waiting_for_clinician,
        "run": None if card.run is None else run_json(card.run),
        "exercises": [{"id": e.id, "name": e.name, "when": e.when, "dose": e.dose,
                       "why": e.why} for e in card.exercises],
        "log": list(card.log),
        "week": week,
        "next_run": None if card.next_run is None else run_json(card.next_run),
        "decision": None if card.decision is None else decision_json(card.decision),
        "message": card.message,
    }


def today_text(card: TodayCard) -> str:
    """The card in the terminal: the hold first, then today, the exercises, what to log and
    the week's runs."""
    from backstride.core.schedule import run_words

    level = card.triage_level.replace("_", " ").upper()
    lines = [f"TODAY {card.day.isoformat()}"]
    if card.held:
        lines.append(f"{level}: {card.triage_action}")
        lines.append(f"PLAN HELD: {card.hold_reason}")
        return "\n".join(lines)
    if card.waiting_for_clinician:
        lines.append(f"{level}: {card.triage_action}")
    lines.append(card.message)
    if card.decision is not None:
        decided = card.decision
        lines.append(f"Latest change ({decided.day.isoformat()}, "
                     f"{decided.action.value.replace('_', ' ')}): {decided.why}")
    if card.run is not None:
        lines.append(f"  {run_words(card.run)[1]}")
    for e in card.exercises:
        lines.append(f"  {e.when:<13} {e.name}: {e.dose}")
    lines.extend(f"  afterwards log: {item}" for item in card.log)
    if card.week is not None:
        lines.append(f"This week ({card.week.start.isoformat()} to {card.week.end.isoformat()}):")
        lines.extend(f"  {r.day.isoformat()}: {run_words(r)[0]}" for r in card.week.runs)
    return "\n".join(lines)

"""The plan in the terminal (``backstride plan``, ``backstride demo``), from the typed
``Plan``: the triage action (or the clearance that lifted a hold) first; a held plan has
nothing else; a plan waiting for a visit says so and marks each step as waiting."""

from __future__ import annotations

from backstride.core.plan import WAITING_REASON, Plan
from backstride.core.schedule import run_words


def plan_text(plan: Plan) -> str:
    """Exercise reasons in words, not ids; the same runs as the calendar and the watch."""
    from backstride.adapters.render.plan_html import WHY_TEXT  # jinja2: only when needed

    if plan.clearance is not None:
        lines = [f"CLEARED: {plan.clearance.text}"]
    else:
        lines = [f"{plan.triage_level.value.replace('_', ' ').upper()}: {plan.triage_action}"]
    if plan.held:
        lines.append(f"PLAN HELD: {plan.hold_reason}")
        return "\n".join(lines)
    waiting = plan.waiting_for_clinician
    if waiting:
        lines.append(f"WAITING FOR YOUR VISIT: {WAITING_REASON}")
    if plan.baseline is not None:
        # The JSON keeps the baseline to 0.1 spm; the terminal shows what the JSON says.
        lines.append(f"Cadence baseline {round(plan.baseline.cadence_spm, 1):.0f} spm "
                     f"({plan.baseline.basis})")
    after = "after your visit, " if waiting else ""
    for step in plan.cadence_steps:
        low, high = step.range_spm
        lines.append(f"  {after}weeks {step.week}-{step.week + step.weeks - 1}: "
                     f"{step.target_spm:.0f} spm (watch alert {low:.0f}-{high:.0f}); "
                     f"metronome: backstride metronome --spm {step.target_spm:.0f}")
    if plan.start_date is not None and not waiting:
        lines.append(f"Plan starts {plan.start_date.isoformat()}; run lengths: "
                     f"{plan.run_basis or None}")
    for week in plan.weeks:
        lines.append(f"  week {week.week} ({week.start.isoformat()} to {week.end.isoformat()}):")
        lines.extend(f"    {run.day.isoformat()}: {run_words(run)[1]}" for run in week.runs)
    for decision in plan.decisions:
        lines.append(f"  decided {decision.day.isoformat()}: "
                     f"{decision.action.value.replace('_', ' ')}: {decision.why}")
    for planned in plan.exercises:
        exercise, why = planned.exercise, planned.why
        lines.append(f"  {exercise.when:<13} {exercise.name}: {exercise.dose}, "
                     f"{exercise.days_per_week} days/week (why: "
                     f"{WHY_TEXT.get(why, why.replace('_', ' '))})")
    for item in plan.remeasure:
        lines.append(f"  {after}week {item.week}: re-measure {item.what}")
    lines.extend(f"  note: {note}" for note in plan.notes if note != WAITING_REASON)
    return "\n".join(lines)

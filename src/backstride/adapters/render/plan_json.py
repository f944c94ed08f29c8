"""``backstride.plan/1`` JSON (CONTRACT.md): keys in order, the triage action first."""

from __future__ import annotations

from typing import Any

from backstride.core.plan import Plan

SCHEMA = "backstride.plan/1"


def plan_json(plan: Plan) -> dict[str, Any]:
    return {
        "schema": SCHEMA,
        "triage": {"level": plan.triage_level, "action": plan.triage_action},
        "held": plan.held,
        "hold_reason": plan.hold_reason,
        "waiting_for_clinician": plan.waiting_for_clinician,
        "clearance": (None if plan.clearance is None else
                      {"by": plan.clearance.by, "on": plan.clearance.on.isoformat(),
                       "note": plan.clearance.note, "text": plan.clearance.text}),
        "baseline": (None if plan.baseline is None else
                     {"cadence_spm": round(plan.baseline.cadence_spm, 1),
                      "basis": plan.baseline.basis}),
        "cadence_steps": [
            {"week": s.week, "weeks": s.weeks, "target_spm": s.target_spm,
             "range_spm": list(s.range_spm), "metronome": s.metronome}
            for s in plan.cadence_steps],
        "exercises": [
            {"id": p.exercise.id, "name": p.exercise.name, "when": p.exercise.when,
             "dose": p.exercise.dose, "days_per_week": p.exercise.days_per_week,
             "why": p.why, "how": p.exercise.how, "progression": p.exercise.progression,
             "evidence": p.exercise.evidence.value, "source": p.exercise.source}
            for p in plan.exercises],
        "shoes": [{"name": s.name, "distance_m": round(s.distance_m, 1), "status": s.status}
                  for s in plan.shoes],
        "surfaces": plan.surfaces,
        "remeasure": [{"week": r.week, "what": r.what} for r in plan.remeasure],
        "notes": list(plan.notes),
    }

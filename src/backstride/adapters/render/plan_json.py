"""``backstride.plan/1`` JSON (CONTRACT.md): keys in order, the triage action first."""

from __future__ import annotations

from typing import Any

from backstride.core.finding_plan import PlanPart, answered_by, cadence_answers
from backstride.core.plan import OFFER_BELOW_SPM, Plan
from backstride.core.schedule import Decision, PlannedRun, PlanWeek, RunWalk, run_words

SCHEMA = "backstride.plan/1"


def plan_json(plan: Plan) -> dict[str, Any]:
    baseline_spm = None if plan.baseline is None else plan.baseline.cadence_spm
    return {
        "schema": SCHEMA,
        "triage": {"level": plan.triage_level.value, "action": plan.triage_action},
        "held": plan.held,
        "hold_reason": plan.hold_reason,
        "waiting_for_clinician": plan.waiting_for_clinician,
        "clearance": (None if plan.clearance is None else
                      {"by": plan.clearance.by, "on": plan.clearance.on.isoformat(),
                       "note": plan.clearance.note, "text": plan.clearance.text}),
        "baseline": (None if plan.baseline is None else
                     {"cadence_spm": round(plan.baseline.cadence_spm, 1),
                      "basis": plan.baseline.basis,
                      "pace_band_mps": (None if plan.baseline.pace_band_mps is None else
                                        [round(v, 2) for v in plan.baseline.pace_band_mps])}),
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
        "start_date": None if plan.start_date is None else plan.start_date.isoformat(),
        "runs_basis": plan.run_basis or None,
        "weeks": [week_json(w) for w in plan.weeks],
        "decisions": [decision_json(d) for d in plan.decisions],
        # From finding to action (issue 14): the findings the plan was made from, and which
        # of them its cadence steps and its run lengths answer (an exercise's is its "why").
        "findings": [] if plan.held else list(plan.findings),
        "cadence_answers": [] if plan.held or not plan.cadence_steps else
                           list(cadence_answers(plan.findings, baseline_spm, OFFER_BELOW_SPM)),
        "runs_answer": [] if plan.held or not plan.weeks else
                       list(answered_by(plan.findings, PlanPart.RUNS)),
    }


def week_json(week: PlanWeek) -> dict[str, Any]:
    return {"week": week.week, "start": week.start.isoformat(), "end": week.end.isoformat(),
            "target_spm": week.target_spm, "step": week.step,
            "runs": [run_json(r) for r in week.runs]}


def run_json(run: PlannedRun) -> dict[str, Any]:
    return {"date": run.day.isoformat(), "kind": run.kind, "duration_s": run.duration_s,
            "run_walk": (None if run.run_walk is None else
                         {"run_s": run.run_walk.run_s, "walk_s": run.run_walk.walk_s,
                          "repeats": run.run_walk.repeats}),
            "target_spm": run.target_spm,
            "range_spm": None if run.range_spm is None else list(run.range_spm),
            "metronome": run.metronome,
            "title": run_words(run)[0], "text": run_words(run)[1]}


def decision_json(decision: Decision) -> dict[str, Any]:
    return {"date": decision.day.isoformat(), "action": decision.action.value,
            "why": decision.why, "evidence": {"runs": list(decision.runs)}}


def decisions_from_json(items: Any) -> tuple[Decision, ...]:
    """The ``decisions`` of a stored plan, read back (entries that do not parse are skipped:
    a plan stored before dated plans has none)."""
    from datetime import date

    from backstride.core.schedule import Action

    out = []
    for item in items if isinstance(items, list) else []:
        try:
            out.append(Decision(day=date.fromisoformat(item["date"]),
                                action=Action(item["action"]), why=str(item["why"]),
                                runs=tuple(int(r) for r in
                                           (item.get("evidence") or {}).get("runs") or [])))
        except (KeyError, TypeError, ValueError):
            continue
    return tuple(out)


def weeks_from_json(items: Any) -> tuple[PlanWeek, ...]:
    """The dated ``weeks`` of a stored plan, read back; a plan stored before dated plans (or
    one held, with no runs) has none. A week that does not parse ends the list there."""
    from datetime import date

    out = []
    for item in items if isinstance(items, list) else []:
        try:
            runs = tuple(_run_from_json(run) for run in item["runs"])
            out.append(PlanWeek(week=int(item["week"]), start=date.fromisoformat(item["start"]),
                                end=date.fromisoformat(item["end"]),
                                target_spm=_number(item.get("target_spm")),
                                step=None if item.get("step") is None else int(item["step"]),
                                runs=runs))
        except (KeyError, TypeError, ValueError):
            break
    return tuple(out)


def _run_from_json(item: dict[str, Any]) -> PlannedRun:
    from datetime import date

    walk, band = item.get("run_walk"), item.get("range_spm")
    return PlannedRun(
        day=date.fromisoformat(item["date"]), kind=str(item["kind"]),
        duration_s=int(item["duration_s"]),
        run_walk=None if walk is None else RunWalk(run_s=int(walk["run_s"]),
                                                   walk_s=int(walk["walk_s"]),
                                                   repeats=int(walk["repeats"])),
        target_spm=_number(item.get("target_spm")),
        range_spm=None if band is None else (float(band[0]), float(band[1])),
        metronome=None if item.get("metronome") is None else str(item["metronome"]))


def _number(value: Any) -> float | None:
    return None if value is None else float(value)

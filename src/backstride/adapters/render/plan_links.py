"""Links between findings and the plan (core.finding_plan), for every page that shows either.

A finding in a run or video report links to the part of the plan that answers it, by the
plan pages' stable anchors (the web plan page and the printable plan carry the same ids); a
plan item names the findings it answers. With no plan yet, the link goes to the plan page to
make one; with no plan page to link to (a report written by ``analyze --report``), the words
name the part and the command.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

from backstride.core.finding_plan import PlanPart, answer_of

JSON = dict[str, Any]

CADENCE_ANCHOR: Final = "plan-cadence"
RUNS_ANCHOR: Final = "plan-runs"
EXERCISES_ANCHOR: Final = "plan-exercises"
REMEASURE_ANCHOR: Final = "plan-remeasure"
SECTION_ANCHORS: Final = (CADENCE_ANCHOR, RUNS_ANCHOR, EXERCISES_ANCHOR, REMEASURE_ANCHOR)
"""Present on every plan page that is not held (tests check each)."""


def step_anchor(number: int) -> str:
    return f"plan-step-{number}"


def exercise_anchor(exercise_id: str) -> str:
    return f"exercise-{exercise_id}"


def finding_title(finding_id: str) -> str:
    return answer_of(finding_id).title


def finding_plan(finding_id: str, plan: Mapping[str, Any] | None,
                 plan_href: str | None) -> JSON:
    """What the plan does about one finding: ``words`` and the ``links`` to the parts of the
    plan (``href`` None where there is no plan page to link to)."""
    answer = answer_of(finding_id)
    out: JSON = {"finding": finding_id, "title": answer.title, "words": answer.words,
                 "links": [], "make_plan": plan is None, "held": False}
    if plan is None:
        out["links"] = [{"text": "make your plan" if plan_href else
                         "make your plan ('backstride plan')", "href": plan_href}]
        return out
    if plan.get("held"):
        out["held"] = True
        out["links"] = [{"text": "your plan is on hold until a clinician has seen you",
                         "href": plan_href}]
        return out
    links: list[JSON] = []
    for part in answer.parts:
        for text, anchor in _targets(part, answer.exercises, plan):
            links.append({"text": text,
                          "href": None if plan_href is None else f"{plan_href}#{anchor}"})
    out["links"] = links
    return out


def _targets(part: PlanPart, exercises: Sequence[str],
             plan: Mapping[str, Any]) -> list[tuple[str, str]]:
    if part is PlanPart.CADENCE:
        steps = plan.get("cadence_steps") or []
        if not steps:
            return [("cadence (no cadence steps in your plan: see why)", CADENCE_ANCHOR)]
        first = steps[0]
        return [(f"cadence step 1, {float(first['target_spm']):.0f} spm",
                 step_anchor(1))]
    if part is PlanPart.EXERCISE:
        held = {str(e.get("id")): str(e.get("name") or e.get("id"))
                for e in plan.get("exercises") or []}
        found = [(held[e], exercise_anchor(e)) for e in exercises if e in held]
        return found or [("exercises (make your plan again to add this one)",
                          EXERCISES_ANCHOR)]
    if part is PlanPart.RUNS:
        return [("run lengths, week by week", RUNS_ANCHOR)]
    return [("re-measure", REMEASURE_ANCHOR)]


def findings_with_plan(findings: Iterable[Mapping[str, Any]], plan: Mapping[str, Any] | None,
                       plan_href: str | None) -> list[JSON]:
    """Each finding (an analysis's ``findings`` entries) with what the plan does about it."""
    return [{"id": str(f.get("id") or ""), "severity": str(f.get("severity") or "info"),
             "message": str(f.get("message") or ""),
             "plan": finding_plan(str(f.get("id") or ""), plan, plan_href)}
            for f in findings]


def plan_answers(plan: Mapping[str, Any], href: str = "") -> JSON:
    """The plan's own side: what each of its parts answers, with in-page anchors, for the
    plan pages' "What your plan answers" block."""
    steps = []
    for number, step in enumerate(plan.get("cadence_steps") or [], start=1):
        ends = step.get("range_spm") or []
        steps.append({"anchor": step_anchor(number), "number": number,
                      "week": int(step["week"]), "weeks": int(step["weeks"]),
                      "target": f"{float(step['target_spm']):.0f}",
                      "range": (f"{float(ends[0]):.0f}–{float(ends[1]):.0f}"
                                if len(ends) == 2 else ""),
                      "answers": [finding_title(f) for f in plan.get("cadence_answers") or []]})
    findings = [str(f) for f in plan.get("findings") or []]
    remeasure_for = [finding_title(f) for f in findings
                     if answer_of(f).parts[0] is PlanPart.REMEASURE]
    return {
        "anchors": {"cadence": CADENCE_ANCHOR, "runs": RUNS_ANCHOR,
                    "exercises": EXERCISES_ANCHOR, "remeasure": REMEASURE_ANCHOR},
        "steps": steps,
        "waiting": bool(plan.get("waiting_for_clinician")),
        "runs_basis": plan.get("runs_basis") or "",
        "runs_answer": [finding_title(f) for f in plan.get("runs_answer") or []],
        "remeasure": [{"week": r.get("week"), "what": r.get("what") or ""}
                      for r in plan.get("remeasure") or []],
        "remeasure_for": remeasure_for,
        "findings": [finding_plan(f, plan, href) for f in findings],
    }

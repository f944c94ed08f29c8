"""The printable plan page of one ``backstride.plan/1`` plan (CONTRACT.md).

Safety first: the triage banner is the first thing on the page. A held plan shows its hold
reason right under the banner and no week table and no exercise; only notes, surfaces and
shoes. One self-contained file: no script, nothing fetched from the network, every text
escaped by Jinja2's autoescape; sources are shown as text, never as links (the only links
are to the page's own anchors, from each finding to the part of the plan that answers it).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

from backstride.adapters.render.common import html_environment
from backstride.adapters.render.plan_links import plan_answers
from backstride.adapters.render.units import M_PER_KM, M_PER_MILE
from backstride.core.plan import WAITING_REASON
from backstride.core.schedule import METRONOME_OFF, METRONOME_WEEK
from backstride.core.screening import SELF_TESTS_BY_KEY, FailWhen, quantity_text
from backstride.core.triage import UNSURE_NOTE, plain_message

JSON = dict[str, Any]

DISCLAIMER: Final = "backstride gives information, not a diagnosis."
HOLD_RULE: Final = "No running progression or exercises until a clinician has cleared you."
LEVEL_TEXT: Final = {"emergency": "Emergency", "urgent": "Urgent",
                     "see_clinician": "See a clinician", "self_care": "Self-care"}
# Week 1 / week 2 of a cadence step, then off (DOMAIN.md §4.2 rule 4): the dated runs' words.
METRONOME_BY_WEEK: Final = METRONOME_WEEK
WHEN_ORDER: Final = ("pre-run", "strength day", "daily")
WHEN_HEADING: Final = {"pre-run": "Before each run", "strength day": "Strength days",
                       "daily": "Every day"}
WHEN_SHORT: Final = {"pre-run": "pre-run", "strength day": "strength", "daily": "daily"}
WHY_TEXT: Final = {
    "pre_run_activation": "pre-run activation (reference text advice)",
    "weak_core": "weak core (self-test)",
    "weak_gluteus_medius": "weak gluteus medius (self-test)",
    "tight_hip_flexors": "tight hip flexors (self-test)",
    "tight_hamstrings": "tight hamstrings (self-test)",
    "long_sitting": "long hours of sitting (self-test)",
    "pelvic_drop": "pelvic drop (video)",
    "trunk_lean_forward": "forward trunk lean (video)",
    "low_hip_extension": "little hip extension (video)",
    "overstride": "overstride (video)",
    "high_shank_angle": "steep shank angle at landing (video)",
    "gct_imbalance": "uneven ground contact time, left vs right (watch)",
    "low_cadence": "low cadence (watch)",
    "high_vertical_oscillation": "high vertical oscillation (watch)",
    "high_vertical_ratio": "high vertical ratio (watch)",
}
HEURISTIC_NOTE: Final = {
    "unconfirmed": "Heuristic: advice of the reference text; no study has confirmed it.",
    "default": "Heuristic: the dose or frequency is backstride's own default.",
}
EVIDENCE_TEXT: Final = {"confirmed": "confirmed", "secondary": "secondary source"}
SHOE_STATUS_TEXT: Final = {"ok": "ok", "replace_soon": "replace soon", "replace": "replace"}
SELFTEST_STATUS_TEXT: Final = {"ok": "ok", "below": "below the cut-off",
                               "stopped_pain": "stopped: pain", "not_done": "not done"}
_UNIT_WORDS: Final = ("s", "reps", "deg")


def render_plan_html(plan: Mapping[str, Any], *, triage: Mapping[str, Any] | None = None,
                     selftests: Mapping[str, Any] | None = None,
                     units: str = "metric") -> str:
    """The plan as one printable HTML document; the triage action comes first."""
    held = bool(plan.get("held"))
    weeks, groups = page_parts(plan)
    context = {
        "banner": _banner(plan.get("triage") or {}, triage),
        "held": held,
        "hold_reason": plan.get("hold_reason") or "",
        "hold_rule": HOLD_RULE,
        "disclaimer": DISCLAIMER,
        "baseline": _baseline_text(plan.get("baseline")),
        "weeks": weeks,
        "start_date": plan.get("start_date"),
        "runs_basis": plan.get("runs_basis"),
        "decisions": [_decision(d) for d in plan.get("decisions") or []],
        "groups": groups,
        "answers": None if held else plan_answers(plan),
        "shoes": [] if held else [_shoe(s, units == "imperial") for s in plan.get("shoes") or []],
        "surfaces": "" if held else plan.get("surfaces") or "",
        "notes": [] if held else [n for n in plan.get("notes") or [] if n != WAITING_REASON],
        "clearance": (plan.get("clearance") or {}).get("text"),
        "waiting": bool(plan.get("waiting_for_clinician")) and not held,
        "waiting_reason": WAITING_REASON,
        "selftests": None if held or selftests is None else _selftests(selftests),
        "distance_unit": "miles" if units == "imperial" else "kilometres",
    }
    return html_environment().get_template("plan.html.j2").render(**context)


def _words(identifier: str) -> str:
    return identifier.replace("_", " ")


def _spm(value: float) -> str:
    return f"{float(value):.0f}"


# --- triage -----------------------------------------------------------------------------------


def _banner(plan_triage: Mapping[str, Any], triage: Mapping[str, Any] | None) -> JSON:
    level = str(plan_triage.get("level") or "")
    # Reasons that fired on answers given, in plain words; the ones that fired on "not sure"
    # or unasked answers are one line (docs/safety.md); no rule ids or keys.
    all_reasons = list((triage or {}).get("reasons") or [])
    reasons = [{"level": LEVEL_TEXT.get(str(r.get("level") or ""), _words(str(r.get("level")))),
                "message": plain_message(str(r.get("message") or "")),
                "source": r.get("source") or ""}
               for r in all_reasons if UNSURE_NOTE not in str(r.get("message") or "")]
    from_unsure = len(all_reasons) - len(reasons)
    unsure_line = (f"{from_unsure} more reason{'s' if from_unsure != 1 else ''} to be checked "
                   f"come{'' if from_unsure != 1 else 's'} from answers that were \"not sure\" or "
                   "not asked; \"not sure\" counts as the more cautious answer."
                   if from_unsure else None)
    return {"level": level if level in LEVEL_TEXT else "unknown",
            "level_text": LEVEL_TEXT.get(level, _words(level) or "Triage level unknown"),
            "action": plan_triage.get("action") or "",
            "reasons": reasons,
            "unsure_line": unsure_line,
            "startback": _startback_text((triage or {}).get("startback"))}


def _startback_text(score: Mapping[str, Any] | None) -> str | None:
    if not score:
        return None
    return (f"STarT Back score {score.get('total')} of 9 (psychosocial {score.get('psychosocial')}"
            f" of 5): {score.get('risk')} risk of lasting disability from back pain.")


def _baseline_text(baseline: Mapping[str, Any] | None) -> str | None:
    if not baseline or baseline.get("cadence_spm") is None:
        return None
    basis = baseline.get("basis")
    return (f"Your cadence baseline: {_spm(baseline['cadence_spm'])} spm"
            + (f" — {basis}" if basis else ""))


# --- week table -------------------------------------------------------------------------------


def exercise_counts(exercises: Sequence[Mapping[str, Any]]) -> list[str]:
    """'3 pre-run', '6 strength', ... (one entry per group, in the cards' order)."""
    counts: dict[str, int] = {}
    for e in exercises:
        when = str(e.get("when") or "other")
        counts[when] = counts.get(when, 0) + 1
    return [f"{counts[w]} {WHEN_SHORT.get(w, w)}" for w in _when_order(counts)]


def page_parts(plan: Mapping[str, Any]) -> tuple[list[Any], list[Any]]:
    """A ``backstride.plan/1``'s week rows and exercise groups, as the printable page draws
    them (none while held): the web's plan page shows the same, so the page and its printout
    never disagree."""
    held = bool(plan.get("held"))
    exercises: list[JSON] = [] if held else list(plan.get("exercises") or [])
    steps: list[JSON] = [] if held else list(plan.get("cadence_steps") or [])
    remeasure: list[JSON] = [] if held else list(plan.get("remeasure") or [])
    return (plan_weeks(steps, remeasure, exercise_counts(exercises),
                       [] if held else list(plan.get("weeks") or [])),
            exercise_groups(exercises))


def plan_weeks(steps: Sequence[Mapping[str, Any]], remeasure: Sequence[Mapping[str, Any]],
               exercises: list[str], dated: Sequence[Mapping[str, Any]] = ()) -> list[JSON]:
    """Week 1 to the end of the last step (and on to the last re-measure or the last dated
    week, if later); each row with its dates and its runs (the plan's ``weeks``) in words."""
    ordered = sorted(steps, key=lambda s: int(s["week"]))
    steps_end = max((int(s["week"]) + int(s["weeks"]) - 1 for s in ordered), default=0)
    last = max([steps_end, *(int(r["week"]) for r in remeasure),
                *(int(w["week"]) for w in dated)], default=0)
    by_week = {int(w["week"]): w for w in dated}
    return [{"week": week, **_cadence_cells(ordered, week, steps_end),
             **_dated_cells(by_week.get(week)),
             "remeasure": [r.get("what") or "" for r in remeasure if int(r["week"]) == week],
             "exercises": exercises}
            for week in range(1, last + 1)]


def _day(iso: str) -> str:
    from datetime import date

    return f"{date.fromisoformat(iso):%a %d %b}"


def _dated_cells(week: Mapping[str, Any] | None) -> JSON:
    if week is None:
        return {"dates": "", "runs": []}
    return {"dates": f"{_day(week['start'])} – {_day(week['end'])}",
            "runs": [{"day": _day(r["date"]), "date": r["date"], "title": r.get("title") or "",
                      "text": r.get("text") or ""} for r in week.get("runs") or []]}


def _decision(d: Mapping[str, Any]) -> JSON:
    return {"date": d.get("date") or "", "action": _words(str(d.get("action") or "")),
            "why": d.get("why") or ""}


def _cadence_cells(steps: Sequence[Mapping[str, Any]], week: int, steps_end: int) -> JSON:
    for number, step in enumerate(steps, start=1):
        position = week - int(step["week"])
        if 0 <= position < int(step["weeks"]):
            low, high = step["range_spm"]
            metronome = (METRONOME_BY_WEEK[position] if position < len(METRONOME_BY_WEEK)
                         else METRONOME_OFF)
            return {"target": _spm(step["target_spm"]), "range": f"{_spm(low)}–{_spm(high)}",
                    "metronome": metronome,
                    "bpm": f"{_spm(step['target_spm'])} bpm" if position < 2 else "",
                    "step": f"step {number}, week {position + 1} of {step['weeks']}",
                    "starts": position == 0}
    after = bool(steps) and week > steps_end
    return {"target": "keep your new cadence" if after else "no change", "range": "–",
            "metronome": METRONOME_OFF if after else "–", "bpm": "", "step": "",
            "starts": False}


# --- exercises --------------------------------------------------------------------------------


def _when_order(whens: Mapping[str, Any]) -> list[str]:
    return [w for w in WHEN_ORDER if w in whens] + sorted(w for w in whens if w not in WHEN_ORDER)


def exercise_groups(exercises: Sequence[Mapping[str, Any]]) -> list[JSON]:
    by_when: dict[str, list[JSON]] = {}
    for e in exercises:
        by_when.setdefault(str(e.get("when") or "other"), []).append(_exercise_card(e))
    return [{"when": when, "heading": WHEN_HEADING.get(when, when.capitalize()),
             "cards": by_when[when]} for when in _when_order(by_when)]


def _exercise_card(e: Mapping[str, Any]) -> JSON:
    evidence = str(e.get("evidence") or "")
    days = e.get("days_per_week")
    why = str(e.get("why") or "")
    return {
        "id": e.get("id") or "",
        "name": e.get("name") or _words(str(e.get("id") or "exercise")),
        "dose": e.get("dose") or "",
        "days": ("every day" if days == 7 else f"{days} days a week" if days else ""),
        "why": WHY_TEXT.get(why, _words(why)),
        "how": e.get("how") or "",
        "progression": e.get("progression") or "",
        "heuristic": evidence in HEURISTIC_NOTE,
        "evidence": "heuristic" if evidence in HEURISTIC_NOTE else
                    EVIDENCE_TEXT.get(evidence, _words(evidence)),
        "evidence_note": HEURISTIC_NOTE.get(evidence, ""),
        "source": e.get("source") or "",
    }


# --- shoes and self-tests ---------------------------------------------------------------------


def _shoe(shoe: Mapping[str, Any], imperial: bool) -> JSON:
    per, name = (M_PER_MILE, "mi") if imperial else (M_PER_KM, "km")
    distance_m = shoe.get("distance_m")
    status = str(shoe.get("status") or "")
    return {"name": shoe.get("name") or "",
            "distance": "–" if distance_m is None else f"{float(distance_m) / per:,.0f} {name}",
            "status": SHOE_STATUS_TEXT.get(status, _words(status)),
            "css": status if status in SHOE_STATUS_TEXT else "unknown"}


def _test_label(test: str) -> str:
    row = SELF_TESTS_BY_KEY.get(test)
    if row is not None:
        return row.name[:1].upper() + row.name[1:]
    words = test.split("_")
    if len(words) > 1 and words[-1] in _UNIT_WORDS:
        words = words[:-1]
    return " ".join(words).capitalize()


def _quantity(value: Any, unit: str | None) -> str:
    if value is None:
        return "–"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return quantity_text(float(value), unit)
    return _words(str(value))


def _cutoff(test: str, cutoff: Any, unit: str | None) -> str:
    """'< 20 s' (this runner's cut-off, with the side that fails); 'fail' for pass/fail."""
    if cutoff is None:
        return "fail"
    row = SELF_TESTS_BY_KEY.get(test)
    sign = ("" if row is None or row.cutoff is None else
            "< " if row.cutoff.fail_when is FailWhen.BELOW else "> ")
    return sign + _quantity(cutoff, unit)


def _selftests(result: Mapping[str, Any]) -> JSON:
    rows = []
    not_done = 0
    for r in result.get("results") or []:
        status = str(r.get("status") or "not_done")
        if status == "not_done":
            not_done += 1
            continue
        test, unit = str(r.get("test") or ""), r.get("unit")
        rows.append({"test": _test_label(test),
                     "value": _quantity(r.get("value"), unit),
                     "cutoff": _cutoff(test, r.get("cutoff"), unit),
                     "status": SELFTEST_STATUS_TEXT.get(status, _words(status)),
                     "css": status if status in SELFTEST_STATUS_TEXT else "unknown",
                     "contributor": (_words(str(r.get("contributor") or "")) or "–")
                     if status in ("below", "stopped_pain") else "–",
                     "message": r.get("message") or ""})
    return {"rows": rows, "not_done": not_done, "notes": list(result.get("notes") or [])}

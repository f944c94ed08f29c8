"""From finding to action: every finding the watch and video rules give maps to a part of the
plan, the plan holds what the map names, each plan item says which findings it answers, and the
anchors the links use exist on the printable plan."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from backstride.adapters.render.plan_html import render_plan_html
from backstride.adapters.render.plan_json import plan_json
from backstride.adapters.render.plan_links import (
    SECTION_ANCHORS,
    finding_plan,
    findings_with_plan,
)
from backstride.core import findings as watch_findings
from backstride.core.finding_plan import FINDING_ANSWERS, PlanPart, answer_of, cadence_answers
from backstride.core.form_findings import RULES
from backstride.core.plan import OFFER_BELOW_SPM, Baseline, build_plan
from backstride.core.triage import Urgency

SRC = Path(watch_findings.__file__).read_text(encoding="utf-8")


def rule_finding_ids() -> set[str]:
    """Every id the watch rules (literal ids, gauge bands, drifts) and the video rules give."""
    literal = set(re.findall(r'\bid="([a-z_]+)"', SRC))
    bands = set(re.findall(r'\("[a-z_]+", "([a-z]+_[a-z_]+)", "', SRC))
    drifts = {f"drift_{name}" for name in watch_findings._BAD_DIRECTION}
    return literal | bands | drifts | {r.finding_id for r in RULES}


def test_every_finding_kind_maps_to_a_plan_part() -> None:
    ids = rule_finding_ids()
    assert {"low_cadence", "long_ground_contact", "gct_imbalance", "drift_cadence_spm",
            "pelvic_drop", "low_knee_flexion"} <= ids  # the scan finds the rules
    assert ids <= set(FINDING_ANSWERS), sorted(ids - set(FINDING_ANSWERS))
    for answer in FINDING_ANSWERS.values():
        assert answer.parts and answer.words and answer.title
        assert (PlanPart.EXERCISE in answer.parts) == bool(answer.exercises)
    # DOMAIN.md §7: never prescribe cadence for low knee flexion
    assert PlanPart.CADENCE not in answer_of("low_knee_flexion").parts
    assert answer_of("something_new").parts == (PlanPart.REMEASURE,)


def _plan(findings: tuple[str, ...], baseline_spm: float = 156.0) -> dict[str, object]:
    from datetime import date

    plan = build_plan(triage_level=Urgency.SELF_CARE, triage_action="Self-care.", cleared=False,
                      baseline=Baseline(cadence_spm=baseline_spm, basis="test"),
                      findings=findings, start=date(2026, 12, 7))
    return plan_json(plan)


@pytest.mark.parametrize("finding", sorted(a.finding for a in FINDING_ANSWERS.values()
                                           if PlanPart.EXERCISE in a.parts))
def test_the_plan_holds_the_exercises_a_finding_maps_to(finding: str) -> None:
    plan = _plan((finding,))
    held = {e["id"]: e["why"] for e in plan["exercises"]}  # type: ignore[attr-defined]
    for exercise in answer_of(finding).exercises:
        assert held.get(exercise) == finding  # the card's "why" names the finding


def test_plan_items_say_which_finding_they_answer() -> None:
    plan = _plan(("overstride", "drift_cadence_spm", "low_knee_flexion", "pelvic_drop"))
    assert plan["cadence_steps"]
    assert plan["cadence_answers"] == ["low_cadence", "overstride", "pelvic_drop"]
    assert plan["runs_answer"] == ["drift_cadence_spm"]
    assert plan["findings"] == ["overstride", "drift_cadence_spm", "low_knee_flexion",
                                "pelvic_drop"]
    # 170 spm is above the offer line: only the findings the steps help count
    assert cadence_answers(["high_vertical_ratio"], 170.0, OFFER_BELOW_SPM) == (
        "high_vertical_ratio",)
    assert cadence_answers([], 156.0, OFFER_BELOW_SPM) == ("low_cadence",)


def test_every_link_lands_on_an_anchor_of_the_printable_plan() -> None:
    every = tuple(sorted(FINDING_ANSWERS))
    for findings, baseline in ((every, 156.0), ((), 176.0)):  # with steps, and with none
        plan = _plan(findings, baseline)
        page = render_plan_html(plan)
        ids = set(re.findall(r'\bid="([^"]+)"', page))
        assert set(SECTION_ANCHORS) <= ids
        for finding in every:
            shown = finding_plan(finding, plan, "plan.html")
            assert shown["links"], finding
            for link in shown["links"]:
                anchor = link["href"].split("#", 1)[1]
                assert anchor in ids, (finding, anchor)
        # the plan's own list of findings links inside the page
        inside = re.findall(r'href="#([^"]+)"', page)
        assert len(inside) >= len(findings) and set(inside) <= ids


def test_links_without_a_plan_or_a_plan_page() -> None:
    none = finding_plan("low_cadence", None, "/plan")
    assert none["make_plan"] and none["links"] == [{"text": "make your plan", "href": "/plan"}]
    text_only = finding_plan("pelvic_drop", _plan(("pelvic_drop",)), None)
    assert [link["href"] for link in text_only["links"]] == [None] * 4  # 3 exercises + steps
    held = finding_plan("low_cadence", {"held": True}, "/plan")
    assert held["held"] and held["links"][0]["href"] == "/plan"
    listed = findings_with_plan([{"id": "overstride", "severity": "watch", "message": "m"}],
                                _plan(("overstride",)), "/plan")
    assert listed[0]["plan"]["links"] == [{"text": "cadence step 1, 164 spm",
                                           "href": "/plan#plan-step-1"}]

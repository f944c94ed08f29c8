from __future__ import annotations

import pytest

from backstride.core.plan import Baseline, build_plan, cadence_targets, offers_cadence
from backstride.core.triage import Urgency


@pytest.mark.parametrize(("baseline", "targets"), [
    (156.2, (164.0, 172.0)),
    (150.0, (158.0, 165.0)),
    (165.0, (173.0, 180.0)),  # 1.10 x 165 = 181.5: capped at 180
    (172.0, (180.0,)),  # both steps reach the cap: one step
    (179.9, (180.0,)),
    (180.0, ()),
    (186.0, ()),
])
def test_cadence_targets_follow_the_retraining_rule(baseline: float,
                                                    targets: tuple[float, ...]) -> None:
    assert cadence_targets(baseline) == targets
    for target in targets:
        assert target <= round(1.10 * baseline) and target <= 180


def test_offer_below_164_or_below_174_with_a_load_finding() -> None:
    assert offers_cadence(163.9, set())
    assert not offers_cadence(164.0, set())
    assert offers_cadence(170.0, {"high_vertical_oscillation"})
    assert not offers_cadence(174.0, {"high_vertical_oscillation"})
    assert not offers_cadence(170.0, {"gct_imbalance"})


def _plan(level: str = "self_care", *, cleared: bool = False, baseline: float | None = 156.2,
          **kwargs: object):  # type: ignore[no-untyped-def]
    return build_plan(triage_level=Urgency(level), triage_action="Do this.", cleared=cleared,
                      baseline=None if baseline is None else Baseline(
                          cadence_spm=baseline, basis="single run"), **kwargs)  # type: ignore[arg-type]


def test_self_care_plan_has_steps_weeks_and_remeasure() -> None:
    plan = _plan()
    assert not plan.held
    assert [(s.week, s.weeks, s.target_spm, s.range_spm) for s in plan.cadence_steps] == [
        (1, 3, 164.0, (162.0, 166.0)), (4, 3, 172.0, (170.0, 174.0))]
    assert [r.week for r in plan.remeasure] == [3, 5, 6]
    assert {p.exercise.id for p in plan.exercises} == {"glute_bridge", "front_plank", "dead_bug"}
    assert all(p.exercise.dose and p.why for p in plan.exercises)


@pytest.mark.parametrize("level", ["urgent", "emergency"])
def test_urgent_or_emergency_holds_everything_until_clearance(level: str) -> None:
    held = _plan(level, contributors=("weak_core",))
    assert held.held and held.cadence_steps == () and held.exercises == ()
    assert "backstride clearance" in (held.hold_reason or "")
    cleared = _plan(level, cleared=True, contributors=("weak_core",))
    assert not cleared.held and cleared.cadence_steps and cleared.exercises


def test_see_clinician_gives_the_plan_with_a_wait_note() -> None:
    plan = _plan("see_clinician")
    assert not plan.held and plan.cadence_steps and plan.waiting_for_clinician
    assert any("start once you record that you were seen" in n for n in plan.notes)
    seen = _plan("see_clinician", cleared=True)
    assert not seen.waiting_for_clinician
    assert not any("record that you were seen" in n for n in seen.notes)


@pytest.mark.parametrize("level", ["urgent", "emergency"])
def test_a_held_plan_carries_no_running_advice(level: str) -> None:
    held = _plan(level, contributors=("weak_core",), shoes=(("Pegasus", 700_000.0),))
    assert held.baseline is None and held.surfaces == "" and held.shoes == ()
    assert held.remeasure == () and held.notes == ()


def test_high_startback_risk_slows_the_steps_and_changes_the_advice() -> None:
    plan = _plan(startback_risk="high")
    assert {s.weeks for s in plan.cadence_steps} == {4}
    assert any("physiotherapist-guided" in n for n in plan.notes)


def test_exercises_follow_the_findings_with_their_reason() -> None:
    plan = _plan(contributors=("weak_gluteus_medius", "tight_hamstrings", "long_sitting"),
                 findings=("pelvic_drop",))
    why = {p.exercise.id: p.why for p in plan.exercises}
    assert why["clamshell"] == "weak_gluteus_medius"
    assert why["hamstring_stretch"] == "tight_hamstrings"
    assert why["sitting_breaks"] == "long_sitting"
    assert why["glute_bridge"] == "pre_run_activation"


def test_no_baseline_no_steps_and_says_how_to_get_one() -> None:
    plan = _plan(baseline=None)
    assert plan.cadence_steps == ()
    assert any("plan --analysis" in n for n in plan.notes)


def test_shoe_mileage_rule() -> None:
    plan = _plan(shoes=(("Old", 850_000.0), ("Mid", 500_000.0), ("New", 100_000.0)))
    assert [s.status for s in plan.shoes] == ["replace", "replace_soon", "ok"]


def test_history_baseline_is_the_median_of_the_last_three_runs_in_the_pace_band() -> None:
    from datetime import UTC, datetime, timedelta

    from backstride.core.plan import RunSummary, history_baseline

    day = datetime(2026, 10, 1, 7, tzinfo=UTC)
    runs = [RunSummary(start_utc=day + timedelta(days=i), cadence_spm=c, speed_mps=v)
            for i, (c, v) in enumerate([(150, 3.0), (158, 3.1), (171, 4.2), (160, 2.9),
                                        (156, 3.0), (175, 4.4)])]
    baseline = history_baseline(runs)
    assert baseline is not None
    # Pace band: median speed 3.05 m/s ± 0.3, so the two fast runs are left out.
    assert baseline.cadence_spm == 158.0  # median of 158, 160, 156
    assert baseline.basis.startswith("median of 3 runs in your pace band 2.8–3.3 m/s")
    single = history_baseline(runs[:1])
    assert single is not None and single.cadence_spm == 150
    assert "fewer than 3 runs" in single.basis
    assert history_baseline([]) is None

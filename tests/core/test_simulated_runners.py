"""Simulated runners over 8-12 weeks (core.simulate_plan): every decision the plan makes is
checked against DOMAIN.md §4.2 rules 5-6 and §4.3 rule 4, read off the simulated diary."""

from __future__ import annotations

from datetime import timedelta
from itertools import pairwise

import pytest

from backstride.core.schedule import Action
from backstride.core.simulate_plan import History, RunnerScript, simulate_runner

SCRIPTS = [
    RunnerScript(name="adherent", weeks=8),
    RunnerScript(name="adherent, 12 weeks", weeks=12, seed=1),
    RunnerScript(name="adherent, low baseline", baseline_spm=150.0, seed=2),
    RunnerScript(name="adherent, near the cap", baseline_spm=166.0, seed=3, weeks=9),
    RunnerScript(name="half adherent", adherence=0.45, seed=4, weeks=12),
    RunnerScript(name="non-adherent", adherence=0.1, seed=5),
    RunnerScript(name="non-adherent, 12 weeks", adherence=0.05, weeks=12, seed=6),
    RunnerScript(name="pain rising slowly", pain_start=1.0, pain_trend=0.5, seed=7),
    RunnerScript(name="pain rising fast", pain_start=2.0, pain_trend=1.0, seed=8, weeks=8),
    RunnerScript(name="pain rising, mornings stick", pain_start=2.0, pain_trend=0.4,
                 morning_sticks=True, seed=9),
    RunnerScript(name="pain settling", pain_start=6.0, pain_trend=-1.0, seed=10),
    RunnerScript(name="pain settling slowly", pain_start=5.0, pain_trend=-0.5, seed=11,
                 weeks=12),
    RunnerScript(name="pain high, mornings stick", pain_start=3.0, morning_sticks=True,
                 seed=12, weeks=8),
    RunnerScript(name="one missed week", missed_weeks=frozenset({3}), seed=13),
    RunnerScript(name="two missed weeks", missed_weeks=frozenset({2, 3}), seed=14, weeks=11),
    RunnerScript(name="missed weeks apart", missed_weeks=frozenset({2, 5, 8}), seed=15,
                 weeks=12),
    RunnerScript(name="missed week, non-adherent", missed_weeks=frozenset({4}),
                 adherence=0.1, seed=16),
    RunnerScript(name="red flag in week 4", red_flag_week=4, seed=17),
    RunnerScript(name="red flag in week 2, long wait", red_flag_week=2, cleared_after=3,
                 seed=18, weeks=12),
    RunnerScript(name="red flag in week 7", red_flag_week=7, seed=19, weeks=11),
    RunnerScript(name="red flag and rising pain", red_flag_week=5, pain_start=1.0,
                 pain_trend=0.6, seed=20),
    RunnerScript(name="settling pain, missed week", pain_start=5.0, pain_trend=-1.0,
                 missed_weeks=frozenset({4}), seed=21),
    RunnerScript(name="no cadence step (176 spm)", baseline_spm=176.0, seed=22, weeks=8),
    RunnerScript(name="no cadence step, rising pain", baseline_spm=178.0, pain_start=2.0,
                 pain_trend=0.8, seed=23, weeks=9),
]
JUDGED = (Action.ADVANCE, Action.HOLD, Action.REPEAT, Action.STEP_BACK)


@pytest.fixture(scope="module")
def histories() -> dict[str, History]:
    return {script.name: simulate_runner(script) for script in SCRIPTS}


def test_at_least_20_scripted_histories_of_8_to_12_weeks() -> None:
    assert len(SCRIPTS) >= 20 and len({s.name for s in SCRIPTS}) == len(SCRIPTS)
    assert all(8 <= s.weeks <= 12 for s in SCRIPTS)


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda s: s.name)
def test_every_decision_is_what_the_rules_say(script: RunnerScript,
                                              histories: dict[str, History]) -> None:
    history = histories[script.name]
    decisions = history.decisions
    assert decisions and decisions[0].action == Action.START
    previous_worst = 0
    previous_pain_repeat = False
    for decision in (d for d in decisions if d.action in JUDGED):
        first, last = decision.day - timedelta(days=7), decision.day - timedelta(days=1)
        runs = [r for r in history.runs if first <= r.day <= last]
        during = [p.score for p in history.pains
                  if first <= p.day <= last and p.kind == "during"]
        morning = [p.score for p in history.pains
                   if first < p.day <= decision.day and p.kind == "next_morning"]
        assert any(ch.isdigit() for ch in decision.why), decision.why  # words with numbers
        if not runs:  # a missed week (or the plan was held): repeated, said so
            assert decision.action == Action.REPEAT and "no run logged" in decision.why
            previous_pain_repeat = False
            continue
        worst = max(during, default=0)
        pain_bad = (worst > 3 or max(morning, default=0) >= 3
                    or (previous_worst > 0 and worst - previous_worst >= 2))
        previous_worst = worst
        if pain_bad:  # §4.3 rule 4: repeat; twice in a row: step back
            expected = Action.STEP_BACK if previous_pain_repeat else Action.REPEAT
            assert decision.action == expected, (decision, worst, morning)
            assert f"{worst}/10" in decision.why or f"{max(morning)}/10" in decision.why
            previous_pain_repeat = expected == Action.REPEAT
            continue
        previous_pain_repeat = False
        assert decision.action in (Action.ADVANCE, Action.HOLD)
        if "within 2 %" in decision.why:  # the end of a step: §4.2 rule 5
            step_runs = [r for r in history.runs if r.day <= last][-3:]
            target = float(decision.why.split("within 2 % of ")[1].split()[0].rstrip(";("))
            close = len(step_runs) == 3 and all(
                abs(float(r.cadence_spm or 0) - target) <= 0.02 * target for r in step_runs)
            assert (decision.action == Action.ADVANCE) == close, decision
            for run in step_runs:  # the numbers behind it are the runs' own
                assert f"{run.cadence_spm:.0f}" in decision.why
            if decision.action == Action.ADVANCE:
                assert decision.day.isoformat() in decision.why or "last step" in decision.why
        else:
            assert decision.action == Action.ADVANCE and "extended" in decision.why


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda s: s.name)
def test_runs_grow_at_most_10_percent_and_none_while_held(script: RunnerScript,
                                                          histories: dict[str, History]) -> None:
    history = histories[script.name]
    lengths = [w.runs[0].duration_s for w in history.final.weeks]
    for before, after in pairwise(lengths):
        assert after <= before * 1.10 + 1e-9
    for number, plan in enumerate(history.plans, start=1):
        red = script.red_flag_week
        if red is not None and red <= number < red + script.cleared_after:
            assert plan.held and plan.weeks == () and plan.decisions[-1].action == \
                Action.HELD_BY_TRIAGE
            week_start = history.start + timedelta(weeks=number - 1)
            assert not [r for r in history.runs
                        if week_start <= r.day < week_start + timedelta(days=7)]


def test_the_archetypes_decide_as_expected(histories: dict[str, History]) -> None:
    def actions(name: str) -> list[str]:
        return [d.action.value for d in histories[name].decisions]

    # Adherent: 2 weeks of growth, step 2 after 3 weeks, done after 6.
    assert actions("adherent") == ["start", "advance", "advance", "advance", "advance",
                                   "advance", "advance"]
    step2 = histories["adherent"].decisions[3].why
    assert step2.startswith("your last 3 runs: ") and "step 2 (172 spm) starts 2026-01-26" in step2
    # Non-adherent: the step holds, never advances.
    assert set(actions("non-adherent")[3:]) == {"hold"}
    # Rising pain: repeat, then step back.
    assert "repeat" in actions("pain rising fast")
    assert "step_back" in actions("pain rising fast")
    # Settling pain: repeated first, advancing at the end.
    settling = actions("pain settling")
    assert settling[1] == "repeat" and settling[-1] == "advance"
    # A missed week is repeated and said so.
    missed = histories["one missed week"].decisions
    assert [d.action.value for d in missed][3] == "repeat"
    assert "no run logged in week 3" in missed[3].why
    # A red flag mid-plan holds, then the plan resumes after the clearance.
    red = actions("red flag in week 4")
    assert red.index("held_by_triage") < len(red) - 1 - red[::-1].index("start")
    assert "resumes after the clinician's visit" in [
        d for d in histories["red flag in week 4"].decisions if d.action == Action.START][-1].why

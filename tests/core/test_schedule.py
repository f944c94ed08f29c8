"""The dated plan (DOMAIN.md §4.2 rule 4, §4.3): dates, run lengths, run-walk, +10 % a week."""

from __future__ import annotations

from datetime import date, timedelta
from itertools import pairwise

import pytest

from backstride.core.plan import Baseline, build_plan
from backstride.core.schedule import (
    Action,
    Decision,
    PainOnset,
    grown_s,
    pain_onset,
    run_on,
    shape_runs,
    usual_run_s,
    week_of,
)
from backstride.core.triage import Urgency

START = date(2026, 12, 8)  # a Tuesday


def _plan(level: Urgency = Urgency.SELF_CARE, *, cleared: bool = False,
          history: tuple[Decision, ...] = (), **kwargs: object):  # type: ignore[no-untyped-def]
    return build_plan(triage_level=level, triage_action="Do this.", cleared=cleared,
                      baseline=Baseline(cadence_spm=156.2, basis="single run"), start=START,
                      history=history, **kwargs)  # type: ignore[arg-type]


def _pain(day: int, score: int, onset_min: float | None) -> PainOnset:
    return PainOnset(day=date(2026, 11, day), score=score,
                     onset_s=None if onset_min is None else 60.0 * onset_min, source="diary")


def test_every_week_and_run_is_dated_inside_its_week() -> None:
    plan = _plan()
    assert plan.start_date == START and len(plan.weeks) == 6
    for number, week in enumerate(plan.weeks, start=1):
        assert week.week == number
        assert week.start == START + timedelta(weeks=number - 1)
        assert week.end == week.start + timedelta(days=6)
        assert len(week.runs) == 3  # §4.3 rule 3: 2-3 runs a week
        assert all(week.start < run.day <= week.end for run in week.runs)
        gaps = [(b.day - a.day).days for a, b in pairwise(week.runs)]
        assert min(gaps) >= 2  # a rest day between runs
    assert run_on(plan.weeks, date(2026, 12, 9)) is plan.weeks[0].runs[0]
    assert run_on(plan.weeks, START) is None  # the first day is a rest day
    assert week_of(plan.weeks, date(2026, 12, 20)) is plan.weeks[1]
    assert week_of(plan.weeks, START - timedelta(days=1)) is None


def test_runs_carry_the_step_target_alert_range_and_metronome_part() -> None:
    plan = _plan()
    assert [w.target_spm for w in plan.weeks] == [164.0] * 3 + [172.0] * 3
    assert [w.step for w in plan.weeks] == [1, 1, 1, 2, 2, 2]
    metronome = [w.runs[0].metronome for w in plan.weeks]
    assert metronome == ["5 min inside the run", "2–3 min on / off", "off: watch check only"] * 2
    run = plan.weeks[3].runs[1]
    assert run.target_spm == 172.0 and run.range_spm == (170.0, 174.0)


def test_no_cadence_steps_still_dates_six_weeks_of_runs_without_a_target() -> None:
    plan = build_plan(triage_level=Urgency.SELF_CARE, triage_action="Do this.", cleared=False,
                      baseline=Baseline(cadence_spm=176.0, basis="single run"), start=START)
    assert plan.cadence_steps == () and len(plan.weeks) == 6
    assert all(r.target_spm is None and r.range_spm is None and r.metronome is None
               for w in plan.weeks for r in w.runs)


@pytest.mark.parametrize("level", [Urgency.URGENT, Urgency.EMERGENCY])
def test_a_held_plan_has_no_runs_and_says_why(level: Urgency) -> None:
    plan = _plan(level)
    assert plan.held and plan.weeks == ()
    assert [d.action for d in plan.decisions] == [Action.HELD_BY_TRIAGE]
    assert "clearance" in plan.decisions[0].why
    cleared = _plan(level, cleared=True, history=plan.decisions)
    assert not cleared.held and len(cleared.weeks) == 6
    assert [d.action for d in cleared.decisions] == [Action.HELD_BY_TRIAGE, Action.START]


def test_see_clinician_waits_with_no_runs_until_the_visit() -> None:
    plan = _plan(Urgency.SEE_CLINICIAN)
    assert plan.waiting_for_clinician and plan.weeks == ()
    assert [d.action for d in plan.decisions] == [Action.WAITING_FOR_CLINICIAN]
    seen = _plan(Urgency.SEE_CLINICIAN, cleared=True, history=plan.decisions)
    assert seen.weeks and seen.decisions[-1].action == Action.START


def test_the_same_state_again_adds_no_decision() -> None:
    first = _plan()
    again = _plan(history=first.decisions)
    assert again.decisions == first.decisions
    assert first.decisions[0].day == START
    assert "164 spm, 3 runs a week" in first.decisions[0].why


def test_pain_onset_is_the_earliest_on_the_last_three_painful_runs() -> None:
    entries = [_pain(1, 6, 10.0),  # an older painful run: not among the last 3
               _pain(3, 4, 30.0), _pain(5, 2, 5.0),  # 2/10 is below 3: not counted
               _pain(7, 3, 25.0), _pain(9, 5, None), _pain(9, 5, 28.0)]
    onset = pain_onset(entries)
    assert onset is not None and onset.onset_s == 25 * 60.0 and onset.day == date(2026, 11, 7)
    assert pain_onset([_pain(3, 2, 5.0)]) is None


def test_runs_end_at_80_percent_of_the_onset_and_grow_at_most_10_percent() -> None:
    shape = shape_runs(_pain(7, 4, 30.0), usual_s=40 * 60.0)
    assert not shape.run_walk and shape.first_s == 24 * 60 and shape.cap_s == 40 * 60
    assert shape.runs_per_week == 3 and "began at 30 min" in shape.basis
    lengths = [grown_s(shape.first_s, shape.cap_s, week) for week in range(8)]
    assert lengths[0] == 1440 and lengths[-1] == 2400
    for before, after in pairwise(lengths):
        assert before <= after <= 1.10 * before


def test_pain_under_20_min_makes_run_walk_two_runs_a_week() -> None:
    shape = shape_runs(_pain(7, 5, 12.0), usual_s=45 * 60.0)
    assert shape.run_walk and shape.first_s == 240 and shape.runs_per_week == 2
    plan = _plan(shape=shape)
    run = plan.weeks[0].runs[0]
    assert run.kind == "run_walk" and run.run_walk is not None
    assert (run.run_walk.run_s, run.run_walk.walk_s, run.run_walk.repeats) == (240, 60, 5)
    assert run.duration_s == 1500 and len(plan.weeks[0].runs) == 2
    early = shape_runs(_pain(7, 5, 4.0), usual_s=None)
    assert early.run_walk and early.first_s == 180  # 80 % of 4 min, in 30 s
    grown = _plan(shape=early)
    run_parts = [w.runs[0].run_walk.run_s for w in grown.weeks]  # type: ignore[union-attr]
    assert run_parts == [180, 190, 200, 220, 240, 240]


def test_no_onset_uses_the_usual_run_or_an_assumed_20_minutes() -> None:
    assert usual_run_s([1800.0, 2400.0, 2100.0]) == 2100.0
    assert usual_run_s([]) is None
    usual = shape_runs(None, 2100.0)
    assert usual.first_s == usual.cap_s == 2100 and "usual run" in usual.basis
    assumed = shape_runs(None, None)
    assert (assumed.first_s, assumed.cap_s) == (1200, 1800) and "assumed" in assumed.basis

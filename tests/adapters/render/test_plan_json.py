"""backstride.plan/1 read back: the dated weeks a stored plan holds are the weeks it was
made with, so ``backstride today`` says what the plan said."""

from __future__ import annotations

from datetime import date

from backstride.adapters.render.plan_json import plan_json, weeks_from_json
from backstride.core.plan import Baseline, Plan, build_plan
from backstride.core.schedule import PainOnset, pain_onset, shape_runs
from backstride.core.triage import Urgency

START = date(2026, 3, 2)


def _plan(onset_s: float | None) -> Plan:
    onsets = [] if onset_s is None else [
        PainOnset(day=date(2026, 2, d), score=5, onset_s=onset_s, source="diary") for d in
        (10, 14, 18)]
    return build_plan(triage_level=Urgency.SELF_CARE, triage_action="Do this.", cleared=False,
                      baseline=Baseline(cadence_spm=158.0, basis="test"), start=START,
                      today=START, shape=shape_runs(pain_onset(onsets), 40 * 60.0))


def test_weeks_read_back_equal_the_weeks_written() -> None:
    for onset_s in (None, 12 * 60.0, 30 * 60.0):  # easy runs, run-walk, shortened runs
        plan = _plan(onset_s)
        weeks = plan.weeks
        assert weeks and any(run.run_walk for w in weeks for run in w.runs) == (
            onset_s == 12 * 60.0)
        assert weeks_from_json(plan_json(plan)["weeks"]) == weeks


def test_a_plan_without_dated_weeks_reads_back_as_none() -> None:
    assert weeks_from_json(None) == () and weeks_from_json("weeks") == ()
    written = plan_json(_plan(None))["weeks"]
    broken = [written[0], {**written[1], "start": "not a date"}, written[2]]
    assert len(weeks_from_json(broken)) == 1  # a week that does not parse ends the list

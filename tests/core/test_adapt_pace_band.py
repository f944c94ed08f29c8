"""DOMAIN.md §4.1 and §4.2 rule 5: a cadence step ends only when the last 3 runs *in the
baseline's pace band* are within 2 % of the target; cadence rises with speed, so a fast run
neither passes nor fails a step, and the decision names the runs it left out."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import numpy as np

from backstride.core.adapt import RunDone
from backstride.core.plan import Baseline, Plan, RunSummary, build_plan, history_baseline
from backstride.core.running import CadenceProfile, cadence_profile
from backstride.core.schedule import Action
from backstride.core.triage import Urgency

START = date(2026, 3, 2)  # a Monday; step 1 (168 spm from 160) lasts weeks 1-3
BAND = (2.6, 3.2)


def _plan(rows: list[tuple[int, float, float | None]],
          band: tuple[float, float] | None = BAND) -> Plan:
    runs = [RunDone(id=i + 1, day=START + timedelta(days=day), cadence_spm=cadence,
                    speed_mps=speed) for i, (day, cadence, speed) in enumerate(rows)]
    return build_plan(triage_level=Urgency.SELF_CARE, triage_action="Do this.", cleared=False,
                      baseline=Baseline(cadence_spm=160.0, basis="test", pace_band_mps=band),
                      start=START, today=START + timedelta(days=22), runs_done=runs)


ON_TARGET = [(1, 166, 2.9), (4, 167, 2.9), (8, 168, 2.9), (11, 168, 2.8), (15, 167, 2.9),
             (17, 168, 3.0)]


def test_a_fast_run_below_target_does_not_hold_the_step() -> None:
    plan = _plan([*ON_TARGET, (19, 160, 3.6)])
    last = plan.decisions[-1]
    assert last.action is Action.ADVANCE
    assert set(last.runs) == {4, 5, 6}  # the 3.6 m/s run is not among the evidence
    assert "in your pace band (2.6–3.2 m/s): 168, 167, 168 spm" in last.why
    assert "run 2026-03-21 at 3.6 m/s not compared: cadence rises with speed" in last.why
    # Without a pace band (speeds unknown), the same run counts and holds the step.
    assert _plan([*ON_TARGET, (19, 160, 3.6)], band=None).decisions[-1].action is Action.HOLD


def test_fast_runs_on_target_do_not_pass_the_step() -> None:
    rows = [*ON_TARGET[:4], (15, 150, 2.9), (17, 168, 3.0), (19, 168, 3.6), (20, 168, 3.7)]
    last = _plan(rows).decisions[-1]
    assert last.action is Action.HOLD
    assert "168, 150, 168 spm" in last.why and "2026-03-22 at 3.7 m/s" in last.why
    assert _plan(rows, band=None).decisions[-1].action is Action.ADVANCE


def test_a_run_with_no_speed_counts() -> None:
    rows = [*ON_TARGET[:5], (17, 168, None), (19, 168, None)]
    last = _plan(rows).decisions[-1]
    assert last.action is Action.ADVANCE and "not compared" not in last.why


def test_the_history_baseline_carries_its_pace_band() -> None:
    runs = [RunSummary(start_utc=datetime(2026, 2, day, 7, 0, tzinfo=UTC),
                       cadence_spm=160.0 + day % 3, speed_mps=2.8 + 0.05 * (day % 3))
            for day in range(1, 25, 3)]
    baseline = history_baseline(runs)
    assert baseline is not None and baseline.pace_band_mps is not None
    low, high = baseline.pace_band_mps
    assert abs(high - low - 0.6) < 1e-9  # median speed ± 0.3 m/s
    assert f"{low:.1f}–{high:.1f} m/s" in baseline.basis


def test_the_decision_says_how_much_running_time_was_inside_the_alert_range() -> None:
    """Each run's running time inside the step's alert range, from its cadence profile:
    shown beside the medians (the decision itself rests on the medians, §4.2 rule 5)."""
    at = [RunDone(id=i + 1, day=START + timedelta(days=day), cadence_spm=cadence,
                  speed_mps=2.9, cadence_profile=profile)
          for i, (day, cadence, profile) in enumerate([
              (1, 166, None), (4, 167, None), (8, 168, None), (11, 168, None),
              # 160 s at 160 spm, 300 s at 168: 300 / 460 = 65 % inside 165-171
              (15, 167, CadenceProfile(start_spm=160, seconds=(160.0,) + (0.0,) * 7
                                       + (300.0,))),
              (17, 168, None),
              (19, 168, CadenceProfile(start_spm=168, seconds=(600.0,)))])]
    plan = build_plan(triage_level=Urgency.SELF_CARE, triage_action="Do this.", cleared=False,
                      baseline=Baseline(cadence_spm=160.0, basis="t", pace_band_mps=BAND),
                      start=START, today=START + timedelta(days=22), runs_done=at)
    step = plan.cadence_steps[0]
    last = plan.decisions[-1]
    assert last.action is Action.ADVANCE
    low, high = step.range_spm
    assert (f"(running time inside the alert range {low:.0f}–{high:.0f} spm: 65 %, –, "
            "100 %)") in last.why


def test_a_cadence_profile_measures_the_share_inside_a_range() -> None:
    cadence = np.array([150.2, 160.4, 165.0, 171.6, np.nan, 300.0, 172.4])
    running = np.array([True, True, True, True, True, True, False])
    profile = cadence_profile(cadence, running, np.full(7, 2.0))
    assert profile is not None and profile.start_spm == 150
    assert sum(profile.seconds) == 8.0  # NaN, implausible and walking records left out
    assert profile.share_within(160, 172) == 0.75
    assert cadence_profile(cadence, np.zeros(7, dtype=bool), np.ones(7)) is None

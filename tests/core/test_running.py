"""Running time, quirks, range checks and drift on synthetic activities with known truth."""

from __future__ import annotations

import numpy as np
import pytest

from backstride.core.activity import Activity, Session
from backstride.core.running import process_activity
from backstride.core.simulate import RunPlan, simulate_run
from backstride.core.types import MetricStatus
from backstride.errors import InsufficientDataError

SHA = "ab" * 32


def _activity(n: int = 1200, *, sessions: tuple[Session, ...] = (),
              stops: tuple[tuple[float, float], ...] = (), **series: np.ndarray) -> Activity:
    t = np.arange(n, dtype=np.float64)
    base = {"cadence_spm": np.full(n, 170.0), "speed_mps": np.full(n, 3.0),
            "distance_m": 3.0 * t}
    base.update(series)
    return Activity(format="fit", sha256=SHA, start_utc=None, device=None, t_s=t, series=base,
                    sessions=sessions or (Session(sport="running", sub_sport=None, start_s=0.0,
                                                  end_s=float(n - 1)),),
                    timer_stopped=stops)


def _from_simulation(plan: RunPlan, seed: int = 5) -> tuple[Activity, object]:
    run = simulate_run(plan, seed=seed)
    names = ("cadence_spm", "speed_mps", "distance_m", "heart_rate_bpm",
             "vertical_oscillation_m", "ground_contact_time_s", "gct_balance_left_frac",
             "vertical_ratio_frac", "step_length_m")
    activity = Activity(
        format="fit", sha256=SHA, start_utc=plan.start_utc, device=None, t_s=run.t_s,
        series={name: getattr(run, name) for name in names},
        sessions=(Session(sport="running", sub_sport=None, start_s=0.0,
                          end_s=float(run.t_s[-1])),),
        timer_stopped=run.timer_stops)
    return activity, run


def test_simulated_truth_is_recovered_exactly() -> None:
    activity, run = _from_simulation(RunPlan(duration_s=1800))
    result = process_activity(activity)
    np.testing.assert_array_equal(result.running, run.running)  # walking break found
    for name in ("cadence_spm", "vertical_oscillation_m", "ground_contact_time_s",
                 "step_length_m", "vertical_ratio_frac", "gct_balance_left_frac"):
        truth = getattr(run, name)[run.running]
        metric = result.metrics[name]
        assert metric.value == pytest.approx(truth.mean(), abs=1e-12)
        assert metric.median == pytest.approx(np.median(truth), abs=1e-12)
        assert metric.n == truth.size
        low, high = metric.ci95
        assert low < metric.value < high
    assert result.moving_time_s == pytest.approx(run.running.sum())
    assert result.duration_s == pytest.approx(run.t_s[-1])


def test_pauses_and_zero_speed_are_not_running() -> None:
    speed = np.full(1200, 3.0)
    speed[100:160] = 0.0  # standing at a crossing, timer still on
    cadence = np.full(1200, 170.0)
    cadence[600:700] = 250.0  # implausible values while the timer is off: never counted
    result = process_activity(_activity(speed_mps=speed, cadence_spm=cadence,
                                        stops=((599.5, 700.5),)))
    assert not result.running[100:160].any()
    assert not result.running[600:701].any()
    assert result.metrics["cadence_spm"].value == pytest.approx(170.0)
    assert result.timer_s[-1] == pytest.approx(1199 - 101)


def test_walking_break_needs_ten_seconds() -> None:
    cadence = np.full(1200, 170.0)
    cadence[300:309] = 120.0  # 9 s: a stumble, still running
    cadence[500:540] = 110.0  # 40 s: a walking break
    result = process_activity(_activity(cadence_spm=cadence))
    assert result.running[300:309].all()
    assert not result.running[500:540].any()
    assert "walking_breaks" in {i.code for i in result.issues}


def test_only_running_legs_of_a_multisport_file() -> None:
    n = 1200
    vo = np.full(n, 0.090)
    vo[:600] = 0.0877  # a chest strap on the bike also reports bounce
    legs = (Session(sport="cycling", sub_sport=None, start_s=0, end_s=599),
            Session(sport="running", sub_sport=None, start_s=600, end_s=n - 1))
    result = process_activity(_activity(n, sessions=legs, vertical_oscillation_m=vo))
    assert result.metrics["vertical_oscillation_m"].value == pytest.approx(0.090)
    assert "multisport" in {i.code for i in result.issues}


def test_walking_activity_is_refused_with_a_reason() -> None:
    legs = (Session(sport="walking", sub_sport=None, start_s=0, end_s=1199),)
    with pytest.raises(InsufficientDataError, match="walking, not running"):
        process_activity(_activity(sessions=legs))


def test_vo_ten_times_too_small_is_corrected_with_a_warning() -> None:
    result = process_activity(_activity(vertical_oscillation_m=np.full(1200, 0.0117)))
    assert result.metrics["vertical_oscillation_m"].value == pytest.approx(0.117)
    assert "vo_scale_10x" in {i.code for i in result.issues}


def test_cadence_already_in_steps_per_minute_is_halved() -> None:
    result = process_activity(_activity(cadence_spm=np.full(1200, 2 * 172.0)))
    assert result.metrics["cadence_spm"].value == pytest.approx(172.0)
    assert "cadence_already_spm" in {i.code for i in result.issues}


def test_out_of_range_values_are_left_out_and_counted() -> None:
    gct = np.full(1200, 0.250)
    gct[:50] = 0.9
    result = process_activity(_activity(ground_contact_time_s=gct))
    assert result.metrics["ground_contact_time_s"].value == pytest.approx(0.250)
    assert result.metrics["ground_contact_time_s"].n == 1150
    assert "out_of_range.ground_contact_time_s" in {i.code for i in result.issues}


def test_mostly_implausible_metric_is_insufficient_data() -> None:
    result = process_activity(_activity(ground_contact_time_s=np.full(1200, 0.9)))
    metric = result.metrics["ground_contact_time_s"]
    assert metric.status is MetricStatus.INSUFFICIENT_DATA and metric.value is None
    assert "plausible range" in (metric.reason or "")


def test_missing_metric_is_not_available_with_reason() -> None:
    metric = process_activity(_activity()).metrics["gct_balance_left_frac"]
    assert metric.status is MetricStatus.NOT_AVAILABLE
    assert "chest strap" in (metric.reason or "")


def test_too_few_running_records_is_an_error() -> None:
    with pytest.raises(InsufficientDataError, match="at least 10"):
        process_activity(_activity(8))


def test_step_change_drift_has_known_onset() -> None:
    cadence = np.where(np.arange(1800) < 1200, 172.0, 164.0)
    cadence = cadence + np.random.default_rng(1).normal(0, 1.0, 1800)
    result = process_activity(_activity(1800, cadence_spm=cadence))
    drift = next(d for d in result.drift if d.name == "cadence_spm")
    assert drift.significant
    assert drift.early == pytest.approx(172.0, abs=0.2)
    assert drift.late == pytest.approx(164.0, abs=0.2)
    assert drift.onset_s == pytest.approx(1200.0, abs=10.0)
    assert drift.onset_m == pytest.approx(3600.0, abs=30.0)


def test_steady_run_has_no_significant_drift() -> None:
    cadence = 170.0 + np.random.default_rng(2).normal(0, 1.0, 1800)
    result = process_activity(_activity(1800, cadence_spm=cadence))
    drift = next(d for d in result.drift if d.name == "cadence_spm")
    assert not drift.significant
    assert drift.onset_s is None


def test_short_run_has_no_drift_and_says_why() -> None:
    result = process_activity(_activity(120))
    assert result.drift == ()
    assert "too_short_for_drift" in {i.code for i in result.issues}


def test_same_input_same_intervals() -> None:
    first = process_activity(_activity(cadence_spm=170 + np.sin(np.arange(1200) / 30)))
    second = process_activity(_activity(cadence_spm=170 + np.sin(np.arange(1200) / 30)))
    assert first.metrics["cadence_spm"].ci95 == second.metrics["cadence_spm"].ci95


def test_balance_is_summarised_on_flat_stretches() -> None:
    n = 1200
    altitude = np.full(n, 100.0)
    altitude[600:900] = 100.0 + 0.05 * 3.0 * np.arange(300)  # a 5 % climb, then flat on top
    altitude[900:] = altitude[899]
    balance = np.full(n, 0.505)
    balance[600:900] = 0.530  # balance shifts on the hill
    result = process_activity(_activity(n, altitude_m=altitude, gct_balance_left_frac=balance))
    assert result.metrics["gct_balance_left_frac"].value == pytest.approx(0.505, abs=1e-3)
    assert result.metrics["cadence_spm"].n == n  # other metrics keep every running record
    assert "balance_flat_only" in {i.code for i in result.issues}


def test_balance_without_altitude_uses_the_whole_run() -> None:
    result = process_activity(_activity(gct_balance_left_frac=np.full(1200, 0.52)))
    assert result.metrics["gct_imbalance_frac"].value == pytest.approx(0.02)
    assert result.metrics["gct_imbalance_frac"].n == 1200

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
    cadence[300:309] = 120.0  # 9 s: a stumble, not a walk (nor running form)
    cadence[500:540] = 110.0  # 40 s: a walking break
    result = process_activity(_activity(cadence_spm=cadence))
    assert not result.running[300:309].any()
    assert result.walking_time_s == pytest.approx(40.0)
    assert not result.running[500:540].any()
    assert result.metrics["cadence_spm"].value == pytest.approx(170.0)
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
    with pytest.raises(InsufficientDataError, match="this is a walk, not a run"):
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


# Run/walk (issue #12 item 2): walking found from the file's own cadence and speed modes.
def _run_walk_plan(**changes: object) -> RunPlan:
    base = dict(duration_s=3600, cadence_spm=160.0, speed_mps=2.8, fatigue_onset_frac=None,
                pauses=(), walks=tuple((at, 60) for at in range(240, 3600, 300)),
                walk_cadence_spm=125.0, walk_speed_mps=1.5, walk_ramp_s=6)
    base.update(changes)
    return RunPlan(**base)  # type: ignore[arg-type]


def _truth_running(run: object, ramp_s: int) -> np.ndarray:
    """Running records away from the ramps into and out of each walk."""
    walking = ~run.running  # type: ignore[attr-defined]
    near = np.convolve(walking.astype(int), np.ones(2 * ramp_s + 1), mode="same") > 0
    return ~near


@pytest.mark.parametrize(("run_spm", "walk_spm"), [(160.0, 125.0), (150.0, 128.0),
                                                    (140.0, 115.0), (172.0, 139.0)])
def test_run_walk_cadence_is_the_running_mean(run_spm: float, walk_spm: float) -> None:
    plan = _run_walk_plan(cadence_spm=run_spm, walk_cadence_spm=walk_spm)
    activity, run = _from_simulation(plan)
    result = process_activity(activity)
    truth = run.cadence_spm[_truth_running(run, plan.walk_ramp_s)].mean()
    assert result.metrics["cadence_spm"].value == pytest.approx(truth, rel=0.025)
    assert abs(result.metrics["cadence_spm"].value / truth - 1) < 0.005  # far inside 2.5 %
    walked = 60.0 * len(plan.walks)
    assert result.walking_time_s == pytest.approx(walked, rel=0.15)
    assert not any(d.name == "cadence_spm" and d.significant for d in result.drift)
    assert "walking mode" in next(i.message for i in result.issues if i.code == "walking_breaks")


def test_walk_breaks_in_the_last_third_make_no_drift() -> None:
    plan = _run_walk_plan(walks=((2500, 90), (2800, 120), (3100, 120), (3400, 90)))
    activity, _ = _from_simulation(plan)
    result = process_activity(activity)
    cadence = next(d for d in result.drift if d.name == "cadence_spm")
    assert not cadence.significant
    assert abs(cadence.change_frac) < 0.01
    speed = next(d for d in result.drift if d.name == "speed_mps")
    assert abs(speed.change_frac) < 0.02


def test_a_run_that_never_walks_loses_no_record() -> None:
    plan = _run_walk_plan(walks=(), cadence_spm=148.0)
    activity, run = _from_simulation(plan)
    result = process_activity(activity)
    assert result.walking_time_s == 0.0
    assert result.running.sum() == run.t_s.size


def test_a_real_fatigue_drift_survives_walk_breaks() -> None:
    plan = _run_walk_plan(fatigue_onset_frac=0.5, fatigue_cadence_frac=-0.06)
    activity, _ = _from_simulation(plan)
    cadence = next(d for d in process_activity(activity).drift if d.name == "cadence_spm")
    assert cadence.significant and cadence.change_frac < -0.03


def test_run_walk_without_cadence_uses_speed() -> None:
    plan = _run_walk_plan()
    activity, run = _from_simulation(plan)
    series = {k: v for k, v in activity.series.items() if k != "cadence_spm"}
    result = process_activity(Activity(
        format="gpx", sha256=SHA, start_utc=None, device=None, t_s=activity.t_s, series=series,
        sessions=activity.sessions))
    assert result.walking_time_s == pytest.approx(60.0 * len(plan.walks), rel=0.2)
    truth = run.speed_mps[_truth_running(run, plan.walk_ramp_s)].mean()
    assert result.metrics["speed_mps"].value == pytest.approx(truth, rel=0.03)


def test_zero_cadence_while_moving_is_missing_not_walking() -> None:
    cadence = np.full(1200, 170.0)
    cadence[100:400] = 0.0  # the wrist lost the cadence; the runner kept running
    result = process_activity(_activity(cadence_spm=cadence))
    assert result.walking_time_s == 0.0
    assert result.metrics["cadence_spm"].value == pytest.approx(170.0)
    assert result.metrics["cadence_spm"].n == 900
    assert "zero_missing.cadence_spm" in {i.code for i in result.issues}


def test_all_walking_with_the_walk_floor_is_refused_as_a_walk() -> None:
    cadence = np.where(np.arange(1200) < 1195, 112.0, 170.0)
    with pytest.raises(InsufficientDataError, match="this is a walk, not a run"):
        process_activity(_activity(cadence_spm=cadence, speed_mps=np.full(1200, 1.3)))


# Cadence units per stretch (issue #12 item 3): nothing dropped for a unit mix-up.
def test_cadence_units_are_decided_per_stretch() -> None:
    cadence = np.full(1200, 170.0)
    cadence[600:] = 340.0  # the second half stores steps/min (doubled by the reader)
    result = process_activity(_activity(cadence_spm=cadence))
    assert result.metrics["cadence_spm"].value == pytest.approx(170.0)
    assert result.metrics["cadence_spm"].n == 1200  # no record dropped
    message = next(i.message for i in result.issues if i.code == "cadence_already_spm")
    assert "50% of the running records" in message and "halved and kept" in message


def test_step_length_against_speed_catches_units_below_240() -> None:
    # 118 steps/min at 1.6 m/s stored as steps/min: 236 "spm" would mean 0.41 m steps.
    result = process_activity(_activity(cadence_spm=np.full(1200, 236.0),
                                        speed_mps=np.full(1200, 1.6)))
    assert result.metrics["cadence_spm"].value == pytest.approx(118.0)
    assert "the whole run" in next(i.message for i in result.issues
                                   if i.code == "cadence_already_spm")


def test_a_fast_runner_keeps_a_high_cadence() -> None:
    result = process_activity(_activity(cadence_spm=np.full(1200, 200.0),
                                        speed_mps=np.full(1200, 6.0)))
    assert result.metrics["cadence_spm"].value == pytest.approx(200.0)
    assert "cadence_already_spm" not in {i.code for i in result.issues}


def test_jogged_recoveries_between_intervals_are_running() -> None:
    # 3 min at 178 spm / 4.2 m/s, 2 min jogging at 140 spm / 2.3 m/s: no walk at all.
    plan = _run_walk_plan(cadence_spm=178.0, speed_mps=4.2, walk_cadence_spm=140.0,
                          walk_speed_mps=2.3)
    activity, _ = _from_simulation(plan)
    assert process_activity(activity).walking_time_s == 0.0


def test_stryd_air_power_is_a_source_specific_metric() -> None:
    result = process_activity(_activity(air_power_w=np.full(1200, 8.0)))
    assert result.metrics["air_power_w"].value == pytest.approx(8.0)
    assert "air_power_w" not in process_activity(_activity()).metrics

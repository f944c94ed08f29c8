"""Cleaning and gait events on the synthetic runner, whose truth is known exactly."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from backstride.core import gait
from backstride.core.gait import clean_pose, detect_gait_events, repair_swaps
from backstride.core.pose import Joint as J
from backstride.core.simulate_pose import CONTACT_LAG_S, RunnerSpec, simulate_pose, truth_of


def test_contact_lag_is_the_same_convention_in_the_simulator() -> None:
    assert gait.CONTACT_LAG_S == CONTACT_LAG_S


@pytest.mark.parametrize("cadence", [150.0, 165.0, 172.5, 185.0, 200.0])
@pytest.mark.parametrize("fps", [30.0, 60.0, 120.0])
def test_cadence_from_contacts_matches_truth(cadence: float, fps: float) -> None:
    spec = RunnerSpec(cadence_spm=cadence, frame_rate_hz=fps, noise_px=1.0, seed=3)
    events = detect_gait_events(clean_pose(simulate_pose(spec)), "side")
    assert events.cadence.events_spm == pytest.approx(cadence, abs=0.5)
    assert events.cadence.hip_spectrum_spm == pytest.approx(cadence, abs=1.0)
    assert events.cadence.feet_spectrum_spm == pytest.approx(cadence, abs=1.0)
    assert events.alternation_frac > 0.95


def test_contacts_land_within_a_frame_of_the_truth() -> None:
    spec = RunnerSpec(frame_rate_hz=60.0)
    events = detect_gait_events(clean_pose(simulate_pose(spec)), "side")
    truth = truth_of(spec)
    for side in ("left", "right"):
        found, true = events.contacts_s[side], truth.ic_s[side]
        inside = true[(true > 0.3) & (true < spec.duration_s - 0.3)]
        nearest = np.array([np.min(np.abs(found - t)) for t in inside])
        assert np.all(nearest < 1 / spec.frame_rate_hz)


@pytest.mark.parametrize("facing", [1, -1])
def test_facing_and_overground(facing: int) -> None:
    spec = RunnerSpec(facing=facing, overground_speed_frac_leg_per_s=0.3)
    clean = clean_pose(simulate_pose(spec))
    assert gait.facing_sign(clean) == facing
    assert detect_gait_events(clean, "side").cadence.events_spm == pytest.approx(170, abs=0.5)


@pytest.mark.parametrize("seed", range(6))
def test_swaps_are_repaired(seed: int) -> None:
    spec = RunnerSpec(frame_rate_hz=30.0, swap_frac=0.10, noise_px=2.0, seed=seed)
    noisy = simulate_pose(spec)
    exact = simulate_pose(dataclasses.replace(spec, swap_frac=0.0, noise_px=0.0))
    repaired, changed = repair_swaps(noisy.xy_px, noisy.t_s, floor_px=0.1 * spec.leg_px)
    assert changed > 0
    gap = repaired[:, J.LEFT_HEEL, 0] - repaired[:, J.RIGHT_HEEL, 0]
    true_gap = exact.xy_px[:, J.LEFT_HEEL, 0] - exact.xy_px[:, J.RIGHT_HEEL, 0]
    clear = np.abs(true_gap) > 0.15 * spec.leg_px
    wrong = np.sign(gap[clear]) != np.sign(true_gap[clear])
    assert wrong.mean() < 0.01  # was 10 % before the repair


def test_swap_repair_leaves_a_clean_track_alone() -> None:
    poses = simulate_pose(RunnerSpec(noise_px=2.0))
    _, changed = repair_swaps(poses.xy_px, poses.t_s, floor_px=42.0)
    assert changed == 0


def test_short_gaps_are_bridged_and_long_ones_kept() -> None:
    spec = RunnerSpec(frame_rate_hz=60.0)
    poses = simulate_pose(spec)
    xy = poses.xy_px.copy()
    xy[100:106] = np.nan  # 0.1 s: bridged
    xy[300:360] = np.nan  # 1 s: stays missing
    clean = clean_pose(dataclasses.replace(poses, xy_px=xy))
    assert np.isfinite(clean.xy_px[100:106, J.LEFT_HIP]).all()
    assert np.isnan(clean.xy_px[310:350, J.LEFT_HIP]).all()
    events = detect_gait_events(clean, "side")
    assert events.cadence.events_spm == pytest.approx(170, abs=1.0)  # no step across the gap


def test_variable_frame_rate_uses_timestamps() -> None:
    spec = RunnerSpec(frame_rate_hz=30.0, timestamp_jitter_frac=0.3, seed=5)
    events = detect_gait_events(clean_pose(simulate_pose(spec)), "side")
    assert events.cadence.events_spm == pytest.approx(170, abs=1.0)


def test_rear_view_steps_and_sides() -> None:
    spec = RunnerSpec(view="rear", frame_rate_hz=60.0, noise_px=1.0)
    events = detect_gait_events(clean_pose(simulate_pose(spec)), "rear")
    assert events.cadence.events_spm == pytest.approx(170, abs=1.0)
    assert abs(events.contacts_s["left"].size - events.contacts_s["right"].size) <= 1
    assert events.alternation_frac > 0.95


def test_low_frame_rate_skips_the_filter() -> None:
    clean = clean_pose(simulate_pose(RunnerSpec(frame_rate_hz=12.0)))
    assert not clean.filtered

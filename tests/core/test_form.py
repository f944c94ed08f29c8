"""Form metrics and quality gates on the synthetic runner (known truth, no model)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from backstride.core.form import (
    LEG_PER_HEIGHT,
    MAX_CAMERA_MOTION_FRAC_WIDTH,
    _slice,
    analyze_form,
    camera_motion_frac_width,
)
from backstride.core.pose import Joint as J
from backstride.core.pose import PoseSequence
from backstride.core.simulate_pose import RunnerSpec, simulate_pose, truth_of
from backstride.core.types import MetricStatus

SHA = "5" * 64


def _form(spec: RunnerSpec, **kwargs: object):  # type: ignore[no-untyped-def]
    return analyze_form(simulate_pose(spec), sha256=SHA, **kwargs)  # type: ignore[arg-type]


def _value(form, name: str) -> float:  # type: ignore[no-untyped-def]
    metric = form.metrics[name]
    assert metric.status is MetricStatus.OK, (name, metric.reason)
    assert metric.value is not None
    return float(metric.value)


# Angles read at contact are smoothed by the 6 Hz filter: a few degrees on this runner, within
# the 3–8° 2D noise DOMAIN.md §3.7 reports anyway.
@pytest.mark.parametrize("spec", [
    RunnerSpec(),
    RunnerSpec(frame_rate_hz=30.0, noise_px=2.0, swap_frac=0.1, dropout_frac=0.05, seed=1),
    RunnerSpec(facing=-1, cadence_spm=160.0, trunk_lean_deg=12.0,
               overground_speed_frac_leg_per_s=0.3),
    RunnerSpec(cadence_spm=182.0, trunk_lean_deg=3.0, thigh_amp_deg=20.0, leg_px=300.0,
               width_px=1920, height_px=1080, noise_px=1.5, seed=2),
], ids=["clean-60fps", "noisy-30fps", "left-overground", "1080p-fast"])
def test_side_view_recovers_the_truth(spec: RunnerSpec) -> None:
    form = _form(spec)
    truth = truth_of(spec)
    assert form.view == "side" and form.view_detected == "side"
    assert form.near_side == "left"
    assert _value(form, "cadence_spm") == pytest.approx(truth.cadence_spm, abs=1.0)
    assert form.cadence_confidence == "high"
    assert _value(form, "trunk_lean_deg") == pytest.approx(truth.trunk_lean_deg, abs=1.0)
    assert _value(form, "hip_extension_deg") == pytest.approx(truth.hip_extension_deg, abs=2.0)
    assert _value(form, "shank_angle_at_contact_deg") == pytest.approx(
        truth.shank_angle_at_contact_deg, abs=4.0)
    assert _value(form, "knee_flexion_at_contact_deg") == pytest.approx(
        truth.knee_flexion_at_contact_deg, abs=4.0)
    assert _value(form, "knee_flexion_midstance_deg") == pytest.approx(
        truth.knee_flexion_midstance_deg, abs=3.0)
    assert _value(form, "overstride_frac_leg") == pytest.approx(truth.overstride_frac_leg,
                                                                abs=0.03)
    assert _value(form, "vertical_oscillation_frac_leg") == pytest.approx(
        truth.vertical_oscillation_frac_leg, abs=0.01)
    assert form.metrics["cadence_spm"].n >= 20
    assert form.metrics["trunk_lean_deg"].n >= 8


def test_trunk_lean_range_is_the_within_stride_swing() -> None:
    spec = RunnerSpec(trunk_lean_amp_deg=3.0)
    assert _value(_form(spec), "trunk_lean_range_deg") == pytest.approx(6.0, abs=0.6)


def test_ground_contact_time_needs_50_fps() -> None:
    spec = RunnerSpec(frame_rate_hz=60.0)
    assert _value(_form(spec), "ground_contact_time_s") == pytest.approx(
        truth_of(spec).ground_contact_time_s, abs=1 / 60)
    assert any(i.code == "video.gct_kinematic" for i in _form(spec).issues)
    slow = _form(dataclasses.replace(spec, frame_rate_hz=30.0)).metrics["ground_contact_time_s"]
    assert slow.status is MetricStatus.INSUFFICIENT_DATA and "50 fps" in (slow.reason or "")


def test_height_gives_metres() -> None:
    spec = RunnerSpec()
    form = _form(spec, height_m=1.80)
    leg_m = LEG_PER_HEIGHT * 1.80
    assert _value(form, "overstride_m") == pytest.approx(
        _value(form, "overstride_frac_leg") * leg_m, rel=1e-9)
    assert _value(form, "vertical_oscillation_m") == pytest.approx(0.09 * leg_m, abs=0.01)
    assert "overstride_m" not in _form(spec).metrics


def test_rear_view_recovers_drop_width_and_sway() -> None:
    spec = RunnerSpec(view="rear", noise_px=1.0, standing_s=2.0, static_pelvic_offset_deg=2.5,
                      pelvic_drop_deg=7.0, duration_s=14.0)
    form = _form(spec, height_m=1.7)
    assert form.view == "rear" and form.view_detected == "rear"
    assert _value(form, "cadence_spm") == pytest.approx(170.0, abs=1.0)
    assert _value(form, "pelvic_drop_deg") == pytest.approx(7.0, abs=0.5)
    for side in ("left", "right"):  # the static offset is removed from each side
        assert form.per_side["pelvic_drop_deg"][side] == pytest.approx(7.0, abs=0.7)
    assert _value(form, "step_width_frac_leg") == pytest.approx(0.12, abs=0.01)
    assert _value(form, "lateral_sway_frac_leg") == pytest.approx(0.05, abs=0.01)
    assert "step_width_m" in form.metrics
    assert "overstride_frac_leg" not in form.metrics


def test_rear_without_standing_start_says_the_offset_is_unknown() -> None:
    form = _form(RunnerSpec(view="rear", static_pelvic_offset_deg=3.0))
    assert any(i.code == "video.no_static_pelvis" for i in form.issues)
    assert form.per_side["pelvic_drop_deg"]["left"] - form.per_side["pelvic_drop_deg"][
        "right"] == pytest.approx(6.0, abs=1.0)  # the offset shows up as asymmetry


def test_same_input_same_intervals_other_input_other_intervals() -> None:
    poses = simulate_pose(RunnerSpec(noise_px=2.0))
    a = analyze_form(poses, sha256=SHA).metrics["cadence_spm"].ci95
    b = analyze_form(poses, sha256=SHA).metrics["cadence_spm"].ci95
    c = analyze_form(poses, sha256="6" * 64).metrics["cadence_spm"].ci95
    assert a == b and a != c


# ---- gates ----------------------------------------------------------------------------------

def _reason(form, name: str) -> str:  # type: ignore[no-untyped-def]
    metric = form.metrics[name]
    assert metric.status is not MetricStatus.OK and metric.value is None
    return str(metric.reason)


def test_short_clip_is_refused_for_cadence() -> None:
    form = _form(RunnerSpec(duration_s=5.0))  # ~14 contacts, 2.8 a second
    # Issue 13: how many more seconds to film, not a fixed "film 10 s".
    assert "14 of the 20 foot contacts needed were found: film at least 3 s more" in _reason(
        form, "cadence_spm")
    assert "guide filming" in _reason(form, "cadence_spm")


def test_too_few_frames_per_second() -> None:
    form = _form(RunnerSpec(frame_rate_hz=15.0))
    assert "15 fps" in _reason(form, "cadence_spm")
    form = _form(RunnerSpec(frame_rate_hz=20.0))
    assert form.metrics["cadence_spm"].status is MetricStatus.OK
    assert "contact" in _reason(form, "shank_angle_at_contact_deg")
    assert form.metrics["trunk_lean_deg"].status is MetricStatus.OK


def test_low_resolution_and_small_runner() -> None:
    form = _form(RunnerSpec(width_px=600, height_px=338, leg_px=150))
    assert "600 px" in _reason(form, "cadence_spm")
    form = _form(RunnerSpec(width_px=1280, height_px=720, leg_px=80))
    assert "tall" in _reason(form, "cadence_spm")
    warned = _form(RunnerSpec(width_px=1280, height_px=720, leg_px=170))
    assert any(i.code == "video.small_runner" for i in warned.issues)


def test_no_person_at_all() -> None:
    poses = simulate_pose(RunnerSpec(duration_s=3.0))
    empty = dataclasses.replace(poses, xy_px=np.full_like(poses.xy_px, np.nan),
                                visibility=np.zeros_like(poses.visibility))
    form = analyze_form(empty, sha256=SHA)
    assert all(m.status is not MetricStatus.OK for m in form.metrics.values())
    assert "no person" in _reason(form, "cadence_spm")


def test_person_missing_in_many_frames() -> None:
    form = _form(RunnerSpec(dropout_frac=0.3, seed=4))
    assert "tracked in only" in _reason(form, "cadence_spm")


def test_a_second_person_is_not_mixed_in() -> None:
    spec = RunnerSpec(duration_s=16.0)
    poses = simulate_pose(spec)
    xy = poses.xy_px.copy()
    xy[-60:, :, 0] += 500.0  # the model jumps to someone else for the last second
    form = analyze_form(dataclasses.replace(poses, xy_px=xy), sha256=SHA)
    assert any(i.code == "video.several_tracks" for i in form.issues)
    assert form.analysed_span_s[1] < spec.duration_s - 0.9
    assert _value(form, "cadence_spm") == pytest.approx(170, abs=1.0)


def test_wrong_view_makes_view_metrics_not_available() -> None:
    form = _form(RunnerSpec(view="rear"), view="side")
    reason = _reason(form, "trunk_lean_deg")
    assert form.metrics["trunk_lean_deg"].status is MetricStatus.NOT_AVAILABLE
    assert "rear view" in reason


def test_walking_is_refused() -> None:
    spec = RunnerSpec(cadence_spm=112.0, duty_factor=0.62, vertical_oscillation_frac_leg=0.05)
    poses = simulate_pose(spec)
    # Walking: the hips are highest (not lowest) over the stance leg; flip the bounce.
    xy = poses.xy_px.copy()
    hips = (xy[:, J.LEFT_HIP, 1] + xy[:, J.RIGHT_HIP, 1]) / 2
    bounce = hips - np.nanmedian(hips)
    xy[:, :, 1] -= 2 * bounce[:, None]
    form = analyze_form(dataclasses.replace(poses, xy_px=xy), sha256=SHA)
    assert "walking" in _reason(form, "cadence_spm")


def test_slow_motion_is_refused() -> None:
    form = _form(RunnerSpec(cadence_spm=170.0 / 4, duty_factor=0.36, duration_s=40.0))
    reason = _reason(form, "cadence_spm")
    assert "slow motion" in reason or "walking" in reason


def test_low_visibility_refuses_the_metrics_that_need_it() -> None:
    poses = simulate_pose(RunnerSpec())
    vis = poses.visibility.copy()
    vis[:, [J.LEFT_SHOULDER, J.RIGHT_SHOULDER]] = 0.2
    form = analyze_form(dataclasses.replace(poses, visibility=vis), sha256=SHA)
    assert "visible" in _reason(form, "trunk_lean_deg")
    assert form.metrics["cadence_spm"].status is MetricStatus.OK


# --- §3.5 steady camera ----------------------------------------------------------------------

CAMERA_METRICS = ("vertical_oscillation_frac_leg", "overstride_frac_leg", "overstride_m",
                  "vertical_oscillation_m")


def _filmed(spec: RunnerSpec, shift_px: np.ndarray | None) -> PoseSequence:
    poses = simulate_pose(spec)
    if shift_px is None:
        return poses
    return dataclasses.replace(poses, camera_shift_px=np.broadcast_to(
        shift_px, (poses.frame_count, 2)).astype(np.float64))


def test_a_steady_camera_keeps_every_metric_and_says_how_steady() -> None:
    spec = RunnerSpec(noise_px=1.0, seed=4)
    # A tripod shaken by the wind: the picture wobbles ~1 px about where it stood.
    wobble = np.random.default_rng(0).normal(0.0, 1.0, (simulate_pose(spec).frame_count, 2))
    jitter = np.diff(wobble, axis=0, prepend=wobble[:1])
    form = analyze_form(_filmed(spec, jitter), sha256=SHA, height_m=1.8)
    for name in (*CAMERA_METRICS, "trunk_lean_deg"):
        assert form.metrics[name].status is MetricStatus.OK, name
    assert form.camera_motion_frac_width is not None
    assert form.camera_motion_frac_width < MAX_CAMERA_MOTION_FRAC_WIDTH / 2
    assert not [i for i in form.issues if i.code.startswith("video.camera")]


def test_a_panning_camera_refuses_positions_but_keeps_angles_and_cadence() -> None:
    spec = RunnerSpec(noise_px=1.0, seed=4)
    form = analyze_form(_filmed(spec, np.array([-1.5, 0.0])), sha256=SHA, height_m=1.8)
    pan_px = 1.5 * (simulate_pose(spec).frame_count - 1)
    assert form.camera_motion_frac_width == pytest.approx(pan_px / spec.width_px)
    for name in CAMERA_METRICS:
        metric = form.metrics[name]
        assert metric.status is MetricStatus.INSUFFICIENT_DATA and metric.value is None, name
        assert "the camera moved (about" in (metric.reason or "")
        assert "tripod without panning or zoom" in (metric.reason or "")
    for name in ("cadence_spm", "trunk_lean_deg", "shank_angle_at_contact_deg",
                 "knee_flexion_at_contact_deg", "hip_extension_deg"):
        assert form.metrics[name].status is MetricStatus.OK, name
    assert [i.code for i in form.issues if i.code.startswith("video.camera")] == [
        "video.camera_moved"]


def test_a_rear_clip_from_a_moving_camera_refuses_width_and_sway() -> None:
    spec = RunnerSpec(view="rear", standing_s=2.0, seed=5)
    drift = np.array([0.0, 0.4])  # tilting down: the picture drifts, 0.4 px a frame
    form = analyze_form(_filmed(spec, drift), sha256=SHA, height_m=1.8)
    for name in ("step_width_frac_leg", "step_width_m", "lateral_sway_frac_leg",
                 "vertical_oscillation_frac_leg"):
        assert form.metrics[name].status is MetricStatus.INSUFFICIENT_DATA, name
    assert form.metrics["pelvic_drop_deg"].status is MetricStatus.OK


def test_the_excursion_is_the_furthest_point_not_the_end() -> None:
    # Out 30 px and back: the excursion is 30 px although the camera ends where it began.
    poses = simulate_pose(RunnerSpec(duration_s=1.0))
    shift = np.zeros((poses.frame_count, 2))
    shift[1:31, 0], shift[31:, 0] = 1.0, -1.0
    poses = dataclasses.replace(poses, camera_shift_px=shift)
    assert camera_motion_frac_width(poses) == pytest.approx(30 / poses.width_px)
    shift[2:40] = np.nan  # unmeasured in most frames: unknown
    assert camera_motion_frac_width(dataclasses.replace(poses, camera_shift_px=shift)) is None


def test_keypoints_without_camera_shifts_say_the_camera_was_not_checked() -> None:
    form = _form(RunnerSpec())
    assert form.camera_motion_frac_width is None
    assert form.metrics["vertical_oscillation_frac_leg"].status is MetricStatus.OK
    assert "video.camera_not_checked" in [i.code for i in form.issues]


def test_camera_shifts_follow_the_analysed_track() -> None:
    poses = simulate_pose(RunnerSpec(duration_s=1.0))
    shift = np.arange(2 * poses.frame_count, dtype=np.float64).reshape(-1, 2)
    poses = dataclasses.replace(poses, camera_shift_px=shift)
    track = _slice(poses, 5, 20)
    assert track.camera_shift_px is not None
    np.testing.assert_array_equal(track.camera_shift_px, shift[5:20])
    assert _slice(simulate_pose(RunnerSpec(duration_s=1.0)), 5, 20).camera_shift_px is None
    with pytest.raises(ValueError, match="camera_shift_px must be"):
        dataclasses.replace(poses, camera_shift_px=shift[:-1])


def test_runner_cut_off_at_the_bottom_is_refused() -> None:
    spec = RunnerSpec()
    poses = simulate_pose(spec)
    cut = dataclasses.replace(poses, xy_px=poses.xy_px + np.array([0.0, 300.0]))  # feet out
    form = analyze_form(cut, sha256=SHA)
    assert "cut off at the bottom (feet)" in _reason(form, "cadence_spm")
    assert not any(i.code == "video.cut_off" for i in _form(spec).issues)

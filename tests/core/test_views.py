"""Views (issue 13): side, rear and front detected and stated; a front clip is not a rear one;
front view gives the frontal-plane metrics or a clear refusal; treadmill vs overground from
where the runner is against the background. Synthetic runner, known truth, no model."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from backstride.core.form import MAX_SIZE_CHANGE_FRAC, analyze_form
from backstride.core.pose import Joint as J
from backstride.core.pose import PoseSequence
from backstride.core.simulate_pose import RunnerSpec, simulate_pose
from backstride.core.types import MetricStatus

SHA = "9" * 64
FRONTAL = ("pelvic_drop_deg", "step_width_frac_leg", "lateral_sway_frac_leg")


def _value(form, name: str) -> float:  # type: ignore[no-untyped-def]
    metric = form.metrics[name]
    assert metric.status is MetricStatus.OK, (name, metric.reason)
    return float(metric.value)


@pytest.mark.parametrize("view", ["side", "rear", "front"])
def test_each_view_is_detected_and_stated(view: str) -> None:
    form = analyze_form(simulate_pose(RunnerSpec(view=view, noise_px=1.0)),  # type: ignore[arg-type]
                        sha256=SHA)
    assert form.view == view and form.view_detected == view
    assert not [i for i in form.issues if i.code in ("video.view_unclear", "video.view_doubt")]
    assert form.treadmill is True


def test_a_front_clip_gives_the_frontal_plane_metrics() -> None:
    spec = RunnerSpec(view="front", noise_px=1.0, standing_s=2.0, static_pelvic_offset_deg=2.5,
                      pelvic_drop_deg=7.0, duration_s=14.0)
    form = analyze_form(simulate_pose(spec), sha256=SHA, height_m=1.7)
    assert form.view == "front"
    assert _value(form, "cadence_spm") == pytest.approx(170.0, abs=1.0)
    assert _value(form, "pelvic_drop_deg") == pytest.approx(7.0, abs=0.5)
    for side in ("left", "right"):
        assert form.per_side["pelvic_drop_deg"][side] == pytest.approx(7.0, abs=0.7)
    assert _value(form, "step_width_frac_leg") == pytest.approx(0.12, abs=0.01)
    assert _value(form, "lateral_sway_frac_leg") == pytest.approx(0.05, abs=0.01)
    assert "overstride_frac_leg" not in form.metrics  # side-view metrics are not offered


def test_the_face_decides_when_the_left_right_labels_disagree() -> None:
    poses = simulate_pose(RunnerSpec(view="front"))
    xy = poses.xy_px.copy()  # the model labelled the sides as if seen from behind
    for a, b in ((J.LEFT_SHOULDER, J.RIGHT_SHOULDER), (J.LEFT_HIP, J.RIGHT_HIP)):
        xy[:, [a, b]] = xy[:, [b, a]]
    form = analyze_form(dataclasses.replace(poses, xy_px=xy), sha256=SHA)
    assert form.view == "front"
    doubt = [i.message for i in form.issues if i.code == "video.view_unclear"]
    assert doubt and "the face is visible" in doubt[0] and "--view" in doubt[0]


def test_a_front_clip_called_rear_keeps_its_metrics_and_says_so() -> None:
    form = analyze_form(simulate_pose(RunnerSpec(view="front")), sha256=SHA, view="rear")
    assert form.view == "rear" and form.view_detected == "front"
    assert [i for i in form.issues if i.code == "video.view_doubt"]
    assert form.metrics["step_width_frac_leg"].status is MetricStatus.OK


def _approaching(poses: PoseSequence, growth: float) -> PoseSequence:
    """The runner grows from 1 to ``growth`` times their size about the picture's centre
    (bottom-anchored feet would do the same): running toward the camera."""
    scale = np.linspace(1.0, growth, poses.frame_count)[:, None, None]
    centre = np.array([poses.width_px / 2, poses.height_px * 0.4])
    return dataclasses.replace(poses, xy_px=centre + (poses.xy_px - centre) * scale)


@pytest.mark.parametrize("view", ["front", "rear"])
def test_a_runner_coming_closer_is_refused_for_widths_with_a_reason(view: str) -> None:
    poses = _approaching(simulate_pose(RunnerSpec(view=view, leg_px=300.0)), 1.5)  # type: ignore[arg-type]
    form = analyze_form(poses, sha256=SHA)
    for name in ("step_width_frac_leg", "lateral_sway_frac_leg"):
        metric = form.metrics[name]
        assert metric.status is MetricStatus.INSUFFICIENT_DATA
        assert "size in the picture changed" in (metric.reason or "")
        assert "Film on a treadmill" in (metric.reason or "")
    assert form.metrics["pelvic_drop_deg"].status is MetricStatus.OK  # an angle: kept
    assert form.treadmill is False


def test_a_small_change_of_size_is_tolerated() -> None:
    growth = 1.0 + MAX_SIZE_CHANGE_FRAC / 3
    form = analyze_form(_approaching(simulate_pose(RunnerSpec(view="front")), growth),
                        sha256=SHA)
    assert form.metrics["step_width_frac_leg"].status is MetricStatus.OK
    assert form.treadmill is True


def test_overground_is_told_from_the_background_not_the_frame() -> None:
    # Treadmill, tripod: the runner stays in one spot of the scene.
    still = simulate_pose(RunnerSpec(noise_px=1.0))
    fixed = dataclasses.replace(still, camera_shift_px=np.zeros((still.frame_count, 2)))
    assert analyze_form(fixed, sha256=SHA).treadmill is True
    # The same picture, but the background slid 4 px a frame: a camera panning to follow an
    # overground runner, who stays mid-picture (the old rule said "treadmill").
    shift = np.tile([-4.0, 0.0], (still.frame_count, 1))
    panned = dataclasses.replace(still, camera_shift_px=shift)
    assert analyze_form(panned, sha256=SHA).treadmill is False
    # Overground across a fixed camera's picture.
    crossing = simulate_pose(RunnerSpec(overground_speed_frac_leg_per_s=0.3, leg_px=250.0))
    assert analyze_form(crossing, sha256=SHA).treadmill is False

"""What the annotated video and the key frames draw (issue 13): only metrics that passed their
gates, and each contact's ring on the stance foot, on the synthetic runner (no model)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from backstride.core.pose import Joint
from backstride.core.report import build_video_report
from backstride.core.simulate_pose import RunnerSpec, simulate_pose
from backstride.core.types import MetricStatus
from backstride.workflows.video import overlay_of

SHA = "7a" * 32


def test_a_steady_clip_shows_its_values_at_the_near_legs_contacts() -> None:
    report = build_video_report(simulate_pose(RunnerSpec()), source_name="a.mp4", sha256=SHA)
    overlay = overlay_of(report)
    assert any(line.startswith("cadence ") for line in overlay.header)
    with_text = [mark for mark in overlay.contacts if mark.text]
    assert with_text and all("knee" in m.text and "shin" in m.text for m in with_text)
    assert {m.side for m in with_text} == {report.form.near_side}
    assert overlay.labels  # trunk lean passed
    assert len(overlay.contacts) == report.form.events.contact_count  # type: ignore[union-attr]


def test_refused_metrics_are_never_drawn() -> None:
    # 22 fps: cadence and trunk lean pass, values at contact are refused (§3.5).
    report = build_video_report(simulate_pose(RunnerSpec(frame_rate_hz=22.0)),
                                source_name="b.mp4", sha256=SHA)
    metrics = report.form.metrics
    assert metrics["knee_flexion_at_contact_deg"].status is not MetricStatus.OK
    assert metrics["cadence_spm"].status is MetricStatus.OK
    overlay = overlay_of(report)
    assert overlay.contacts and not any(mark.text for mark in overlay.contacts)
    assert any(line.startswith("cadence ") for line in overlay.header)


def test_nothing_measured_draws_no_value() -> None:
    # 10 fps: every metric is refused; the header names the view only.
    report = build_video_report(simulate_pose(RunnerSpec(frame_rate_hz=10.0)),
                                source_name="c.mp4", sha256=SHA)
    assert all(m.status is not MetricStatus.OK for m in report.form.metrics.values())
    overlay = overlay_of(report)
    assert overlay.header == (f"backstride - {report.form.view} view",)
    assert not overlay.labels and not any(mark.text for mark in overlay.contacts)


def test_rings_sit_on_the_stance_foot_when_the_model_swaps_the_feet() -> None:
    """The model labels the far foot as the near one in some frames; the ring follows the
    analysis's repaired heel track, which is the true foot of that side at its contact."""
    spec = RunnerSpec(swap_frac=0.15, noise_px=1.0)
    truth = simulate_pose(dataclasses.replace(spec, swap_frac=0.0, noise_px=0.0))
    report = build_video_report(simulate_pose(spec), source_name="d.mp4", sha256=SHA)
    overlay = overlay_of(report)
    raw = report.poses
    leg = report.form.leg_px
    wrong_raw = 0
    for mark in overlay.contacts:
        heel = Joint.LEFT_HEEL if mark.side == "left" else Joint.RIGHT_HEEL
        other = Joint.RIGHT_HEEL if mark.side == "left" else Joint.LEFT_HEEL
        times, xy = overlay.heels_px[mark.side]
        at = xy[int(np.argmin(np.abs(times - mark.t_s)))]
        frame = int(np.argmin(np.abs(truth.t_s - mark.t_s)))
        true_heel, true_other = truth.xy_px[frame, heel], truth.xy_px[frame, other]
        assert np.hypot(*(at - true_heel)) < np.hypot(*(at - true_other))
        assert np.hypot(*(at - true_heel)) < 0.1 * leg
        raw_heel = raw.xy_px[frame, heel]
        wrong_raw += bool(np.hypot(*(raw_heel - true_other)) < np.hypot(*(raw_heel - true_heel)))
    assert wrong_raw > 0  # the model's own labels would have put some rings on the other foot


def test_slow_motion_overlays_are_drawn_at_the_clips_own_times() -> None:
    """Events are found on the real time scale; the overlay is drawn on the clip as it plays
    (8× slower for 240 fps shown at 30)."""
    real = simulate_pose(RunnerSpec(frame_rate_hz=240.0, duration_s=6.0))
    slowed = dataclasses.replace(real, t_s=real.t_s * 8.0, frame_rate_hz=30.0,
                                 capture_rate_hz=240.0)
    fast = overlay_of(build_video_report(real, source_name="r.mp4", sha256=SHA))
    slow = overlay_of(build_video_report(slowed, source_name="s.mp4", sha256=SHA))
    assert len(slow.contacts) == len(fast.contacts) > 0
    np.testing.assert_allclose([m.t_s for m in slow.contacts],
                               [8.0 * m.t_s for m in fast.contacts], atol=1e-6)
    times, _ = slow.heels_px["left"]
    assert times[-1] == pytest.approx(slowed.t_s[-1])

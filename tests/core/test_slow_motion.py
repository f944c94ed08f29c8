"""Slow motion (issue 13): a clip recorded at N fps and played slower is analysed on the real
time scale when its capture rate is known; the slow-motion gate is only for clips whose time
scale is unknown. Synthetic runner, known truth, no model."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from backstride.adapters.pose.recorded import poses_from_bytes, poses_to_bytes
from backstride.core.form import analyze_form
from backstride.core.pose import PoseSequence
from backstride.core.simulate_pose import RunnerSpec, simulate_pose
from backstride.core.types import MetricStatus

SHA = "4" * 64


def _slowed(capture_hz: float, playback_hz: float) -> PoseSequence:
    """Recorded at ``capture_hz``, written to play at ``playback_hz``: every timestamp is
    stretched by capture / playback, as a phone's slow-motion clip does."""
    real = simulate_pose(RunnerSpec(frame_rate_hz=capture_hz, duration_s=12.0, noise_px=1.0))
    return dataclasses.replace(real, t_s=real.t_s * capture_hz / playback_hz,
                               frame_rate_hz=playback_hz)


def test_unknown_time_scale_is_refused_as_slow_motion_with_the_fix() -> None:
    form = analyze_form(_slowed(240.0, 30.0), sha256=SHA)
    cadence = form.metrics["cadence_spm"]
    assert cadence.status is MetricStatus.INSUFFICIENT_DATA
    assert "slow motion" in (cadence.reason or "") and "--capture-fps" in (cadence.reason or "")


@pytest.mark.parametrize(("capture_hz", "playback_hz"), [(240.0, 30.0), (120.0, 30.0),
                                                         (60.0, 60.0)])
def test_a_known_capture_rate_gives_the_real_time_scale(capture_hz: float,
                                                        playback_hz: float) -> None:
    poses = dataclasses.replace(_slowed(capture_hz, playback_hz), capture_rate_hz=capture_hz)
    assert poses.time_scale == pytest.approx(playback_hz / capture_hz)
    form = analyze_form(poses, sha256=SHA)
    assert form.metrics["cadence_spm"].value == pytest.approx(170.0, abs=1.0)
    assert form.time_scale == pytest.approx(playback_hz / capture_hz)
    assert form.duration_s == pytest.approx(12.0, abs=0.1)
    # Recorded at >= 50 fps: ground contact time is measured, on the real scale.
    gct = form.metrics["ground_contact_time_s"]
    assert gct.status is MetricStatus.OK and gct.value is not None and 0.1 < gct.value < 0.6
    assert not [i for i in form.issues if "slow motion" in i.message]


def test_the_capture_rate_survives_the_keypoints_file() -> None:
    poses = dataclasses.replace(_slowed(240.0, 30.0), capture_rate_hz=240.0)
    again = poses_from_bytes(poses_to_bytes(poses))
    assert again.capture_rate_hz == 240.0
    np.testing.assert_array_equal(again.t_s, poses.t_s)  # playback times are what is stored
    assert poses_from_bytes(poses_to_bytes(simulate_pose(RunnerSpec()))).capture_rate_hz is None


def test_a_bad_capture_rate_is_refused() -> None:
    with pytest.raises(ValueError, match="capture_rate_hz must be positive"):
        dataclasses.replace(simulate_pose(RunnerSpec(duration_s=1.0)), capture_rate_hz=0.0)

"""Scene cuts (issue 13): a clip is split at its cuts and no metric spans one. Synthetic
runner, no model."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from backstride.adapters.pose.recorded import poses_from_bytes, poses_to_bytes
from backstride.core.form import analyze_form, runner_tracks
from backstride.core.pose import PoseSequence
from backstride.core.simulate_pose import RunnerSpec, simulate_pose

SHA = "2" * 64


def _joined() -> PoseSequence:
    """12 s at 170 spm, then a cut to 5 s of the same runner at 150 spm (another pace)."""
    first = simulate_pose(RunnerSpec(duration_s=12.0, cadence_spm=170.0))
    second = simulate_pose(RunnerSpec(duration_s=5.0, cadence_spm=150.0, seed=3))
    t = np.concatenate([first.t_s, second.t_s + first.t_s[-1] + 1 / 60])
    return dataclasses.replace(
        first, t_s=t, xy_px=np.concatenate([first.xy_px, second.xy_px]),
        visibility=np.concatenate([first.visibility, second.visibility]),
        scene_cuts=(first.frame_count,))


def test_tracks_end_at_a_cut() -> None:
    poses = _joined()
    cut = poses.scene_cuts[0]
    assert runner_tracks(poses) == [(0, cut), (cut, poses.frame_count)]


def test_metrics_never_span_a_cut() -> None:
    poses = _joined()
    form = analyze_form(poses, sha256=SHA)
    assert form.analysed_span_s[1] < poses.t_s[poses.scene_cuts[0]]
    assert form.metrics["cadence_spm"].value == pytest.approx(170.0, abs=1.0)
    warning = [i.message for i in form.issues if i.code == "video.scene_cuts"]
    assert warning and "1 scene cut(s) (at 12.0 s)" in warning[0]
    assert "only the longest shot (12.0 s) was analysed" in warning[0]


def test_cuts_are_checked_and_kept_with_the_keypoints() -> None:
    poses = _joined()
    assert poses_from_bytes(poses_to_bytes(poses)).scene_cuts == poses.scene_cuts
    for bad in ((0,), (poses.frame_count,), (500, 400)):
        with pytest.raises(ValueError, match="scene_cuts must increase"):
            dataclasses.replace(poses, scene_cuts=bad)

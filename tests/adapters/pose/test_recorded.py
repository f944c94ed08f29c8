"""Recorded keypoints (.npz): a round trip keeps everything; a wrong file fails clearly."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest

from backstride.adapters.pose.recorded import (
    FORMAT,
    VERSION,
    KeypointsFileError,
    RecordedEstimator,
    load_poses,
    poses_from_bytes,
    poses_to_bytes,
    save_poses,
)
from backstride.core.pose import LANDMARK_COUNT, PoseSequence
from backstride.core.types import Issue
from backstride.errors import InputError


def make_poses(frames: int = 12, *, seed: int = 3) -> PoseSequence:
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 700, (frames, LANDMARK_COUNT, 2))
    xy[4] = np.nan  # a frame without a person
    visibility = rng.uniform(0, 1, (frames, LANDMARK_COUNT))
    visibility[4] = 0.0
    return PoseSequence(t_s=np.arange(frames) / 30.0, xy_px=xy, visibility=visibility,
                        width_px=720, height_px=1280, frame_rate_hz=30.0, rotation_deg=90,
                        issues=(Issue(code="video_damaged", message="1 damaged part"),),
                        camera_shift_px=rng.normal(0, 1, (frames, 2)))


def assert_same(a: PoseSequence, b: PoseSequence) -> None:
    np.testing.assert_array_equal(a.t_s, b.t_s)
    np.testing.assert_array_equal(a.xy_px, b.xy_px)
    np.testing.assert_array_equal(a.visibility, b.visibility)
    if a.camera_shift_px is None or b.camera_shift_px is None:
        assert a.camera_shift_px is None and b.camera_shift_px is None
    else:
        np.testing.assert_array_equal(a.camera_shift_px, b.camera_shift_px)
    assert (a.width_px, a.height_px, a.frame_rate_hz, a.rotation_deg, a.model, a.issues) == (
        b.width_px, b.height_px, b.frame_rate_hz, b.rotation_deg, b.model, b.issues)


def test_round_trip_keeps_every_field(tmp_path: Path) -> None:
    poses = make_poses()
    path = tmp_path / "run.npz"
    save_poses(poses, path)
    assert_same(load_poses(path), poses)
    assert [p.name for p in tmp_path.iterdir()] == ["run.npz"]  # no temporary file left


def test_round_trip_without_issues() -> None:
    poses = make_poses()
    bare = PoseSequence(t_s=poses.t_s, xy_px=poses.xy_px, visibility=poses.visibility,
                        width_px=10, height_px=20, frame_rate_hz=59.94)
    assert_same(poses_from_bytes(poses_to_bytes(bare)), bare)


def test_version_1_files_load_without_camera_shifts() -> None:
    arrays = recorded_arrays()
    del arrays["camera_shift_px"]
    arrays["version"] = np.array(1)
    old = poses_from_bytes(npz_bytes(**arrays))
    assert old.camera_shift_px is None
    np.testing.assert_array_equal(old.xy_px, make_poses().xy_px)
    assert VERSION == 2


def npz_bytes(**arrays: object) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)  # type: ignore[arg-type]
    return buffer.getvalue()


def recorded_arrays() -> dict[str, np.ndarray]:
    with np.load(io.BytesIO(poses_to_bytes(make_poses()))) as npz:
        return {key: npz[key] for key in npz.files}


def test_random_bytes_are_not_a_keypoints_file(tmp_path: Path) -> None:
    path = tmp_path / "noise.npz"
    path.write_bytes(np.random.default_rng(0).bytes(3000))
    with pytest.raises(KeypointsFileError, match=r"noise\.npz is not a backstride keypoints "
                       r"file \(\.npz\) or is damaged\. Analyse the video again"):
        load_poses(path)


def test_other_npz_is_refused() -> None:
    with pytest.raises(KeypointsFileError, match=f"is not a {FORMAT} file"):
        poses_from_bytes(npz_bytes(weights=np.zeros(3)), name="model.npz")


def test_newer_version_says_upgrade() -> None:
    arrays = recorded_arrays()
    arrays["version"] = np.array(VERSION + 1)
    with pytest.raises(KeypointsFileError, match=r"newer backstride.*Upgrade backstride"):
        poses_from_bytes(npz_bytes(**arrays))


@pytest.mark.parametrize(("key", "value"), [
    ("xy_px", np.zeros((12, 17, 2))),
    ("visibility", np.zeros((11, LANDMARK_COUNT))),
    ("t_s", np.zeros(12)),                       # not increasing
    ("xy_px", np.zeros((12, LANDMARK_COUNT, 2), dtype=object)),
    ("size_px", np.array([0, 5])),
    ("camera_shift_px", np.zeros((11, 2))),
    ("camera_shift_px", np.zeros((12, 2), dtype=np.int64)),
])
def test_wrong_shapes_or_values_are_damage(key: str, value: np.ndarray) -> None:
    arrays = recorded_arrays()
    arrays[key] = value
    with pytest.raises(KeypointsFileError, match=r"run\.npz is (damaged|not a backstride)"):
        poses_from_bytes(npz_bytes(**arrays), name="run.npz")


def test_missing_array_is_damage() -> None:
    arrays = recorded_arrays()
    del arrays["visibility"]
    with pytest.raises(KeypointsFileError, match="is damaged"):
        poses_from_bytes(npz_bytes(**arrays))


def test_truncated_file(tmp_path: Path) -> None:
    data = poses_to_bytes(make_poses())
    with pytest.raises(InputError, match="is not a backstride keypoints file"):
        poses_from_bytes(data[: len(data) // 2])


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(KeypointsFileError, match=r"gone\.npz cannot be read"):
        load_poses(tmp_path / "gone.npz")


def test_recorded_estimator_plays_the_recording_back() -> None:
    poses = make_poses(frames=5)
    estimator = RecordedEstimator(poses)
    frame = np.zeros((4, 4, 3), dtype=np.uint8)
    results = [estimator.estimate(frame) for _ in range(6)]
    np.testing.assert_array_equal(results[0][0], poses.xy_px[0])  # type: ignore[arg-type]
    np.testing.assert_array_equal(results[3][1], poses.visibility[3])
    assert results[4][0] is None and not results[4][1].any()  # the frame without a person
    assert results[5][0] is None  # past the end

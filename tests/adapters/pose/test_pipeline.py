"""estimate_poses(): decoding in a thread beside the model, on generated clips with stand-in
estimators (no model); errors on either side end the thread and reach the caller."""

from __future__ import annotations

import threading
from collections.abc import Generator
from pathlib import Path

import numpy as np
import pytest

from backstride.core.pose import LANDMARK_COUNT, Joint
from backstride.core.types import FloatArray
from tests.adapters import clips

pytest.importorskip("av", reason="needs the video extra")
pytestmark = pytest.mark.video

from backstride.adapters import video as video_module  # noqa: E402
from backstride.adapters.pose.pipeline import (  # noqa: E402
    QUEUE_FRAMES,
    estimate_poses,
    estimate_poses_bare,
)
from backstride.adapters.video import DamagedVideoError, RgbFrame  # noqa: E402


class SquareFinder:
    """Puts every keypoint on the centre of the clip's white square; no person when absent."""

    def __init__(self) -> None:
        self.closed = False
        self.calls = 0

    def estimate(self, frame_rgb: RgbFrame) -> tuple[FloatArray | None, FloatArray]:
        self.calls += 1
        ys, xs = np.nonzero(frame_rgb.min(axis=2) > 200)
        if xs.size == 0:
            return None, np.zeros(LANDMARK_COUNT)
        xy = np.tile([xs.mean(), ys.mean()], (LANDMARK_COUNT, 1))
        return xy, np.full(LANDMARK_COUNT, 0.9)

    def close(self) -> None:
        self.closed = True


def no_decode_thread_left() -> bool:
    return not any(t.name == "backstride-decode" for t in threading.enumerate())


@pytest.fixture
def clip(tmp_path: Path) -> Path:
    return clips.make_clip(tmp_path / "clip.mp4", width=96, height=64, frames=40, rate=30)


def test_keypoints_follow_the_frames_in_order(clip: Path) -> None:
    finder = SquareFinder()
    poses = estimate_poses(clip, estimator_factory=lambda: finder)
    assert poses.frame_count == 40
    assert poses.t_s == pytest.approx(np.arange(40) / 30, abs=1e-6)
    assert (poses.width_px, poses.height_px, poses.frame_rate_hz) == (96, 64, 30.0)
    side = 64 // 6
    expected_x = [(i * 3) % (96 - side) + (side - 1) / 2 for i in range(40)]
    assert poses.joint(Joint.LEFT_HIP)[:, 0] == pytest.approx(expected_x, abs=1.0)
    assert finder.closed
    assert no_decode_thread_left()


def test_threaded_and_bare_loops_agree(clip: Path) -> None:
    threaded = estimate_poses(clip, estimator_factory=SquareFinder)
    bare = estimate_poses_bare(clip, estimator_factory=SquareFinder)
    np.testing.assert_array_equal(threaded.t_s, bare.t_s)
    np.testing.assert_array_equal(threaded.xy_px, bare.xy_px)


def test_max_frames_and_progress(clip: Path) -> None:
    seen: list[tuple[int, int | None]] = []
    poses = estimate_poses(clip, estimator_factory=SquareFinder, max_frames=12,
                           progress=lambda done, total: seen.append((done, total)))
    assert poses.frame_count == 12
    assert seen == [(i, 12) for i in range(1, 13)]
    assert no_decode_thread_left()


def test_frames_without_a_person_are_nan(tmp_path: Path) -> None:
    clip = clips.make_clip(tmp_path / "clip.mp4", frames=10)

    class Sometimes(SquareFinder):
        def estimate(self, frame_rgb: RgbFrame) -> tuple[FloatArray | None, FloatArray]:
            result = super().estimate(frame_rgb)
            return (None, np.zeros(LANDMARK_COUNT)) if self.calls % 2 else result

    poses = estimate_poses(clip, estimator_factory=Sometimes)
    assert poses.detected.tolist() == [False, True] * 5
    assert np.all(poses.visibility[~poses.detected] == 0)


def test_model_error_reaches_the_caller_and_the_thread_ends(clip: Path) -> None:
    class Failing(SquareFinder):
        def estimate(self, frame_rgb: RgbFrame) -> tuple[FloatArray | None, FloatArray]:
            if self.calls == 3:
                raise RuntimeError("graph failed")
            return super().estimate(frame_rgb)

    failing = Failing()
    with pytest.raises(RuntimeError, match="graph failed"):
        estimate_poses(clip, estimator_factory=lambda: failing)
    assert failing.closed
    assert no_decode_thread_left()


def test_keyboard_interrupt_stops_the_thread(clip: Path) -> None:
    class Interrupted(SquareFinder):
        def estimate(self, frame_rgb: RgbFrame) -> tuple[FloatArray | None, FloatArray]:
            if self.calls == 2:
                raise KeyboardInterrupt
            return super().estimate(frame_rgb)

    with pytest.raises(KeyboardInterrupt):
        estimate_poses(clip, estimator_factory=Interrupted)
    assert no_decode_thread_left()


def test_decode_error_in_the_thread_reaches_the_caller(
        clip: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    original = video_module.Video.frames

    def breaking(self: video_module.Video, *, max_frames: int | None = None,
                 ) -> Generator[tuple[float, RgbFrame], None, None]:
        for index, item in enumerate(original(self, max_frames=max_frames)):
            if index == 5:
                raise DamagedVideoError(self.info.path, "test damage")
            yield item

    monkeypatch.setattr(video_module.Video, "frames", breaking)
    finder = SquareFinder()
    with pytest.raises(DamagedVideoError, match=r"clip\.mp4 is damaged: test damage"):
        estimate_poses(clip, estimator_factory=lambda: finder)
    assert finder.calls == 5
    assert finder.closed
    assert no_decode_thread_left()


def test_decoding_runs_at_most_a_queue_ahead(
        clip: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Memory stays bounded: the decoder never gets far ahead of a slow model."""
    decoded = 0
    original = video_module.Video.frames

    def counting(self: video_module.Video, *, max_frames: int | None = None,
                 ) -> Generator[tuple[float, RgbFrame], None, None]:
        nonlocal decoded
        for item in original(self, max_frames=max_frames):
            decoded += 1
            yield item

    lead: list[int] = []

    class Slow(SquareFinder):
        def estimate(self, frame_rgb: RgbFrame) -> tuple[FloatArray | None, FloatArray]:
            threading.Event().wait(0.01)
            lead.append(decoded - self.calls)
            return super().estimate(frame_rgb)

    monkeypatch.setattr(video_module.Video, "frames", counting)
    estimate_poses(clip, estimator_factory=Slow)
    # The queue, plus the frame the consumer holds and the one the producer waits to put.
    assert max(lead) <= QUEUE_FRAMES + 2
    assert max(lead) >= 2  # and decoding did run ahead, in parallel


def test_decode_issues_reach_the_pose_sequence(tmp_path: Path) -> None:
    whole = clips.make_clip(tmp_path / "whole.mp4", frames=60, noise=True)
    damaged = clips.damage_middle(whole, tmp_path / "damaged.mp4")
    poses = estimate_poses(damaged, estimator_factory=SquareFinder)
    assert "video_damaged" in {issue.code for issue in poses.issues}



# --- camera motion (DOMAIN.md §3.5 "steady camera") ------------------------------------------

class BoxFinder(SquareFinder):
    """Spreads the keypoints over the white square, as a pose spreads over a body."""

    def estimate(self, frame_rgb: RgbFrame) -> tuple[FloatArray | None, FloatArray]:
        self.calls += 1
        ys, xs = np.nonzero(frame_rgb.min(axis=2) > 250)
        if xs.size == 0:
            return None, np.zeros(LANDMARK_COUNT)
        x0, x1, y0, y1 = xs.min(), xs.max(), ys.min(), ys.max()
        corners = np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], dtype=np.float64)
        return corners[np.arange(LANDMARK_COUNT) % 4], np.full(LANDMARK_COUNT, 0.9)


@pytest.mark.parametrize("step", [(3, 0), (-2, 1), (0, -2)])
def test_a_panning_camera_is_measured_frame_by_frame(tmp_path: Path,
                                                     step: tuple[int, int]) -> None:
    clip = clips.make_pan_clip(tmp_path / "pan.mp4", step_px=step, frames=30)
    poses = estimate_poses(clip, estimator_factory=BoxFinder)
    shift = poses.camera_shift_px
    assert shift is not None and shift.shape == (30, 2)
    np.testing.assert_array_equal(shift[0], [0.0, 0.0])
    assert np.all(np.isfinite(shift))
    assert np.max(np.abs(shift[1:] - step)) < 1.0  # within 1 px of the truth in every frame
    np.testing.assert_allclose(shift[1:].sum(axis=0), np.multiply(step, 29), rtol=0.05, atol=1.0)


def test_a_still_background_measures_no_motion(tmp_path: Path) -> None:
    # The runner crosses the frame; the camera does not move.
    clip = clips.make_pan_clip(tmp_path / "still.mp4", step_px=(0, 0), frames=40,
                               moving_square=True)
    poses = estimate_poses(clip, estimator_factory=BoxFinder)
    shift = poses.camera_shift_px
    assert shift is not None
    assert np.max(np.abs(shift)) < 0.5
    assert np.max(np.abs(np.cumsum(shift, axis=0))) < 1.0


def test_the_bare_loop_measures_the_camera_too(tmp_path: Path) -> None:
    clip = clips.make_pan_clip(tmp_path / "pan.mp4", step_px=(2, 0), frames=12)
    threaded = estimate_poses(clip, estimator_factory=BoxFinder)
    bare = estimate_poses_bare(clip, estimator_factory=BoxFinder)
    assert threaded.camera_shift_px is not None and bare.camera_shift_px is not None
    np.testing.assert_array_equal(threaded.camera_shift_px, bare.camera_shift_px)


def test_a_featureless_picture_cannot_be_measured() -> None:
    from backstride.adapters.pose.camera import CameraMotion

    camera = CameraMotion(640, 360)
    grey = np.full((360, 640, 3), 90, dtype=np.uint8)
    assert camera.shift(grey, None) == (0.0, 0.0)  # the first frame
    assert np.isnan(camera.shift(grey, None)).all()


class KnownBoxes:
    """Spreads the keypoints over the runner's known box in each frame of a generated clip."""

    def __init__(self, boxes: list[tuple[int, int, int, int]]) -> None:
        self._boxes = iter(boxes)

    def estimate(self, frame_rgb: RgbFrame) -> tuple[FloatArray | None, FloatArray]:
        x0, y0, x1, y1 = next(self._boxes)
        corners = np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], dtype=np.float64)
        return corners[np.arange(LANDMARK_COUNT) % 4], np.full(LANDMARK_COUNT, 0.9)

    def close(self) -> None:
        pass


def _excursion_frac(shift: FloatArray, width: int) -> float:
    path = np.cumsum(np.nan_to_num(shift), axis=0)
    return float(np.max(np.hypot(path[:, 0], path[:, 1]))) / width


@pytest.mark.parametrize("cover", [(0.5, 0.9), (0.75, 0.95)])
def test_a_runner_filling_the_frame_does_not_move_a_fixed_camera(
        tmp_path: Path, cover: tuple[float, float]) -> None:
    # Issue 13: with a runner over most of a portrait frame the old phase correlation re-keyed
    # every few frames and drifted to 6.5 % of the width on a tripod clip.
    clip, boxes = clips.make_big_runner_clip(tmp_path / "big.mp4", step_px=(0, 0), cover=cover,
                                           frames=60)
    poses = estimate_poses(clip, estimator_factory=lambda: KnownBoxes(boxes))
    shift = poses.camera_shift_px
    assert shift is not None and np.all(np.isfinite(shift))
    assert _excursion_frac(shift, poses.width_px) < 0.005


@pytest.mark.parametrize("step", [(2, 0), (-1, 1)])
def test_a_pan_behind_a_big_runner_is_measured_within_ten_percent(
        tmp_path: Path, step: tuple[int, int]) -> None:
    clip, boxes = clips.make_big_runner_clip(tmp_path / "pan.mp4", step_px=step,
                                           cover=(0.5, 0.9), frames=40)
    poses = estimate_poses(clip, estimator_factory=lambda: KnownBoxes(boxes))
    shift = poses.camera_shift_px
    assert shift is not None and np.all(np.isfinite(shift))
    np.testing.assert_allclose(shift[1:].sum(axis=0), np.multiply(step, 39), rtol=0.1,
                               atol=0.5)


def test_the_camera_is_measured_on_the_background_not_the_runner() -> None:
    from backstride.adapters.pose.camera import CameraMotion

    # A background textured only on the left; the runner's moving texture on the right would
    # be followed if it were not masked out.
    rng = np.random.default_rng(3)
    background = rng.integers(0, 256, (160, 256), dtype=np.uint8)
    background[:, 128:] = 100
    corners = np.array([[128, 0], [255, 0], [255, 159], [128, 159]], dtype=np.float64)
    xy = corners[np.arange(LANDMARK_COUNT) % 4]
    runner = rng.integers(0, 256, (160, 100), dtype=np.uint8)
    camera = CameraMotion(256, 160)
    for index in range(20):
        frame = background.copy()
        frame[:, 140:240] = np.roll(runner, 3 * index, axis=0)  # the runner's legs move
        dx, dy = camera.shift(np.repeat(frame[:, :, None], 3, axis=2), xy)
        assert abs(dx) < 0.2 and abs(dy) < 0.2, (index, dx, dy)


# --- scene cuts (issue 13) ----------------------------------------------------------------------

def _texture(seed: int, shape: tuple[int, int] = (160, 256)) -> np.ndarray:
    import cv2

    rng = np.random.default_rng(seed)
    return cv2.GaussianBlur(rng.integers(0, 256, shape, dtype=np.uint8), (0, 0), 1.5)


def _rgb(gray: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(np.repeat(gray[:, :, None], 3, axis=2))


def _noisy(gray: np.ndarray, rng: np.random.Generator, sd: float = 3.0) -> np.ndarray:
    return np.clip(gray + rng.normal(0, sd, gray.shape), 0, 255).astype(np.uint8)


def test_a_cut_to_another_shot_is_found() -> None:
    from backstride.adapters.pose.camera import CameraMotion

    rng = np.random.default_rng(0)
    a, b = _texture(1), _texture(2)
    camera = CameraMotion(256, 160)
    for index in range(40):
        camera.shift(_rgb(_noisy(a if index < 25 else b, rng)), None)
    assert camera.cuts == [25]


def test_a_change_of_exposure_is_not_a_cut() -> None:
    from backstride.adapters.pose.camera import CameraMotion

    rng = np.random.default_rng(0)
    a = _texture(1).astype(np.float64)
    camera = CameraMotion(256, 160)
    for index in range(40):  # the sun comes and goes: ±30 % brightness every 5 frames
        gain = 1.3 if (index // 5) % 2 else 0.7
        camera.shift(_rgb(_noisy(np.clip(a * gain, 0, 255), rng)), None)
    assert camera.cuts == []


def _runner_scene(x_of: list[float],
                  rng: np.random.Generator) -> list[tuple[np.ndarray, FloatArray]]:
    """A textured background with a textured "runner" box at ``x_of[i]`` in frame i, and its
    keypoints on the box's corners."""
    background, body = _texture(1), _texture(5, (120, 70))
    out = []
    for x in x_of:
        frame = background.copy()
        left = round(x)
        frame[20:140, left:left + 70] = body
        corners = np.array([[left, 20], [left + 70, 20], [left + 70, 140], [left, 140]], float)
        out.append((_rgb(_noisy(frame, rng, 1.0)), corners[np.arange(LANDMARK_COUNT) % 4]))
    return out


def test_a_jump_cut_within_one_scene_needs_the_runner_to_jump_too() -> None:
    from backstride.adapters.pose.camera import CameraMotion

    rng = np.random.default_rng(0)
    # The runner moves 2 px a frame, then the clip jumps back to its start (a clip joined to
    # itself): the picture spikes for one frame and the joints jump 60 px.
    path = [10.0 + 2 * i for i in range(30)] + [10.0 + 2 * i for i in range(20)]
    camera = CameraMotion(256, 160)
    for frame, xy in _runner_scene(path, rng):
        camera.shift(frame, xy)
    assert camera.cuts == [30]
    # The same picture without keypoints (no runner found): no jump cut is claimed.
    camera = CameraMotion(256, 160)
    for frame, _ in _runner_scene(path, rng):
        camera.shift(frame, None)
    assert camera.cuts == []


def test_scene_cuts_reach_the_pose_sequence(tmp_path: Path) -> None:
    import av

    rng = np.random.default_rng(0)
    clip = tmp_path / "cut.mp4"
    with av.open(str(clip), "w") as container:
        stream = container.add_stream("libx264", rate=30, options={"crf": "16"})
        stream.width, stream.height, stream.pix_fmt = 256, 160, "yuv420p"
        for index in range(30):
            picture = _rgb(_noisy(_texture(1 if index < 12 else 2), rng))
            container.mux(stream.encode(av.VideoFrame.from_ndarray(picture, format="rgb24")))
        container.mux(stream.encode(None))
    poses = estimate_poses(clip, estimator_factory=SquareFinder)
    assert poses.scene_cuts == (12,)

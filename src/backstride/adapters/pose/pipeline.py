"""Video file → :class:`~backstride.core.pose.PoseSequence`.

:func:`estimate_poses` decodes in a background thread that feeds a small bounded queue while
the calling thread runs the model, so decoding (PyAV, which releases the GIL) overlaps with
inference on a second core (DOMAIN.md §3.2: +20–40 %). The queue holds at most
:data:`QUEUE_FRAMES` frames, so memory stays bounded whatever the clip's length. An error in
the decode thread is raised in the caller; the thread always ends, also when the model fails or
the user interrupts. Beside the model, :class:`~backstride.adapters.pose.camera.CameraMotion`
measures how far the camera moved between frames on the background (``camera_shift_px``).

:func:`estimate_poses_bare` does the same work in one thread; only the benchmark uses it, as the
baseline the threaded path is measured against.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Final, cast

import numpy as np

from backstride.adapters.pose import PoseEstimator, get_estimator
from backstride.adapters.pose.camera import CameraMotion
from backstride.adapters.video import RgbFrame, Video, open_video
from backstride.core.pose import LANDMARK_COUNT, PoseSequence
from backstride.core.types import FloatArray, Progress
from backstride.errors import InsufficientDataError

logger = logging.getLogger(__name__)

QUEUE_FRAMES: Final = 4
"""Decoded frames waiting for the model: enough to absorb jitter, ~25 MB at 1080p."""
_POLL_S: Final = 0.1

EstimatorFactory = Callable[[], PoseEstimator]
Frame = tuple[float, RgbFrame]


def estimate_poses(path: Path, *, estimator_factory: EstimatorFactory = get_estimator,
                   progress: Progress | None = None,
                   max_frames: int | None = None) -> PoseSequence:
    """Keypoints of every frame of a clip (at most ``max_frames``), decoding in parallel."""
    video = open_video(path)
    estimator = estimator_factory()
    try:
        with _DecodeThread(video, max_frames) as frames:
            return _collect(video, frames, estimator, progress, max_frames)
    finally:
        estimator.close()


def estimate_poses_bare(path: Path, *, estimator_factory: EstimatorFactory = get_estimator,
                        max_frames: int | None = None) -> PoseSequence:
    """:func:`estimate_poses` in one thread: decode a frame, run the model, repeat."""
    video = open_video(path)
    estimator = estimator_factory()
    try:
        return _collect(video, video.frames(max_frames=max_frames), estimator, None, max_frames)
    finally:
        estimator.close()


def _collect(video: Video, frames: Iterable[Frame], estimator: PoseEstimator,
             progress: Progress | None, max_frames: int | None) -> PoseSequence:
    info = video.info
    total = info.frame_count if max_frames is None else min(info.frame_count, max_frames)
    times: list[float] = []
    xys: list[FloatArray] = []
    visibilities: list[FloatArray] = []
    shifts: list[tuple[float, float]] = []
    camera = CameraMotion(info.width_px, info.height_px)
    missing = np.full((LANDMARK_COUNT, 2), np.nan)
    for t_s, frame in frames:
        xy_px, visibility = estimator.estimate(frame)
        shifts.append(camera.shift(frame, xy_px))
        times.append(t_s)
        xys.append(missing if xy_px is None else xy_px)
        visibilities.append(visibility)
        if progress is not None:
            progress(len(times), total)
    if not times:
        raise InsufficientDataError(
            f"{info.path.name}: no frame could be decoded. Film the clip again.")
    poses = PoseSequence(
        t_s=np.asarray(times, dtype=np.float64),
        xy_px=np.stack(xys).astype(np.float64),
        visibility=np.stack(visibilities).astype(np.float64),
        width_px=info.width_px, height_px=info.height_px, frame_rate_hz=info.frame_rate_hz,
        rotation_deg=info.rotation_deg, issues=tuple(video.issues),
        camera_shift_px=np.asarray(shifts, dtype=np.float64).reshape(-1, 2),
        capture_rate_hz=info.capture_rate_hz, scene_cuts=tuple(camera.cuts))
    logger.info("%s: pose found in %d of %d frames", info.path.name,
                int(np.count_nonzero(poses.detected)), poses.frame_count)
    return poses


class _DecodeThread:
    """Runs ``video.frames()`` in a daemon thread; iterate it in the consumer, inside ``with``.

    The producer puts frames, then one end marker (or the exception it met) on a bounded queue.
    Leaving the ``with`` block for any reason sets a stop flag the producer checks between
    frames and while waiting for room, then joins the thread, which closes the decoder.
    """

    _END: Final = object()

    def __init__(self, video: Video, max_frames: int | None) -> None:
        self._video = video
        self._max_frames = max_frames
        self._queue: queue.Queue[object] = queue.Queue(maxsize=QUEUE_FRAMES)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="backstride-decode", daemon=True)

    def __enter__(self) -> Iterator[Frame]:
        self._thread.start()
        return self._consume()

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        while self._thread.is_alive():
            self._drain()  # a producer blocked on a full queue sees the flag within _POLL_S
            self._thread.join(timeout=_POLL_S)

    def _drain(self) -> None:
        try:
            while True:
                self._queue.get_nowait()
        except queue.Empty:
            return

    def _consume(self) -> Iterator[Frame]:
        while True:
            item = self._queue.get()
            if item is self._END:
                return
            if isinstance(item, BaseException):
                raise item
            yield cast(Frame, item)  # the producer puts only frames besides the above

    def _run(self) -> None:
        frames = self._video.frames(max_frames=self._max_frames)
        try:
            for frame in frames:
                if not self._put(frame):
                    return
            self._put(self._END)
        except BaseException as exc:  # handed to the consumer, which raises it
            self._put(exc)
        finally:
            frames.close()

    def _put(self, item: object) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=_POLL_S)
                return True
            except queue.Full:
                continue
        return False

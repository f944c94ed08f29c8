"""Pose estimation: one runner's 33 BlazePose keypoints per frame.

:class:`PoseEstimator` is the one Protocol in backstride (DESIGN.md §2). Its implementations are
the model itself (:mod:`.blazepose`, MediaPipe, the ``video`` extra, imported only when used)
and keypoints recorded from it (:mod:`.recorded`), which re-analysis and tests use.
"""

from __future__ import annotations

from typing import Protocol

from backstride.adapters.video import RgbFrame
from backstride.core.types import FloatArray


class PoseEstimator(Protocol):
    """Keypoints of the most prominent person in each frame of one clip, in order.

    ``estimate`` returns ``(xy_px, visibility)``: ``xy_px`` is ``(33, 2)`` in pixels of the
    frame it was given (x right, y down), or None when no person was found; ``visibility`` is
    ``(33,)`` in 0–1 (zeros when none was found). An estimator may track the person from frame
    to frame, so one instance serves one clip; ``close`` frees the model.
    """

    def estimate(self, frame_rgb: RgbFrame) -> tuple[FloatArray | None, FloatArray]: ...

    def close(self) -> None: ...


def get_estimator() -> PoseEstimator:
    """The pose model backstride uses (BlazePose full, offline, tracking mode).

    Raises :class:`~backstride.errors.MissingDependencyError` without the ``video`` extra.
    """
    from backstride.adapters.pose.blazepose import BlazePoseEstimator

    return BlazePoseEstimator()


__all__ = ["PoseEstimator", "get_estimator"]

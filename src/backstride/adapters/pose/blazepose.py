"""MediaPipe BlazePose, offline: the "full" landmark model shipped inside the
``mediapipe==0.10.21`` wheel (DOMAIN.md §3.2).

Only ``model_complexity=1`` runs offline: the wheel holds ``pose_detection.tflite`` and
``pose_landmark_full.tflite``; complexity 0 and 2 would download their models and fail without
a network. Tracking mode (``static_image_mode=False``) reuses the last frame's person, which is
faster and keeps to one runner; smoothing stays off because backstride cleans the keypoints
itself (DOMAIN.md §3.3), after repairing left/right swaps.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import tempfile
from collections.abc import Iterator
from typing import Any, Final

import numpy as np

from backstride.adapters.video import RgbFrame
from backstride.core.pose import LANDMARK_COUNT
from backstride.core.types import FloatArray
from backstride.errors import MissingDependencyError

logger = logging.getLogger(__name__)

MODEL_COMPLEXITY: Final = 1
"""The only complexity whose model is in the wheel; never 0 or 2 (they download)."""
MODEL_FILES: Final = (
    "mediapipe/modules/pose_detection/pose_detection.tflite",
    "mediapipe/modules/pose_landmark/pose_landmark_full.tflite",
)
"""The model files complexity 1 reads, relative to site-packages."""


class BlazePoseEstimator:
    """:class:`~backstride.adapters.pose.PoseEstimator` on MediaPipe's ``solutions.pose``."""

    def __init__(self, *, min_detection_confidence: float = 0.5,
                 min_tracking_confidence: float = 0.5) -> None:
        try:
            from mediapipe.python.solutions import pose as mp_pose
        except ImportError as exc:
            raise MissingDependencyError("Video analysis", "video") from exc
        with _native_stderr_to_log():
            self._pose: Any = mp_pose.Pose(
                static_image_mode=False,
                model_complexity=MODEL_COMPLEXITY,
                smooth_landmarks=False,
                enable_segmentation=False,
                min_detection_confidence=min_detection_confidence,
                min_tracking_confidence=min_tracking_confidence,
            )
            # The graph opens its calculators in worker threads; an empty frame waits for that.
            self._pose.process(np.zeros((64, 64, 3), dtype=np.uint8))
        self._seen_person = False
        logger.debug("BlazePose full ready (tracking mode)")

    def estimate(self, frame_rgb: RgbFrame) -> tuple[FloatArray | None, FloatArray]:
        height, width = frame_rgb.shape[:2]
        if self._seen_person:
            result = self._pose.process(frame_rgb)
        else:  # the landmark stage logs once, on the first frame with a person
            with _native_stderr_to_log():
                result = self._pose.process(frame_rgb)
        if result.pose_landmarks is None:
            return None, np.zeros(LANDMARK_COUNT)
        self._seen_person = True
        raw = np.array([(lm.x, lm.y, lm.visibility)
                        for lm in result.pose_landmarks.landmark], dtype=np.float64)
        xy_px = raw[:, :2] * np.array([width, height], dtype=np.float64)
        return xy_px, np.clip(raw[:, 2], 0.0, 1.0)

    def close(self) -> None:
        self._pose.close()


@contextlib.contextmanager
def _native_stderr_to_log() -> Iterator[None]:
    """Send what native code writes to file descriptor 2 meanwhile to the log (debug).

    MediaPipe's C++ side prints TFLite and absl notices ("Created TensorFlow Lite XNNPACK
    delegate", "Feedback manager requires...") straight to fd 2 when the graph starts; they
    are not errors, and the CLI keeps stderr for its own messages. Used only around graph
    start-up and until the first person is found (a few frames at most, usually).
    """
    fd = 2
    sys.stderr.flush()
    saved = os.dup(fd)
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), fd)
        try:
            yield
        finally:
            os.dup2(saved, fd)
            os.close(saved)
            sink.seek(0)
            said = sink.read().decode(errors="replace").strip()
            if said:
                logger.debug("MediaPipe start-up notices: %s", said)

"""MediaPipe BlazePose, offline: the "full" landmark model shipped inside the
``mediapipe==0.10.21`` wheel (DOMAIN.md §3.2).

Only ``model_complexity=1`` runs offline: the wheel holds ``pose_detection.tflite`` and
``pose_landmark_full.tflite``; complexity 0 and 2 would download their models and fail without
a network. Tracking mode (``static_image_mode=False``) reuses the last frame's person, which is
faster and keeps to one runner; smoothing stays off because backstride cleans the keypoints
itself (DOMAIN.md §3.3), after repairing left/right swaps.
"""

from __future__ import annotations

import logging
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
        self._pose: Any = mp_pose.Pose(
            static_image_mode=False,
            model_complexity=MODEL_COMPLEXITY,
            smooth_landmarks=False,
            enable_segmentation=False,
            min_detection_confidence=min_detection_confidence,
            min_tracking_confidence=min_tracking_confidence,
        )
        logger.debug("BlazePose full ready (tracking mode)")

    def estimate(self, frame_rgb: RgbFrame) -> tuple[FloatArray | None, FloatArray]:
        height, width = frame_rgb.shape[:2]
        result = self._pose.process(frame_rgb)
        if result.pose_landmarks is None:
            return None, np.zeros(LANDMARK_COUNT)
        raw = np.array([(lm.x, lm.y, lm.visibility)
                        for lm in result.pose_landmarks.landmark], dtype=np.float64)
        xy_px = raw[:, :2] * np.array([width, height], dtype=np.float64)
        return xy_px, np.clip(raw[:, 2], 0.0, 1.0)

    def close(self) -> None:
        self._pose.close()

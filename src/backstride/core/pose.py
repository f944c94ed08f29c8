"""Keypoints over time: what the pose model saw in a video, in image pixels.

The layout is BlazePose's 33 landmarks (DOMAIN.md §3.2); only the joints named in
:class:`Joint` are used. Image coordinates: x to the right, y **down**, in pixels of the
upright frame (after the video's rotation metadata is applied). A frame where the model found
no person holds NaN coordinates and zero visibility.
"""

from __future__ import annotations

import dataclasses
import itertools
from dataclasses import dataclass
from enum import IntEnum
from typing import Final

import numpy as np

from backstride.core.types import BoolArray, FloatArray, Issue

LANDMARK_COUNT: Final = 33
POSE_MODEL: Final = "mediapipe-0.10.21/blazepose-full"
"""The one model whose keypoints a history holds (DOMAIN.md §3.2: don't mix models)."""


class Joint(IntEnum):
    """BlazePose landmark indices backstride uses."""

    NOSE = 0
    LEFT_SHOULDER = 11
    RIGHT_SHOULDER = 12
    LEFT_HIP = 23
    RIGHT_HIP = 24
    LEFT_KNEE = 25
    RIGHT_KNEE = 26
    LEFT_ANKLE = 27
    RIGHT_ANKLE = 28
    LEFT_HEEL = 29
    RIGHT_HEEL = 30
    LEFT_TOE = 31  # BlazePose "foot index"
    RIGHT_TOE = 32


LEFT_RIGHT_PAIRS: Final = (
    (Joint.LEFT_SHOULDER, Joint.RIGHT_SHOULDER),
    (Joint.LEFT_HIP, Joint.RIGHT_HIP),
    (Joint.LEFT_KNEE, Joint.RIGHT_KNEE),
    (Joint.LEFT_ANKLE, Joint.RIGHT_ANKLE),
    (Joint.LEFT_HEEL, Joint.RIGHT_HEEL),
    (Joint.LEFT_TOE, Joint.RIGHT_TOE),
)
LEG_JOINTS: Final = {
    "left": (Joint.LEFT_HIP, Joint.LEFT_KNEE, Joint.LEFT_ANKLE, Joint.LEFT_HEEL, Joint.LEFT_TOE),
    "right": (Joint.RIGHT_HIP, Joint.RIGHT_KNEE, Joint.RIGHT_ANKLE, Joint.RIGHT_HEEL,
              Joint.RIGHT_TOE),
}


@dataclass(frozen=True, slots=True, kw_only=True)
class PoseSequence:
    """Per-frame keypoints of one runner.

    ``t_s`` are presentation timestamps from the container (never frame index × nominal rate,
    DOMAIN.md §3.3), starting at 0. ``xy_px`` is ``(frames, 33, 2)``; ``visibility`` is
    ``(frames, 33)`` in 0–1. ``frame_rate_hz`` is the stream's average rate, used for gates
    only; ``rotation_deg`` is the rotation that was applied to make the frames upright.
    """

    t_s: FloatArray
    xy_px: FloatArray
    visibility: FloatArray
    width_px: int
    height_px: int
    frame_rate_hz: float
    rotation_deg: int = 0
    model: str = POSE_MODEL
    issues: tuple[Issue, ...] = ()
    """Decoding problems that did not stop the analysis (a damaged or cut-short clip)."""
    camera_shift_px: FloatArray | None = None
    """``(frames, 2)``: how far the picture's background moved since the previous frame, in
    pixels (x right, y down; the first frame 0, 0; NaN where it could not be measured). None for
    keypoints recorded before backstride measured it (DOMAIN.md §3.5 "steady camera")."""
    capture_rate_hz: float | None = None
    """The rate the clip was *recorded* at, when known (a slow-motion clip's metadata, or the
    user's ``--capture-fps``): ``t_s`` are then playback times, and real time is
    ``t_s × frame_rate_hz / capture_rate_hz``. None: the time scale is not known (a clip is
    assumed to play in real time, and the slow-motion gate watches for one that does not)."""
    scene_cuts: tuple[int, ...] = ()
    """Frames that begin a new shot (a cut in an edited clip), increasing, each in
    ``1..frames-1``. Metrics never span a cut."""

    def __post_init__(self) -> None:
        n = self.t_s.shape[0]
        if self.t_s.ndim != 1:
            raise ValueError("t_s must be one-dimensional")
        if self.xy_px.shape != (n, LANDMARK_COUNT, 2):
            raise ValueError(f"xy_px must be ({n}, {LANDMARK_COUNT}, 2), not {self.xy_px.shape}")
        if self.visibility.shape != (n, LANDMARK_COUNT):
            raise ValueError(f"visibility must be ({n}, {LANDMARK_COUNT}), "
                             f"not {self.visibility.shape}")
        if n > 1 and not bool(np.all(np.diff(self.t_s) > 0)):
            raise ValueError("t_s must increase strictly")
        if self.camera_shift_px is not None and self.camera_shift_px.shape != (n, 2):
            raise ValueError(f"camera_shift_px must be ({n}, 2), "
                             f"not {self.camera_shift_px.shape}")
        if self.width_px <= 0 or self.height_px <= 0:
            raise ValueError("frame size must be positive")
        if self.capture_rate_hz is not None and not self.capture_rate_hz > 0:
            raise ValueError("capture_rate_hz must be positive")
        cuts = self.scene_cuts
        if any(not 0 < c < n for c in cuts) or any(b <= a for a, b in itertools.pairwise(cuts)):
            raise ValueError(f"scene_cuts must increase within 1..{n - 1}")

    @property
    def time_scale(self) -> float:
        """Real seconds per playback second: 1 unless a capture rate says otherwise (a clip
        recorded at 240 fps and played at 30 gives 0.125)."""
        if self.capture_rate_hz is None or self.frame_rate_hz <= 0:
            return 1.0
        return self.frame_rate_hz / self.capture_rate_hz

    def on_real_time(self) -> PoseSequence:
        """The same keypoints with ``t_s`` and ``frame_rate_hz`` on the real time scale."""
        scale = self.time_scale
        if scale == 1.0:
            return self
        return dataclasses.replace(self, t_s=self.t_s * scale,
                                   frame_rate_hz=self.frame_rate_hz / scale)

    @property
    def frame_count(self) -> int:
        return int(self.t_s.shape[0])

    @property
    def duration_s(self) -> float:
        if self.frame_count < 2:
            return 0.0
        # One frame's duration past the last timestamp: the clip's shown length.
        return float(self.t_s[-1] - self.t_s[0]) + 1.0 / max(self.frame_rate_hz, 1e-9)

    @property
    def detected(self) -> BoolArray:
        """Frames where the model found a person (bool per frame)."""
        return np.asarray(np.isfinite(self.xy_px[:, Joint.LEFT_HIP, 0]), dtype=np.bool_)

    def joint(self, joint: Joint) -> FloatArray:
        """``(frames, 2)`` pixel track of one joint."""
        return self.xy_px[:, int(joint), :]

    @property
    def long_side_px(self) -> int:
        return max(self.width_px, self.height_px)

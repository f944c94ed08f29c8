"""How far the camera moved between frames, measured on the background (DOMAIN.md §3.5).

Each frame is shrunk to :data:`SMALL_LONG_SIDE_PX` on its long side (grey, ``INTER_AREA``, after
sampling a large frame down to 4× that size with ``INTER_NEAREST``, which halves the cost), the
runner is blanked (the bounding box of the keypoints, padded by :data:`PERSON_PAD_FRAC`, filled
with the picture's mean), and ``cv2.phaseCorrelate`` with a Hann window finds the shift against
a reference small frame (the previous one, or an earlier one while the camera stands still: see
:class:`CameraMotion`). The same box (the union of both frames' boxes) is blanked in both
pictures, so the blank's edges stand still and cannot pull the estimate along with the runner.
Only one small frame is held. About 0.5 ms a 1080p frame (docs/video-io.md).

The result is the background's apparent shift in full-frame pixels (x right, y down): a camera
panning right makes it negative in x. NaN where it cannot be measured (a featureless picture, or
a weak correlation peak).
"""

from __future__ import annotations

from typing import Final

import numpy as np

from backstride.adapters.video import RgbFrame, import_cv2
from backstride.core.types import FloatArray

SMALL_LONG_SIDE_PX: Final = 192
PERSON_PAD_FRAC: Final = 0.15
MIN_RESPONSE: Final = 0.02
"""Phase-correlation peaks weaker than this are noise: the shift is not measurable [D]."""
MIN_SMALL_SIDE_PX: Final = 16
REKEY_SMALL_PX: Final = 4.0
"""A frame this far (small-frame px) from the reference becomes the new reference."""
REKEY_RESPONSE: Final = 0.3
MAX_BLANK_FRAC: Final = 0.5
"""Blanking both frames' boxes may hide at most this much of the picture; past it, re-key."""
COARSE_FACTOR: Final = 4
"""A large frame is first sampled (nearest) to this many times the small size, then averaged."""

Box = tuple[int, int, int, int]  # x0, y0, x1, y1 in small-frame pixels, exclusive ends


class CameraMotion:
    """Feed every frame in order with :meth:`shift`; it returns that frame's camera shift.

    Each frame is compared with a *reference* small frame, not simply the previous one: while
    the camera stands still the reference stays the first frame, so the sub-pixel errors of
    frame-to-frame estimates (~0.2 px a frame, slightly biased by the moving runner) do not add
    up over a long clip. The current frame becomes the reference once it has moved
    :data:`REKEY_SMALL_PX` from it, the correlation weakens, or the runner's box has moved so far
    that blanking both boxes would hide much of the background.
    """

    def __init__(self, width_px: int, height_px: int) -> None:
        self._cv2 = import_cv2()
        scale = min(1.0, SMALL_LONG_SIDE_PX / max(width_px, height_px))
        self._size = (max(MIN_SMALL_SIDE_PX, round(width_px * scale)),
                      max(MIN_SMALL_SIDE_PX, round(height_px * scale)))
        coarse = (COARSE_FACTOR * self._size[0], COARSE_FACTOR * self._size[1])
        self._coarse = coarse if coarse[0] < width_px and coarse[1] < height_px else None
        self._scale_x = width_px / self._size[0]
        self._scale_y = height_px / self._size[1]
        self._window = self._cv2.createHanningWindow(self._size, self._cv2.CV_32F)
        self._reference: tuple[FloatArray, Box | None] | None = None
        self._reference_at = (0.0, 0.0)  # the camera path at the reference frame, small px
        self._path = (0.0, 0.0)  # the camera path at the previous frame, small px

    def shift(self, frame_rgb: RgbFrame, xy_px: FloatArray | None) -> tuple[float, float]:
        """The background's shift from the previous frame to this one, full-frame px;
        (0, 0) for the first frame. ``xy_px``: this frame's keypoints, or None (no person)."""
        cv2 = self._cv2
        if self._coarse is not None:  # every ~2nd-3rd pixel first: 0.6 instead of 1.3 ms
            frame_rgb = cv2.resize(frame_rgb, self._coarse, interpolation=cv2.INTER_NEAREST)
        small_rgb = cv2.resize(frame_rgb, self._size, interpolation=cv2.INTER_AREA)
        gray = cv2.cvtColor(small_rgb, cv2.COLOR_RGB2GRAY).astype(np.float32)
        box = self._box(xy_px)
        reference, self._reference = self._reference, (gray, box)  # re-keyed unless kept below
        if reference is None:
            return 0.0, 0.0
        before, before_box = reference
        blank = _union(box, before_box)
        if blank is not None and _area(blank) > MAX_BLANK_FRAC * self._size[0] * self._size[1]:
            blank = box  # the runner moved far: compare with this frame's box only
            before = _blanked(before, before_box)
        a, b = _blanked(before, blank), _blanked(gray, blank)
        if float(a.std()) < 1.0 or float(b.std()) < 1.0:  # nothing to lock onto
            self._reference_at = self._path
            return float("nan"), float("nan")
        (dx, dy), response = cv2.phaseCorrelate(a, b, self._window)
        if not response >= MIN_RESPONSE:
            self._reference_at = self._path
            return float("nan"), float("nan")
        path = (self._reference_at[0] + dx, self._reference_at[1] + dy)
        step = (path[0] - self._path[0], path[1] - self._path[1])
        self._path = path
        if np.hypot(dx, dy) < REKEY_SMALL_PX and response >= REKEY_RESPONSE \
                and (box is None or before_box is None or _union(box, before_box) == blank):
            self._reference = reference  # still close to the reference: keep it
        else:
            self._reference_at = path
        return step[0] * self._scale_x, step[1] * self._scale_y

    def _box(self, xy_px: FloatArray | None) -> Box | None:
        if xy_px is None:
            return None
        points = xy_px[np.all(np.isfinite(xy_px), axis=1)]
        if points.shape[0] == 0:
            return None
        x0, y0 = points.min(axis=0) / (self._scale_x, self._scale_y)
        x1, y1 = points.max(axis=0) / (self._scale_x, self._scale_y)
        pad_x, pad_y = PERSON_PAD_FRAC * (x1 - x0), PERSON_PAD_FRAC * (y1 - y0)
        width, height = self._size
        return (int(np.clip(np.floor(x0 - pad_x), 0, width)),
                int(np.clip(np.floor(y0 - pad_y), 0, height)),
                int(np.clip(np.ceil(x1 + pad_x) + 1, 0, width)),
                int(np.clip(np.ceil(y1 + pad_y) + 1, 0, height)))


def _area(box: Box) -> int:
    return max(0, box[2] - box[0]) * max(0, box[3] - box[1])


def _union(a: Box | None, b: Box | None) -> Box | None:
    if a is None or b is None:
        return a or b
    return min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3])


def _blanked(gray: FloatArray, box: Box | None) -> FloatArray:
    if box is None:
        return gray
    out = gray.copy()
    x0, y0, x1, y1 = box
    out[y0:y1, x0:x1] = float(gray.mean())
    return out

"""How far the camera moved between frames, measured on the background only (DOMAIN.md §3.5).

Each frame is shrunk to :data:`SMALL_LONG_SIDE_PX` on its long side (grey, ``INTER_AREA``, after
sampling a large frame down to :data:`COARSE_FACTOR` × that size with ``INTER_NEAREST``, which
halves the cost). The runner is masked out by its pose: the convex hull of each body part's
keypoints (head, torso, each arm, each leg), widened by :data:`MASK_MARGIN_FRAC` of the
runner's height, so clothes, hair and shoes fall inside while the background between the legs
and around the arms stays usable. Corners (``goodFeaturesToTrack``) are picked on the
background of a *reference* frame and followed into each new frame with pyramidal
Lucas-Kanade optical flow; points that the runner now covers are dropped, and the camera's
displacement from the reference is the mean of the points that agree with their median within
:data:`INLIER_SMALL_PX` (a moving shadow or a treadmill belt cannot pull it along while most of
the background stands still).

Every frame is compared with the reference, never chained frame to frame, so on a fixed camera
nothing adds up: the reference changes only when fewer than :data:`REKEY_FRAC` of its points
can still be followed (a pan carried them out of the picture, or the runner now covers them),
and the new reference starts from the camera position just measured. Only the reference's
small frame and its points are held (and the previous small frame, for scene cuts).

Beside the shift, :attr:`CameraMotion.cuts` lists the frames where a new shot begins: the
whole small frame's difference from the previous one (exposure taken out) jumps well above its
recent median (:data:`CUT_RATIO`), or, with the runner's joints jumping too, spikes for one
frame only (a jump cut within one scene, :data:`JUMP_RATIO`).

The result is the background's apparent shift in full-frame pixels (x right, y down): a camera
panning right makes it negative in x. NaN where it cannot be measured (a featureless
background, or fewer than :data:`MIN_POINTS` points agree).
"""

from __future__ import annotations

from typing import Any, Final

import numpy as np
import numpy.typing as npt

from backstride.adapters.video import RgbFrame, import_cv2
from backstride.core.types import FloatArray

SMALL_LONG_SIDE_PX: Final = 320
COARSE_FACTOR: Final = 2
"""A large frame is first sampled (nearest) to this many times the small size, then averaged."""
MIN_SMALL_SIDE_PX: Final = 16
MASK_MARGIN_FRAC: Final = 0.08
"""The body parts' hulls are widened by this fraction of the runner's height (clothes, hair,
shoes, and keypoints a few pixels off) [D]."""
MIN_MARGIN_SMALL_PX: Final = 2
MAX_POINTS: Final = 100
MIN_POINTS: Final = 8
"""Fewer background points agreeing than this: the shift is not measurable [D]."""
INLIER_SMALL_PX: Final = 1.0
"""A point is background if its displacement is within this of the median's (small px)."""
REKEY_FRAC: Final = 0.5
"""When fewer of the reference's points than this fraction still agree, re-key."""
CUT_WINDOW: Final = 15
"""Scene cuts: a frame's difference from the previous one is compared with the median of the
last this many differences. The difference is the mean absolute difference of the two small
grey frames, each scaled to zero mean and unit spread first, so a change of exposure (the sun
coming out, a flare) is not a cut."""
CUT_ABS: Final = 0.5
CUT_RATIO: Final = 3.0
"""A new shot: the difference is at least this large and this many times the recent median (on
the treadmill fixture consecutive frames differ by 0.066, at most 0.091; a cut to a mirrored
copy of it by 1.12; the outdoor fixture's flickering sun flare reaches 0.24) [D]."""
REPEAT_FRAC: Final = 0.2
"""A frame differing from the previous by less than this fraction of the recent median is a
repeat (a clip slowed by copying frames) and is left out of the medians."""
JUMP_RATIO: Final = 2.0
POSE_JUMP_RATIO: Final = 2.5
JUMP_SETTLE_FRAC: Final = 0.75
"""A jump cut within one scene (the same clip joined to itself): the picture's difference
spikes to twice the recent median, the runner's joints jump 2.5 times their recent median
movement, and the next frame's difference falls back below 0.75 of the spike (the fixture
joined to itself: 0.146 against 0.06, the joints 60 px against 20) [D]."""

_PARTS: Final = (
    tuple(range(0, 11)),  # head: nose, eyes, ears, mouth
    (11, 12, 24, 23),  # torso
    (11, 13, 15, 17, 19, 21),  # left arm and hand
    (12, 14, 16, 18, 20, 22),  # right arm and hand
    (23, 25, 27, 29, 31),  # left leg and foot
    (24, 26, 28, 30, 32),  # right leg and foot
)
_LK_WINDOW: Final = (11, 11)
_LK_LEVELS: Final = 2

Points = npt.NDArray[np.float32]  # (n, 1, 2), as OpenCV's optical flow wants them
Gray = npt.NDArray[np.uint8]
Mask = npt.NDArray[np.uint8]


class CameraMotion:
    """Feed every frame in order with :meth:`shift`; it returns that frame's camera shift."""

    def __init__(self, width_px: int, height_px: int) -> None:
        self._cv2 = import_cv2()
        scale = min(1.0, SMALL_LONG_SIDE_PX / max(width_px, height_px))
        self._size = (max(MIN_SMALL_SIDE_PX, round(width_px * scale)),
                      max(MIN_SMALL_SIDE_PX, round(height_px * scale)))
        coarse = (COARSE_FACTOR * self._size[0], COARSE_FACTOR * self._size[1])
        self._coarse = coarse if coarse[0] < width_px and coarse[1] < height_px else None
        self._scale_x = width_px / self._size[0]
        self._scale_y = height_px / self._size[1]
        self._min_distance = max(2.0, max(self._size) / 40)
        self._reference: tuple[Gray, Points] | None = None
        self._reference_at = np.zeros(2)  # the camera path at the reference frame, small px
        self._guess = np.zeros(2)  # the last displacement from the reference, small px
        self._path = np.zeros(2)  # the camera path at the previous frame, small px
        self._first = True
        self._previous: tuple[npt.NDArray[np.float32], FloatArray | None] | None = None
        self._differences: list[float] = []
        self._moves: list[float] = []
        self._pending_jump: tuple[int, float] | None = None
        self._frame = -1
        self.cuts: list[int] = []
        """Indices of the frames that begin a new shot (scene cuts), in order."""

    def shift(self, frame_rgb: RgbFrame, xy_px: FloatArray | None) -> tuple[float, float]:
        """The background's shift from the previous frame to this one, full-frame px;
        (0, 0) for the first frame. ``xy_px``: this frame's keypoints, or None (no person)."""
        gray = self._small_gray(frame_rgb)
        self._find_cut(gray, xy_px)
        background = self._background(xy_px)
        if self._first:
            self._first = False
            self._rekey(gray, background, self._path)
            return 0.0, 0.0
        moved = self._displacement(gray, background)
        if moved is None:  # the reference failed: start afresh here, the path unchanged
            self._rekey(gray, background, self._path)
            return float("nan"), float("nan")
        displacement, agreeing = moved
        path = self._reference_at + displacement
        step = path - self._path
        self._path, self._guess = path, displacement
        assert self._reference is not None
        if agreeing < max(MIN_POINTS, REKEY_FRAC * len(self._reference[1])):
            self._rekey(gray, background, path)
        return float(step[0] * self._scale_x), float(step[1] * self._scale_y)

    def _find_cut(self, gray: Gray, xy_px: FloatArray | None) -> None:
        self._frame += 1
        picture = gray.astype(np.float32)
        picture = (picture - float(picture.mean())) / max(float(picture.std()), 1.0)
        joints = None if xy_px is None else np.asarray(xy_px, dtype=np.float64)[11:]
        previous, self._previous = self._previous, (picture, joints)
        if previous is None:
            return
        difference = float(np.abs(previous[0] - picture).mean())
        move = (None if joints is None or previous[1] is None
                else float(np.nanmean(np.hypot(*(joints - previous[1]).T))))
        recent = self._differences[-CUT_WINDOW:]
        typical = float(np.median(recent)) if recent else difference
        if self._pending_jump is not None:
            frame, spike = self._pending_jump
            self._pending_jump = None
            if difference < JUMP_SETTLE_FRAC * spike:
                self.cuts.append(frame)
        if recent and difference < REPEAT_FRAC * typical:
            return  # a repeated frame (slowed down by copying frames): not typical either
        if len(recent) >= 3 and difference >= max(CUT_ABS, CUT_RATIO * typical):
            self.cuts.append(self._frame)
            self._differences, self._moves = [], []  # the new shot has its own typical
            return
        moves = self._moves[-CUT_WINDOW:]
        if len(recent) >= 3 and len(moves) >= 3 and move is not None \
                and np.isfinite(move) and difference >= JUMP_RATIO * typical \
                and move >= POSE_JUMP_RATIO * float(np.median(moves)):
            self._pending_jump = (self._frame, difference)
            return  # a spike is not typical: keep it out of the medians
        self._differences = [*recent, difference]
        if move is not None and np.isfinite(move):
            self._moves = [*moves, move]

    def _small_gray(self, frame_rgb: RgbFrame) -> Gray:
        cv2 = self._cv2
        if self._coarse is not None:  # every 2nd-3rd pixel first, then averaged
            frame_rgb = cv2.resize(frame_rgb, self._coarse, interpolation=cv2.INTER_NEAREST)
        small = cv2.resize(frame_rgb, self._size, interpolation=cv2.INTER_AREA)
        gray: Gray = cv2.cvtColor(small, cv2.COLOR_RGB2GRAY)
        return gray

    def _rekey(self, gray: Gray, background: Mask, at: FloatArray) -> None:
        corners: Any = self._cv2.goodFeaturesToTrack(
            gray, maxCorners=MAX_POINTS, qualityLevel=0.01, minDistance=self._min_distance,
            mask=background, blockSize=5)
        points = (np.zeros((0, 1, 2), np.float32) if corners is None
                  else np.asarray(corners, dtype=np.float32).reshape(-1, 1, 2))
        self._reference = (gray, points)
        self._reference_at = np.array(at, dtype=np.float64)
        self._guess = np.zeros(2)

    def _displacement(self, gray: Gray, background: Mask) -> tuple[FloatArray, int] | None:
        """The camera's displacement from the reference (small px) and how many background
        points agree on it; None when too few do."""
        cv2 = self._cv2
        assert self._reference is not None
        before, points = self._reference
        if len(points) < MIN_POINTS:
            return None
        guess = (points + self._guess.astype(np.float32)).astype(np.float32)
        criteria = (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 10, 0.03)
        after, found, _ = cv2.calcOpticalFlowPyrLK(
            before, gray, points, guess, winSize=_LK_WINDOW, maxLevel=_LK_LEVELS,
            criteria=criteria, flags=cv2.OPTFLOW_USE_INITIAL_FLOW)
        start, end = points.reshape(-1, 2), after.reshape(-1, 2)
        ok = (found.ravel() == 1) & np.all(np.isfinite(end), axis=1)
        ok &= _on_background(end, background)
        moved = (end - start)[ok].astype(np.float64)
        if moved.shape[0] < MIN_POINTS:
            return None
        median = np.median(moved, axis=0)
        agree = np.max(np.abs(moved - median), axis=1) <= INLIER_SMALL_PX
        if int(np.count_nonzero(agree)) < MIN_POINTS:
            return None
        return moved[agree].mean(axis=0), int(np.count_nonzero(agree))

    def _background(self, xy_px: FloatArray | None) -> Mask:
        """255 where the background is, 0 on the runner (its body parts' hulls, widened)."""
        cv2 = self._cv2
        width, height = self._size
        mask = np.full((height, width), 255, dtype=np.uint8)
        if xy_px is None:
            return mask
        small = np.asarray(xy_px, dtype=np.float64) / (self._scale_x, self._scale_y)
        seen = np.all(np.isfinite(small), axis=1)
        if not seen.any():
            return mask
        extent = small[seen].max(axis=0) - small[seen].min(axis=0)
        margin = max(MIN_MARGIN_SMALL_PX, round(MASK_MARGIN_FRAC * float(extent.max())))
        body = np.zeros_like(mask)
        for part in _PARTS:
            found = small[list(part)][seen[list(part)]]
            if found.shape[0] == 0:
                continue
            hull = cv2.convexHull(np.round(found).astype(np.int32).reshape(-1, 1, 2))
            cv2.fillConvexPoly(body, hull, 255)
            cv2.polylines(body, [hull], True, 255, thickness=2 * margin + 1)
        mask[body > 0] = 0
        return mask


def _on_background(points: FloatArray, background: Mask) -> npt.NDArray[np.bool_]:
    height, width = background.shape
    x = np.round(points[:, 0]).astype(np.int64)
    y = np.round(points[:, 1]).astype(np.int64)
    inside = (x >= 0) & (x < width) & (y >= 0) & (y < height)
    result = np.zeros(points.shape[0], dtype=np.bool_)
    result[inside] = background[y[inside], x[inside]] > 0
    return result

"""Keypoints recorded from the pose model, as ``.npz``: re-analysis and tests without it.

The file holds the :class:`~backstride.core.pose.PoseSequence` arrays and its metadata, marked
with a format name and version. :func:`load_poses` checks both and every shape, so a wrong or
damaged file fails with a message instead of a numpy error. :class:`RecordedEstimator` plays a
recording back through the :class:`~backstride.adapters.pose.PoseEstimator` interface.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Final

import numpy as np

from backstride.adapters.output import write_output
from backstride.adapters.video import RgbFrame
from backstride.core.pose import LANDMARK_COUNT, PoseSequence
from backstride.core.types import AnyArray, FloatArray, Issue
from backstride.errors import InputError

FORMAT: Final = "backstride.keypoints"
VERSION: Final = 2
"""2 added ``camera_shift_px`` (optional); version 1 files still load, without it. The optional
``capture_rate_hz`` (a slow-motion clip's recording rate) and ``scene_cuts`` need no new
version: a reader that does not know them ignores them."""
READS: Final = (1, 2)
_ARRAYS: Final = ("t_s", "xy_px", "visibility")


class KeypointsFileError(InputError):
    """A keypoints file that cannot be used: not one, damaged, or from a newer backstride."""

    def __init__(self, name: str, problem: str, fix: str) -> None:
        super().__init__(f"{name} {problem}. {fix}")


def poses_to_bytes(poses: PoseSequence) -> bytes:
    """The ``.npz`` bytes of a recording (compressed)."""
    buffer = io.BytesIO()
    extra: dict[str, AnyArray] = {}
    if poses.camera_shift_px is not None:
        extra["camera_shift_px"] = poses.camera_shift_px.astype(np.float64)
    if poses.capture_rate_hz is not None:  # optional: older readers ignore it
        extra["capture_rate_hz"] = np.array(poses.capture_rate_hz, dtype=np.float64)
    if poses.scene_cuts:  # optional too
        extra["scene_cuts"] = np.array(poses.scene_cuts, dtype=np.int64)
    np.savez_compressed(
        buffer, **extra,
        format=np.array(FORMAT), version=np.array(VERSION),
        t_s=poses.t_s.astype(np.float64), xy_px=poses.xy_px.astype(np.float64),
        visibility=poses.visibility.astype(np.float64),
        size_px=np.array([poses.width_px, poses.height_px], dtype=np.int64),
        frame_rate_hz=np.array(poses.frame_rate_hz, dtype=np.float64),
        rotation_deg=np.array(poses.rotation_deg, dtype=np.int64),
        model=np.array(poses.model),
        issue_codes=np.array([issue.code for issue in poses.issues], dtype=np.str_),
        issue_messages=np.array([issue.message for issue in poses.issues], dtype=np.str_),
    )
    return buffer.getvalue()


def save_poses(poses: PoseSequence, path: Path) -> None:
    """Write a recording; a temporary file is renamed over ``path``, so it is whole or absent."""
    write_output(path, poses_to_bytes(poses))


def load_poses(path: Path) -> PoseSequence:
    """Read a recording written by :func:`save_poses`."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise KeypointsFileError(path.name, f"cannot be read ({exc.strerror or exc})",
                                 "Check the path and try again.") from exc
    return poses_from_bytes(data, name=path.name)


def poses_from_bytes(data: bytes, *, name: str = "the keypoints") -> PoseSequence:
    """A recording from its ``.npz`` bytes; :class:`KeypointsFileError` if it is not one."""
    redo = "Analyse the video again to record its keypoints anew."
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            arrays = {key: npz[key] for key in npz.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        raise KeypointsFileError(name, "is not a backstride keypoints file (.npz) or is "
                                 "damaged", redo) from exc
    if str(arrays.get("format", "")) != FORMAT:
        raise KeypointsFileError(name, f"is not a {FORMAT} file", redo)
    version = int(arrays.get("version", -1))
    if version > VERSION:
        raise KeypointsFileError(name, f"was written by a newer backstride (format version "
                                 f"{version}, this one reads {VERSION})", "Upgrade backstride.")
    if version not in READS:
        raise KeypointsFileError(name, f"has an unknown format version {version}", redo)
    try:
        return _sequence(arrays)
    except (KeyError, ValueError, TypeError, IndexError) as exc:
        raise KeypointsFileError(name, f"is damaged ({exc})", redo) from exc


def _sequence(arrays: dict[str, AnyArray]) -> PoseSequence:
    shift = arrays.get("camera_shift_px")
    capture = arrays.get("capture_rate_hz")
    cuts = arrays.get("scene_cuts")
    for key in (*_ARRAYS, "camera_shift_px") if shift is not None else _ARRAYS:
        if arrays[key].dtype.kind != "f":
            raise ValueError(f"{key} is not floating point")
    width, height = (int(v) for v in arrays["size_px"])
    issues = tuple(Issue(code=str(code), message=str(message)) for code, message
                   in zip(arrays["issue_codes"], arrays["issue_messages"], strict=True))
    return PoseSequence(
        t_s=arrays["t_s"].astype(np.float64), xy_px=arrays["xy_px"].astype(np.float64),
        visibility=arrays["visibility"].astype(np.float64), width_px=width, height_px=height,
        frame_rate_hz=float(arrays["frame_rate_hz"]), rotation_deg=int(arrays["rotation_deg"]),
        model=str(arrays["model"]), issues=issues,
        camera_shift_px=None if shift is None else shift.astype(np.float64),
        capture_rate_hz=None if capture is None else float(capture),
        scene_cuts=() if cuts is None else tuple(int(c) for c in cuts))


class RecordedEstimator:
    """Plays a recording back as a :class:`~backstride.adapters.pose.PoseEstimator`.

    Frame ``i`` of the clip gets the recording's frame ``i`` (the frame's pixels are not
    looked at); past the recording's end no person is found.
    """

    def __init__(self, poses: PoseSequence) -> None:
        self._poses = poses
        self._next = 0

    def estimate(self, frame_rgb: RgbFrame) -> tuple[FloatArray | None, FloatArray]:
        index = self._next
        self._next += 1
        if index >= self._poses.frame_count or not self._poses.detected[index]:
            return None, np.zeros(LANDMARK_COUNT)
        return self._poses.xy_px[index].copy(), self._poses.visibility[index].copy()

    def close(self) -> None:
        self._next = 0

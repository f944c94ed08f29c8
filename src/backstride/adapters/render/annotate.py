"""The annotated video and the report's key frames: the clip again, with what was measured.

:func:`write_annotated_video` decodes the source once more, draws the keypoints (a skeleton,
left side blue, right side orange), a marker at each initial contact and the
:class:`Overlay` texts, and encodes H.264 (yuv420p, even size, the source's timestamps) into a
temporary file that becomes the output when complete (``adapters.output``: renamed over a
regular file, copied into a FIFO or device). :func:`key_frames_jpeg` gives
chosen instants of the clip as small JPEGs for the HTML report. Both use OpenCV for drawing and
PyAV for video, from the ``video`` extra.

OpenCV's built-in fonts draw ASCII only: "°" becomes "deg" and other characters are dropped.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any, Final, Literal

import numpy as np

from backstride.adapters.output import output_path
from backstride.adapters.video import RgbFrame, Video, import_av, import_cv2, open_video
from backstride.core.pose import Joint, PoseSequence
from backstride.core.types import FloatArray, Progress
from backstride.errors import InputError

logger = logging.getLogger(__name__)

Side = Literal["left", "right"]
Colour = tuple[int, int, int]

LEFT_RGB: Final[Colour] = (40, 140, 255)
RIGHT_RGB: Final[Colour] = (255, 140, 30)
CENTRE_RGB: Final[Colour] = (235, 235, 235)
TEXT_RGB: Final[Colour] = (255, 255, 255)
OUTLINE_RGB: Final[Colour] = (0, 0, 0)
VISIBLE: Final = 0.5
"""Keypoints less visible than this are drawn thin and grey."""

_SEGMENTS: Final[tuple[tuple[Joint, Joint, Colour], ...]] = (
    (Joint.LEFT_SHOULDER, Joint.RIGHT_SHOULDER, CENTRE_RGB),
    (Joint.LEFT_HIP, Joint.RIGHT_HIP, CENTRE_RGB),
    (Joint.LEFT_SHOULDER, Joint.LEFT_HIP, LEFT_RGB),
    (Joint.LEFT_HIP, Joint.LEFT_KNEE, LEFT_RGB),
    (Joint.LEFT_KNEE, Joint.LEFT_ANKLE, LEFT_RGB),
    (Joint.LEFT_ANKLE, Joint.LEFT_HEEL, LEFT_RGB),
    (Joint.LEFT_HEEL, Joint.LEFT_TOE, LEFT_RGB),
    (Joint.LEFT_ANKLE, Joint.LEFT_TOE, LEFT_RGB),
    (Joint.RIGHT_SHOULDER, Joint.RIGHT_HIP, RIGHT_RGB),
    (Joint.RIGHT_HIP, Joint.RIGHT_KNEE, RIGHT_RGB),
    (Joint.RIGHT_KNEE, Joint.RIGHT_ANKLE, RIGHT_RGB),
    (Joint.RIGHT_ANKLE, Joint.RIGHT_HEEL, RIGHT_RGB),
    (Joint.RIGHT_HEEL, Joint.RIGHT_TOE, RIGHT_RGB),
    (Joint.RIGHT_ANKLE, Joint.RIGHT_TOE, RIGHT_RGB),
)
_HEEL: Final = {"left": Joint.LEFT_HEEL, "right": Joint.RIGHT_HEEL}
_SIDE_RGB: Final[dict[str, Colour]] = {"left": LEFT_RGB, "right": RIGHT_RGB}
_JPEG_QUALITY: Final = 85


@dataclass(frozen=True, slots=True, kw_only=True)
class ContactMark:
    """An initial contact: a ring at that side's heel, with ``text`` beside it (e.g. the knee
    angle at this contact, only when that metric passed its gates), shown from ``t_s`` for
    :attr:`Overlay.contact_hold_s`."""

    t_s: float
    side: Side
    text: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class TimedLabel:
    """A line of text shown from ``start_s`` up to ``end_s`` (clip time, seconds)."""

    start_s: float
    end_s: float
    text: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Overlay:
    """What to draw besides the skeleton. ``header`` lines stay at the top the whole clip
    (e.g. "cadence 168 spm"); ``labels`` show below them while they are current.

    ``heels_px`` maps a side to ``(t_s, xy_px)``: that heel's track as the analysis saw it
    (clip time; left/right swaps of the model repaired, ``(n, 2)`` pixels). A contact's ring is
    drawn there, so it sits on the stance foot even in frames where the model labelled the
    feet the other way round; without a track, on the model's heel of that side."""

    header: tuple[str, ...] = ()
    contacts: tuple[ContactMark, ...] = ()
    labels: tuple[TimedLabel, ...] = ()
    contact_hold_s: float = 0.2
    heels_px: Mapping[str, tuple[FloatArray, FloatArray]] = field(default_factory=dict)


def write_annotated_video(source_path: Path, poses: PoseSequence, overlay: Overlay,
                          out_path: Path, *, progress: Progress | None = None) -> None:
    """Write the annotated copy of ``source_path`` to ``out_path`` (MP4, H.264, no sound)."""
    cv2 = import_cv2("Annotated video")
    av = import_av()
    video = open_video(source_path)
    _check_same_clip(video, poses)
    with output_path(out_path) as temporary:  # written through a symlink, FIFO or device
        _encode(video, poses, overlay, temporary, cv2, av, progress)
    logger.info("annotated video written: %s", out_path)


def key_frames_jpeg(source_path: Path, poses: PoseSequence, times_s: Sequence[float], *,
                    max_width_px: int = 480, overlay: Overlay | None = None) -> list[bytes]:
    """JPEGs of the frames nearest to ``times_s`` (in the order given), keypoints drawn,
    scaled down to at most ``max_width_px`` wide."""
    cv2 = import_cv2("Annotated video")
    video = open_video(source_path)
    _check_same_clip(video, poses)
    chosen = _nearest_frames(video, sorted(set(times_s)))
    jpegs: list[bytes] = []
    for wanted in times_s:
        t_s, frame = chosen[wanted]
        frame = frame.copy()
        _draw(cv2, frame, t_s, poses, overlay or Overlay())
        height, width = frame.shape[:2]
        if width > max_width_px:
            size = (max_width_px, max(1, round(height * max_width_px / width)))
            frame = cv2.resize(frame, size, interpolation=cv2.INTER_AREA)
        ok, encoded = cv2.imencode(".jpg", cv2.cvtColor(frame, cv2.COLOR_RGB2BGR),
                                   [cv2.IMWRITE_JPEG_QUALITY, _JPEG_QUALITY])
        if not ok:
            raise InputError(f"{video.info.path.name}: a key frame at {t_s:.2f} s could not be "
                             "encoded as JPEG. Report this as a bug.")
        jpegs.append(bytes(encoded))
    return jpegs


# --- internals -------------------------------------------------------------------------------


def _check_same_clip(video: Video, poses: PoseSequence) -> None:
    info = video.info
    if (info.width_px, info.height_px) != (poses.width_px, poses.height_px):
        raise InputError(
            f"The keypoints were measured on a {poses.width_px}x{poses.height_px} clip, but "
            f"{info.path.name} is {info.width_px}x{info.height_px}. Annotate the clip the "
            "keypoints came from.")


def _encode(video: Video, poses: PoseSequence, overlay: Overlay, path: Path, cv2: Any, av: Any,
            progress: Progress | None) -> None:
    info = video.info
    width, height = info.width_px - info.width_px % 2, info.height_px - info.height_px % 2
    time_base = info.time_base
    with av.open(str(path), mode="w", format="mp4",
                 options={"movflags": "+faststart"}) as container:
        stream = container.add_stream(
            "libx264", rate=Fraction(info.frame_rate_hz).limit_denominator(1001),
            options={"crf": "23", "preset": "veryfast"})
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.codec_context.time_base = time_base
        for done, (t_s, frame) in enumerate(video.frames(), start=1):
            frame = np.ascontiguousarray(frame[:height, :width])
            _draw(cv2, frame, t_s, poses, overlay)
            picture = av.VideoFrame.from_ndarray(frame, format="rgb24")
            picture.pts = round(t_s / time_base)
            picture.time_base = time_base
            container.mux(stream.encode(picture))
            if progress is not None:
                progress(done, info.frame_count)
        container.mux(stream.encode(None))


def _nearest_frames(video: Video, targets: list[float]) -> dict[float, tuple[float, RgbFrame]]:
    """For each target time, the frame whose time is nearest (decoding stops after the last)."""
    chosen: dict[float, tuple[float, RgbFrame]] = {}
    previous: tuple[float, RgbFrame] | None = None
    pending = iter(targets)
    target = next(pending, None)
    frames: Iterator[tuple[float, RgbFrame]] = video.frames()
    for current in frames:
        while target is not None and current[0] >= target:
            near = previous is not None and target - previous[0] < current[0] - target
            chosen[target] = previous if near and previous is not None else current
            target = next(pending, None)
        if target is None:
            break
        previous = current
    if previous is not None:
        for remaining in [target, *pending]:
            if remaining is not None:
                chosen[remaining] = previous
    return chosen


def _pose_index(poses: PoseSequence, t_s: float) -> int | None:
    if poses.frame_count == 0:
        return None
    index = int(np.searchsorted(poses.t_s, t_s))
    candidates = [i for i in (index - 1, index) if 0 <= i < poses.frame_count]
    best = min(candidates, key=lambda i: abs(poses.t_s[i] - t_s))
    tolerance = 0.5 / max(poses.frame_rate_hz, 1e-9)
    return best if abs(poses.t_s[best] - t_s) <= tolerance else None


def _draw(cv2: Any, frame: RgbFrame, t_s: float, poses: PoseSequence, overlay: Overlay) -> None:
    scale = max(frame.shape[:2]) / 1280.0
    index = _pose_index(poses, t_s)
    if index is not None:
        _draw_skeleton(cv2, frame, poses.xy_px[index], poses.visibility[index], scale)
        _draw_contacts(cv2, frame, t_s, poses.xy_px[index], overlay, scale)
    lines = list(overlay.header) + [label.text for label in overlay.labels
                                    if label.start_s <= t_s < label.end_s]
    for row, text in enumerate(lines):
        _text(cv2, frame, text, (round(16 * scale), round((40 + 36 * row) * scale)), scale,
              TEXT_RGB)


def _point(xy: FloatArray) -> tuple[int, int] | None:
    if not bool(np.all(np.isfinite(xy))):
        return None
    return round(float(xy[0])), round(float(xy[1]))


def _draw_skeleton(cv2: Any, frame: RgbFrame, xy_px: FloatArray, visibility: FloatArray,
                   scale: float) -> None:
    thick = max(1, round(4 * scale))
    for start, end, colour in _SEGMENTS:
        a, b = _point(xy_px[start]), _point(xy_px[end])
        if a is None or b is None:
            continue
        seen = min(visibility[start], visibility[end]) >= VISIBLE
        cv2.line(frame, a, b, colour if seen else (128, 128, 128), thick if seen else 1,
                 cv2.LINE_AA)
    for joint in {j for segment in _SEGMENTS for j in segment[:2]}:
        p = _point(xy_px[joint])
        if p is not None:
            cv2.circle(frame, p, max(2, round(5 * scale)), TEXT_RGB, -1, cv2.LINE_AA)


def _draw_contacts(cv2: Any, frame: RgbFrame, t_s: float, xy_px: FloatArray, overlay: Overlay,
                   scale: float) -> None:
    for contact in overlay.contacts:
        if not contact.t_s - 1e-6 <= t_s < contact.t_s + overlay.contact_hold_s:
            continue
        heel = _heel(overlay, contact.side, t_s, xy_px)
        if heel is None:
            continue
        colour = _SIDE_RGB[contact.side]
        cv2.circle(frame, heel, round(22 * scale), colour, max(2, round(5 * scale)),
                   cv2.LINE_AA)
        label = f"{contact.side[0].upper()} contact" + (f"  {contact.text}" if contact.text
                                                         else "")
        x = heel[0] + round(28 * scale)
        text_width = _text_width_px(cv2, label, scale)
        if x + text_width > frame.shape[1]:  # no room on the right: write it left of the heel
            x = max(0, heel[0] - round(28 * scale) - text_width)
        _text(cv2, frame, label, (x, heel[1] - round(10 * scale)), scale, colour)


def _heel(overlay: Overlay, side: Side, t_s: float, xy_px: FloatArray) -> tuple[int, int] | None:
    track = overlay.heels_px.get(side)
    if track is None:
        return _point(xy_px[_HEEL[side]])
    times, xy = track
    if times.size == 0:
        return None
    index = int(np.argmin(np.abs(times - t_s)))
    return _point(xy[index])


def _ascii(text: str) -> str:
    return text.replace("°", " deg").encode("ascii", "ignore").decode()


def _text_width_px(cv2: Any, text: str, scale: float) -> int:
    (width, _), _ = cv2.getTextSize(_ascii(text), cv2.FONT_HERSHEY_SIMPLEX, 0.9 * scale,
                                    max(1, round(2 * scale)))
    return int(width)


def _text(cv2: Any, frame: RgbFrame, text: str, origin: tuple[int, int], scale: float,
          colour: Colour) -> None:
    ascii_text = _ascii(text)
    size = 0.9 * scale
    weight = max(1, round(2 * scale))
    cv2.putText(frame, ascii_text, origin, cv2.FONT_HERSHEY_SIMPLEX, size, OUTLINE_RGB,
                weight + max(2, round(3 * scale)), cv2.LINE_AA)
    cv2.putText(frame, ascii_text, origin, cv2.FONT_HERSHEY_SIMPLEX, size, colour, weight,
                cv2.LINE_AA)

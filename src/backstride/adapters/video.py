"""Video files in, upright RGB frames out (PyAV, the ``video`` extra).

:func:`open_video` reads a clip's header and its first frames, so an unusable file fails at
once with a message that says what to do. :meth:`Video.frames` then streams the frames: one at
a time, never the whole clip, turned upright by the clip's rotation metadata (phones store a
portrait clip as a landscape picture plus a display matrix), each with its presentation time
relative to the first frame (never frame index × nominal rate, DOMAIN.md §3.3).

A clip damaged in the middle or cut short after its index still yields the frames that decode;
what was lost becomes an :class:`~backstride.core.types.Issue` in :attr:`Video.issues`.
"""

from __future__ import annotations

import logging
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from backstride.core.types import Issue
from backstride.errors import (
    CorruptFileError,
    InputError,
    InsufficientDataError,
    MissingDependencyError,
)

logger = logging.getLogger(__name__)

RgbFrame = npt.NDArray[np.uint8]
"""``(height, width, 3)`` uint8 RGB, upright."""

FILMING_HINT: Final = "`backstride guide filming` says how to film a clip backstride can measure."
_ISO_MEDIA_BOX: Final = b"ftyp"  # bytes 4-8 of an MP4/MOV file
_PROBE_FRAMES: Final = 2
CAPTURE_RATE_KEYS: Final = ("com.android.capture.fps", "com.apple.quicktime.capture-fps")
"""Metadata tags in which phones write a slow-motion clip's recording rate (MP4 ``mdta``)."""


class VideoFileError(InputError):
    """A file that is not a usable video: the message names it, the problem and the fix."""

    def __init__(self, path: Path, problem: str, fix: str) -> None:
        super().__init__(f"{path.name} {problem}. {fix}")
        self.path = path


class DamagedVideoError(CorruptFileError):
    """A video file whose bytes are damaged or incomplete, with nothing usable in it."""

    def __init__(self, path: Path, problem: str) -> None:
        # CorruptFileError's own message tells the user to re-export from a watch app; a video
        # needs its own advice, so the message is built here and only the type is shared.
        InputError.__init__(
            self,
            f"{path.name} is damaged: {problem}. Copy the whole clip from the camera again, "
            "or film it again.",
        )
        self.path = path
        self.offset = None


def import_av() -> Any:
    """PyAV, or :class:`MissingDependencyError` naming the extra to install."""
    try:
        import av
    except ImportError as exc:
        raise MissingDependencyError("Video analysis", "video") from exc
    return av


def import_cv2(what: str = "Video analysis") -> Any:
    """OpenCV (installed with MediaPipe by the video extra), or
    :class:`MissingDependencyError` saying what needs it."""
    try:
        import cv2
    except ImportError as exc:
        raise MissingDependencyError(what, "video") from exc
    return cv2


@dataclass(frozen=True, slots=True, kw_only=True)
class VideoInfo:
    """What the container says about a clip's video stream.

    ``width_px``/``height_px`` are those of the upright picture (after rotation).
    ``rotation_deg`` is how far the decoded picture is turned **clockwise** to stand upright
    (0, 90, 180 or 270; a phone's portrait clip usually says 90). ``frame_rate_hz`` is the
    stream's average rate; ``capture_rate_hz`` the recording rate a slow-motion clip declares
    in its metadata (None when it declares none). ``frame_count`` is the container's count,
    or an estimate from duration × rate when it has none.
    """

    path: Path
    container_format: str
    codec: str
    width_px: int
    height_px: int
    frame_rate_hz: float
    capture_rate_hz: float | None
    duration_s: float
    frame_count: int
    rotation_deg: int
    time_base: Fraction
    has_audio: bool

    @property
    def long_side_px(self) -> int:
        return max(self.width_px, self.height_px)


class Video:
    """An opened clip: its :class:`VideoInfo` and a way to stream its frames.

    Each call of :meth:`frames` opens the file again and decodes from the start, so a clip can
    be read twice (pose estimation, then the annotated copy) without holding any frame.
    """

    def __init__(self, info: VideoInfo) -> None:
        self.info = info
        self.issues: list[Issue] = []
        """Problems met while decoding (damaged packets, early end): set by :meth:`frames`."""

    def frames(self, *, max_frames: int | None = None,
               ) -> Generator[tuple[float, RgbFrame], None, None]:
        """``(t_s, frame_rgb)`` for each decoded frame, upright, ``t_s`` from 0 at the first.

        Frames whose timestamp does not increase are dropped (a picture shown twice has one
        time). Damaged packets are skipped and the frames around them kept (the codec's frame
        threads may lose the few frames in flight at a damaged spot); a pass that decodes no
        frame at all raises :class:`DamagedVideoError`.
        """
        av = import_av()
        decoder = _Decoder(self.info, av)
        self.issues = []
        try:
            yield from decoder.frames(max_frames)
        finally:
            decoder.close()
            self.issues = decoder.issues()
        if decoder.decoded == 0:
            raise DamagedVideoError(self.info.path, "none of its frames could be decoded")


def open_video(path: Path) -> Video:
    """Open a clip and check that it is a video backstride can read.

    Raises :class:`VideoFileError` (not a video, audio only, a still image),
    :class:`DamagedVideoError` (unreadable bytes, missing index) or
    :class:`~backstride.errors.InsufficientDataError` (no frames, a single frame).
    """
    path = Path(path)
    if not path.is_file():
        raise VideoFileError(path, "was not found (or is not a file)",
                             "Check the path and try again.")
    if path.stat().st_size == 0:
        raise VideoFileError(path, "is empty (0 bytes)",
                             "Copy the clip from the camera again.")
    av = import_av()
    container = _open_container(path, av)
    try:
        info = _probe(path, container, av)
    finally:
        container.close()
    logger.info("opened %s: %s %dx%d, %.2f fps, %.1f s, rotation %d°", path.name, info.codec,
                info.width_px, info.height_px, info.frame_rate_hz, info.duration_s,
                info.rotation_deg)
    return Video(info)


def rotate_upright(frame: RgbFrame, rotation_deg: int) -> RgbFrame:
    """Turn a decoded picture ``rotation_deg`` clockwise (0, 90, 180, 270); contiguous result."""
    if rotation_deg == 0:
        return frame
    return np.ascontiguousarray(np.rot90(frame, k=-(rotation_deg // 90)))


# --- internals -------------------------------------------------------------------------------


def _open_container(path: Path, av: Any) -> Any:
    try:
        return av.open(str(path), mode="r")
    except av.EOFError as exc:
        raise DamagedVideoError(path, "it ends before its first picture (an empty or "
                                "cut-short recording)") from exc
    except av.FFmpegError as exc:
        if _looks_like_iso_media(path):
            raise DamagedVideoError(
                path, "its index (the 'moov' box a recording writes last) is missing or "
                "unreadable, so the recording or the copy was probably cut short") from exc
        raise VideoFileError(
            path, "is not a video backstride can read (the decoder said: "
            f"{_strerror(exc)})", "Use the clip as the camera saved it (MP4, MOV, WebM). "
            + FILMING_HINT) from exc
    except OSError as exc:
        raise VideoFileError(path, f"cannot be read ({exc.strerror or exc})",
                             "Check the file's permissions and try again.") from exc


def _looks_like_iso_media(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(8)[4:8] == _ISO_MEDIA_BOX


def _strerror(exc: Exception) -> str:
    return str(getattr(exc, "strerror", None) or exc).rstrip(".")


def _is_still_image_format(container: Any) -> bool:
    # FFmpeg reads PNG, JPEG, WebP, BMP, TIFF... through its image2 family of demuxers.
    names = str(container.format.name).split(",")
    return any(name == "image2" or name.endswith("_pipe") for name in names)


def _probe(path: Path, container: Any, av: Any) -> VideoInfo:
    if not container.streams.video:
        kind = "audio only" if container.streams.audio else "no picture"
        raise VideoFileError(path, f"has no video track ({kind})",
                             "Choose the video file of the run, not a sound recording.")
    if _is_still_image_format(container):
        raise VideoFileError(path, "is a still image, not a video",
                             "Film a clip of at least 10 seconds of running. " + FILMING_HINT)
    stream = container.streams.video[0]
    first = _first_frames(path, container, stream, av)
    if len(first) < _PROBE_FRAMES:
        raise InsufficientDataError(
            f"{path.name} holds a single frame, not a moving clip. Film at least 10 seconds "
            "of running. " + FILMING_HINT)
    rotation_deg = _clockwise_rotation(first[0].rotation)
    width, height = int(first[0].width), int(first[0].height)
    if rotation_deg in (90, 270):
        width, height = height, width
    rate = _frame_rate_hz(stream, first)
    duration_s = _duration_s(container, stream)
    frame_count = int(stream.frames) or max(round(duration_s * rate), len(first))
    return VideoInfo(
        path=path, container_format=str(container.format.name),
        codec=str(stream.codec_context.name), width_px=width, height_px=height,
        frame_rate_hz=rate, capture_rate_hz=_capture_rate_hz(container, stream),
        duration_s=duration_s, frame_count=frame_count, rotation_deg=rotation_deg,
        time_base=Fraction(stream.time_base), has_audio=bool(container.streams.audio))


def _first_frames(path: Path, container: Any, stream: Any, av: Any) -> list[Any]:
    frames: list[Any] = []
    try:
        for packet in container.demux(stream):
            try:
                frames.extend(packet.decode())
            except av.InvalidDataError:
                continue  # a damaged packet near the start: the next keyframe may still decode
            if len(frames) >= _PROBE_FRAMES:
                break
    except av.FFmpegError as exc:
        raise DamagedVideoError(path, f"its frames cannot be read ({_strerror(exc)})") from exc
    if not frames:
        raise InsufficientDataError(
            f"{path.name} has a video track but no frame could be decoded from it (an empty "
            "or broken recording). Film the clip again. " + FILMING_HINT)
    return frames


def _clockwise_rotation(counterclockwise_deg: float | None) -> int:
    """PyAV gives the display matrix's rotation counterclockwise in [-180, 180]."""
    if not counterclockwise_deg:
        return 0
    quarter_turns = round(float(counterclockwise_deg) / 90.0)
    if abs(float(counterclockwise_deg) - 90.0 * quarter_turns) > 1.0:
        logger.warning("rotation %.1f° is not a quarter turn; using %d°",
                       counterclockwise_deg, -90 * quarter_turns)
    return (-90 * quarter_turns) % 360


def _frame_rate_hz(stream: Any, first: list[Any]) -> float:
    for rate in (stream.average_rate, stream.guessed_rate, stream.base_rate):
        if rate is not None and float(rate) > 0:
            return float(rate)
    gap = float(first[1].time - first[0].time) if first[1].time is not None else 0.0
    return 1.0 / gap if gap > 0 else 0.0


def _duration_s(container: Any, stream: Any) -> float:
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return float(container.duration) / 1_000_000.0  # AV_TIME_BASE
    return 0.0


def _capture_rate_hz(container: Any, stream: Any) -> float | None:
    """Android and some editors tag slow-motion clips with their recording rate."""
    for metadata in (container.metadata, stream.metadata):
        lowered = {str(key).lower(): value for key, value in dict(metadata).items()}
        for key in CAPTURE_RATE_KEYS:  # Matroska upper-cases tag names
            try:
                value = float(lowered[key])
            except (KeyError, ValueError, TypeError):
                continue
            if value > 0:
                return value
    return None


class _Decoder:
    """One pass over a clip: demux, decode with the codec's threads, convert, rotate."""

    def __init__(self, info: VideoInfo, av: Any) -> None:
        self._info = info
        self._av = av
        self._container = _open_container(info.path, av)
        self._stream = self._container.streams.video[0]
        self._stream.thread_type = "AUTO"  # frame + slice threads: decoding uses every core
        self._bad_packets = 0
        self._dropped_times = 0
        self._no_time = 0
        self._resized = 0
        self.decoded = 0
        self._reached_end = False
        """The pass ran to the end of the stream (not stopped by its reader or ``max_frames``):
        only then can frames missing from the count be called lost."""
        self._stopped_by_error: str | None = None

    def close(self) -> None:
        self._container.close()

    def frames(self, max_frames: int | None) -> Iterator[tuple[float, RgbFrame]]:
        t0: float | None = None
        last_t = -np.inf
        for frame in self._decoded_frames():
            t_abs = self._time_s(frame, last_t, t0)
            if t0 is None:
                t0 = t_abs
            t_s = t_abs - t0
            if t_s <= last_t:
                self._dropped_times += 1
                continue
            if (frame.width, frame.height) != self._decoded_size():
                self._resized += 1
                continue
            last_t = t_s
            self.decoded += 1
            yield t_s, rotate_upright(frame.to_ndarray(format="rgb24"), self._info.rotation_deg)
            if max_frames is not None and self.decoded >= max_frames:
                return
        self._reached_end = True

    def _decoded_size(self) -> tuple[int, int]:
        if self._info.rotation_deg in (90, 270):
            return self._info.height_px, self._info.width_px
        return self._info.width_px, self._info.height_px

    def _time_s(self, frame: Any, last_t: float, t0: float | None) -> float:
        if frame.pts is not None:
            return float(frame.pts * self._stream.time_base)
        # No timestamp at all (rare, raw streams): one nominal frame after the last one.
        self._no_time += 1
        if t0 is None:
            return 0.0
        return t0 + last_t + 1.0 / max(self._info.frame_rate_hz, 1e-9)

    def _decoded_frames(self) -> Iterator[Any]:
        av = self._av
        try:
            for packet in self._container.demux(self._stream):
                try:
                    yield from packet.decode()
                except av.InvalidDataError:
                    self._bad_packets += 1
        except av.FFmpegError as exc:
            self._stopped_by_error = _strerror(exc)

    def issues(self) -> list[Issue]:
        """What went wrong in the frames this pass met; a pass its reader stopped early (the
        key frames need only the first seconds) says nothing of the frames it did not reach."""
        issues: list[Issue] = []
        if self._bad_packets:
            issues.append(Issue(code="video_damaged", message=(
                f"{self._bad_packets} damaged part(s) of the clip could not be decoded; the "
                "frames around them were used")))
        if self._stopped_by_error:
            issues.append(Issue(code="video_cut_short", message=(
                f"decoding stopped early ({self._stopped_by_error}); "
                f"{self.decoded} frames were used")))
        expected = self._info.frame_count
        seen = self.decoded + self._dropped_times + self._resized
        if (self._reached_end and not self._stopped_by_error and seen < 0.9 * expected
                and int(self._stream.frames)):
            issues.append(Issue(code="video_cut_short", message=(
                f"only {seen} of the {expected} frames the file lists could be "
                "decoded: the file seems cut short")))
        if self._dropped_times or self._resized or self._no_time:
            issues.append(Issue(code="video_frames_skipped", message=(
                f"{self._dropped_times} frame(s) with a repeated timestamp and "
                f"{self._resized} with a changed size were skipped; {self._no_time} had no "
                "timestamp")))
        for issue in issues:
            logger.warning("%s: %s", self._info.path.name, issue.message)
        return issues

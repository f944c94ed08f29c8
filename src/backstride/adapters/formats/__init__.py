"""Watch-file readers. ``read_activity(path)`` detects the format from the bytes, not the name.

A format is a sniffing rule plus a function in ``READERS``; gzip-compressed copies (Strava
bulk exports hold ``.fit.gz``) are read the same way, and ``sha256`` is always taken over the
decompressed bytes so both copies of one file share one import key.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Final

from backstride.adapters.formats.fit import FitHeaderError, decode_fit, looks_like_fit
from backstride.adapters.formats.fit_activity import fit_to_activity
from backstride.core.activity import Activity
from backstride.errors import CorruptFileError, InputError, UnsupportedFormatError

Reader = Callable[[bytes, Path, str], Activity]

MAX_BYTES: Final = 512 * 1024 * 1024  # larger watch files do not exist; refuse before reading
_XML_SNIFF: Final = 4096


def _read_fit(data: bytes, path: Path, sha256: str) -> Activity:
    try:
        decoded = decode_fit(data)
    except FitHeaderError as exc:
        raise CorruptFileError(path, "its FIT header is missing or damaged", offset=0) from exc
    return fit_to_activity(decoded, path=path, sha256=sha256)


def _read_tcx(data: bytes, path: Path, sha256: str) -> Activity:
    from backstride.adapters.formats.tcx import read_tcx

    return read_tcx(data, path=path, sha256=sha256)


def _read_gpx(data: bytes, path: Path, sha256: str) -> Activity:
    from backstride.adapters.formats.gpx import read_gpx

    return read_gpx(data, path=path, sha256=sha256)


READERS: Final[dict[str, Reader]] = {"fit": _read_fit, "tcx": _read_tcx, "gpx": _read_gpx}


def detect_format(data: bytes) -> str | None:
    """'fit', 'tcx', 'gpx' or None, from the content alone."""
    if looks_like_fit(data):
        return "fit"
    head = data[:_XML_SNIFF].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if not head.startswith(b"<"):
        return None
    if b"<trainingcenterdatabase" in head:
        return "tcx"
    if b"<gpx" in head:
        return "gpx"
    return None


def read_bytes(path: Path) -> bytes:
    """The file's bytes as stored; InputError with a plain reason when it cannot be read."""
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise InputError(f"{path.name} is {size / 1e6:.0f} MB, too large for a watch file. "
                             "Pass the single activity file, not an archive or a video.")
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise InputError(f"{path} does not exist. Check the path and try again.") from exc
    except IsADirectoryError as exc:
        raise InputError(f"{path} is a folder. Pass the activity files inside it.") from exc
    except PermissionError as exc:
        raise InputError(f"{path} cannot be read (permission denied). "
                         "Check the file's permissions.") from exc
    return data


def read_activity(path: str | Path, *, strict: bool = False) -> Activity:
    """Decode a watch file (FIT, TCX or GPX, optionally gzipped) into an :class:`Activity`.

    Every record is kept as numpy columns in ``activity.records`` (and every other message
    type in ``activity.messages``); ``activity.series`` holds the SI series the analysis uses.
    Damage that leaves something readable becomes ``activity.issues``; with ``strict=True``
    any such issue raises :class:`CorruptFileError` instead.
    """
    path = Path(path)
    return read_activity_bytes(read_bytes(path), path, strict=strict)


def gunzip_bounded(data: bytes, path: Path, *, limit: int | None = None) -> bytes:
    """Undo gzip (every member), refusing output beyond ``limit`` (default ``MAX_BYTES``): a
    small gzip of zeros must not become gigabytes in memory."""
    limit = MAX_BYTES if limit is None else limit
    out: list[bytes] = []
    size = 0
    rest = data
    try:
        while rest[:2] == b"\x1f\x8b":
            inflater = zlib.decompressobj(wbits=31)
            while True:
                chunk = inflater.decompress(rest, max(1, limit + 1 - size))
                out.append(chunk)
                size += len(chunk)
                if size > limit:
                    raise InputError(
                        f"{path.name} unpacks to more than {limit // (1024 * 1024)} MB, far "
                        "larger than any watch file (a compression bomb?); it was not read.")
                if inflater.eof or not inflater.unconsumed_tail:
                    break
                rest = inflater.unconsumed_tail
            if not inflater.eof:
                raise CorruptFileError(path, "its gzip data ends early")
            rest = inflater.unused_data
    except zlib.error as exc:
        raise CorruptFileError(path, "it is a damaged gzip archive") from exc
    return b"".join(out)


def read_activity_bytes(data: bytes, path: Path, *, strict: bool = False) -> Activity:
    """The same from bytes already in memory (archive members); gzip is undone here too.
    ``path`` names the file in messages."""
    if data[:2] == b"\x1f\x8b":
        data = gunzip_bounded(data, path)
    if not data:
        raise InputError(f"{path.name} is empty (0 bytes). Export the activity again.")
    kind = detect_format(data)
    if kind is None:
        raise UnsupportedFormatError(path, _describe(data))
    activity = READERS[kind](data, path, hashlib.sha256(data).hexdigest())
    if strict and activity.issues:
        raise CorruptFileError(path, activity.issues[0].message.rstrip("."))
    return activity


VIDEO_SUFFIXES: Final = frozenset({".mp4", ".mov", ".m4v", ".avi", ".mkv", ".webm", ".3gp"})


def looks_like_video(path: Path) -> bool:
    """By extension, or by the first bytes (MP4/MOV ``ftyp``, Matroska/WebM, AVI)."""
    if path.suffix.lower() in VIDEO_SUFFIXES:
        return True
    try:
        with path.open("rb") as handle:
            head = handle.read(12)
    except OSError:
        return False
    return looks_like_video_bytes(head)


def looks_like_video_bytes(head: bytes) -> bool:
    """A video container by its first 12 bytes: MP4/MOV (``ftyp``), Matroska/WebM, AVI."""
    return (head[4:8] == b"ftyp" or head[:4] == b"\x1aE\xdf\xa3"
            or (head[:4] == b"RIFF" and head[8:12] == b"AVI "))


def _describe(data: bytes) -> str:
    if data[:4] == b"PK\x03\x04":
        return "it is a zip archive; use 'backstride import' for export archives"
    if looks_like_video_bytes(data):
        return "it looks like a video; videos need the video analysis"
    if data.lstrip()[:1] == b"<":
        return "it is XML, but neither TCX nor GPX"
    return "its content is not a known activity format"

"""What every source of imports shares: the items and problems yielded, the limits, and
content sniffing."""

from __future__ import annotations

import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from defusedxml import DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden

from backstride.adapters.archives.limits import GIB, MIB
from backstride.adapters.formats import detect_format, looks_like_video_bytes
from backstride.core.activity import Activity

SNIFF_BYTES: Final = 64 * 1024  # Apple's DTD alone is about 10 KB before <HealthData
GZIP_PEEK_BYTES: Final = 8192
CHUNK_BYTES: Final = 1 * MIB
ZIP_MAGIC: Final = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
ACTIVITY_SUFFIXES: Final = (".fit", ".tcx", ".gpx", ".fit.gz", ".tcx.gz", ".gpx.gz")
HOSTILE_XML: Final = (DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden)
READ_ERRORS: Final = (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError,
                       RuntimeError, ValueError)



@dataclass(frozen=True, slots=True)
class ImportItem:
    """One activity to import: exactly one of ``path``, ``data`` or ``activity`` is set.

    ``path`` is a plain file on disk (read later by a worker); ``data`` the bytes of an
    archive member, possibly gzipped; ``activity`` a workout already built here (Apple
    Health). ``name`` is what the user sees: ``export.zip!DI_CONNECT/.../123.fit``, with
    ``!`` between an archive and its member. ``activity_type`` and ``activity_name`` are
    copied from an export's index (Strava's ``activities.csv``) as written there.
    """

    name: str
    path: Path | None = None
    data: bytes | None = None
    activity: Activity | None = None
    activity_type: str | None = None
    activity_name: str | None = None
    video: bool = False  # a running video on disk (path set): analysed by the pose pipeline

    def __post_init__(self) -> None:
        n_set = sum(value is not None for value in (self.path, self.data, self.activity))
        if n_set != 1:
            raise ValueError(f"ImportItem {self.name!r} needs exactly one of path, data or "
                             f"activity; {n_set} were given")


@dataclass(frozen=True, slots=True)
class ImportProblem:
    """An input, or part of one, that was not imported: ``error`` says why and what to do."""

    name: str
    error: str


Output = ImportItem | ImportProblem



PROBLEMS: Final = {
    "empty": "the file is empty (0 bytes); export the activity again.",
    "gzip-bad": "it is a damaged gzip file; download or export it again.",
    "gzip-other": ("it is gzip-compressed, but what is inside is not a FIT, TCX or GPX "
                   "activity; nothing was imported from it."),
    "unknown": ("it is not a FIT, TCX or GPX activity, nor a Garmin, Strava or Apple Health "
                "export; pass activity files, export zips or the folders holding them."),
    "zip": "it is a zip archive, not an activity file; unzip it and import what is inside.",
    "health": ("it is an Apple Health export.xml where an activity file was expected; pass "
               "it on its own to import its running workouts."),
    "video": ("it is a video inside an archive; unzip it and import the video file itself."),
}


def content_kind(head: bytes) -> str:
    """'activity', 'zip', 'health', or a key of :data:`PROBLEMS`."""
    if not head:
        return "empty"
    if detect_format(head) is not None:
        return "activity"
    if head[:4] in ZIP_MAGIC:
        return "zip"
    if head[:2] == b"\x1f\x8b":
        try:
            inner = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS).decompress(
                head, GZIP_PEEK_BYTES)
        except zlib.error:
            return "gzip-bad"
        return "activity" if detect_format(inner) is not None else "gzip-other"
    if b"<HealthData" in head:
        return "health"
    if looks_like_video_bytes(head):
        return "video"
    return "unknown"


def claims_activity(name: str) -> bool:
    return name.lower().endswith((*ACTIVITY_SUFFIXES, ".zip"))


def read_head(path: Path) -> bytes:
    with path.open("rb") as handle:
        return handle.read(SNIFF_BYTES)


def size_text(n: float) -> str:
    if n >= GIB:
        return f"{n / GIB:.3g} GiB"
    if n >= MIB:
        return f"{n / MIB:.3g} MiB"
    if n >= 1024:
        return f"{n / 1024:.3g} KiB"
    return f"{n:.0f} bytes"



@dataclass(frozen=True, slots=True)
class Meta:
    """What an export's index says about one file."""

    activity_type: str | None = None
    activity_name: str | None = None

def hidden(part: str) -> bool:
    return (part.startswith(".") and part != ".") or part == "__MACOSX"

"""What ``backstride import`` reads: files, folders and the export archives of watch services.

:func:`iter_import_items` walks the paths it is given and yields, in a deterministic order,
one :class:`ImportItem` per activity to decode, or an :class:`ImportProblem` saying what is
wrong with one input and what to do. Nothing is ever extracted to disk: zip members are read
into memory with size caps, and Apple Health's ``export.xml`` (gigabytes) is streamed.

Layouts (details in ``docs/imports.md``):

* **Garmin Connect data export**: a zip with ``DI_CONNECT/...``; the activities are zips of
  FIT files in ``DI_CONNECT/DI-Connect-Uploaded-Files/UploadedFiles_*.zip`` (older exports:
  ``DI-Connect-Fitness-Uploaded-Files``). Only those folders are read; the wellness JSON and
  the rest are skipped.
* **Strava bulk export**: ``activities.csv`` plus ``activities/`` (``.fit.gz``, ``.gpx.gz``,
  ``.tcx.gz``, plain ``.gpx``...), zipped or unzipped. The csv's filename, type and name
  columns are found by header (English or German) or, for the filename, by content; only the
  files it lists are imported. Without a usable csv every activity file in ``activities/`` is.
* **Apple Health** ``export.zip`` (``apple_health_export/export.xml``), or the unzipped
  folder, or ``export.xml`` itself: each running workout becomes an :class:`Activity`
  (format ``"apple_health"``) built here from the records inside its time span.
* **Any other zip**: its ``.fit``/``.tcx``/``.gpx`` members (optionally ``.gz``), and zips
  nested inside it, up to :data:`MAX_NESTING` levels.

Limits (module constants): one member at most :data:`MAX_MEMBER_BYTES` uncompressed and at
most :data:`MAX_RATIO` times its compressed size (zip bomb; members under
:data:`RATIO_FLOOR_BYTES` are exempt); at most :data:`MAX_ARCHIVE_BYTES` of activity data per
archive; ``export.xml`` at most :data:`MAX_HEALTH_XML_BYTES`, streamed; only stored and
deflated members; member paths that are absolute or climb out with ``..`` are reported and
skipped; XML that declares entities is refused (Apple's internal DTD, which only declares
elements and attributes, is allowed).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import os
import posixpath
import xml.etree.ElementTree as ET  # only for the Element and ParseError types
import zipfile
import zlib
from array import array
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Final

import defusedxml.ElementTree as safe_et
import numpy as np
from defusedxml import DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden

from backstride.adapters.formats import detect_format, looks_like_video_bytes
from backstride.core.activity import RUNNING, Activity, Session
from backstride.core.types import BoolArray, FloatArray, IntArray, Issue

__all__ = [
    "MAX_ARCHIVE_BYTES", "MAX_DIRECTORY_BYTES", "MAX_HEALTH_XML_BYTES", "MAX_MEMBERS",
    "MAX_MEMBER_BYTES", "MAX_NESTING", "MAX_RATIO", "RATIO_FLOOR_BYTES", "ImportItem",
    "ImportProblem", "iter_import_items",
]

MIB: Final = 1024**2
GIB: Final = 1024**3

MAX_ARCHIVE_BYTES: Final = 2 * GIB
"""Activity data read from one archive, nested zips included (``export.xml`` not counted)."""
MAX_HEALTH_XML_BYTES: Final = 8 * GIB
"""Apple Health ``export.xml``, streamed: time, not memory, is what this bounds."""
MAX_MEMBER_BYTES: Final = 512 * MIB
"""One archive member, uncompressed (a nested zip is held in memory while it is read)."""
MAX_RATIO: Final = 200
"""Uncompressed / compressed size of one member; FIT, GPX, TCX and XML stay far below."""
RATIO_FLOOR_BYTES: Final = 1 * MIB
"""Members smaller than this are never refused for their ratio: they cannot hurt."""
MAX_NESTING: Final = 3
"""Zip levels read: the export, the zips inside it, and one more."""
MAX_MEMBERS: Final = 200_000
"""Entries in one zip's directory."""
MAX_DIRECTORY_BYTES: Final = 64 * MIB
"""A zip's central directory, checked before it is loaded (each entry costs memory)."""
MAX_CSV_BYTES: Final = 64 * MIB
"""Strava's ``activities.csv``."""

_SNIFF_BYTES: Final = 64 * 1024  # Apple's DTD alone is about 10 KB before <HealthData
_GZIP_PEEK_BYTES: Final = 8192
_CHUNK: Final = 1 * MIB
_ZIP_MAGIC: Final = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
_ACTIVITY_SUFFIXES: Final = (".fit", ".tcx", ".gpx", ".fit.gz", ".tcx.gz", ".gpx.gz")
_HOSTILE_XML: Final = (DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden)
_READ_ERRORS: Final = (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError,
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


def iter_import_items(paths: Sequence[Path]) -> Iterator[ImportItem | ImportProblem]:
    """Everything to import from ``paths`` (files, folders, export zips), in a stable order.

    Paths are taken in the order given; folders are walked in sorted order, skipping hidden
    files; archive members come sorted by name; Apple Health workouts by start time.
    Nothing raises for bad input: each problem is yielded as an :class:`ImportProblem`.
    """
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            skipped: list[str] = []
            yield from _iter_folder(path, path, skipped)
            if skipped:
                yield ImportProblem(str(path), (
                    f"{len(skipped)} files here are neither activities nor exports and were "
                    f"skipped (first: {skipped[0]}); nothing to do unless you expected them "
                    "to import."))
        elif path.exists():
            yield from _iter_file(path, None)
        else:
            yield ImportProblem(str(path), "it does not exist; check the path and try again.")


# --- sniffing -------------------------------------------------------------------------------

_PROBLEMS: Final = {
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


def _content_kind(head: bytes) -> str:
    """'activity', 'zip', 'health', or a key of :data:`_PROBLEMS`."""
    if not head:
        return "empty"
    if detect_format(head) is not None:
        return "activity"
    if head[:4] in _ZIP_MAGIC:
        return "zip"
    if head[:2] == b"\x1f\x8b":
        try:
            inner = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS).decompress(
                head, _GZIP_PEEK_BYTES)
        except zlib.error:
            return "gzip-bad"
        return "activity" if detect_format(inner) is not None else "gzip-other"
    if b"<HealthData" in head:
        return "health"
    if looks_like_video_bytes(head):
        return "video"
    return "unknown"


def _claims_activity(name: str) -> bool:
    return name.lower().endswith((*_ACTIVITY_SUFFIXES, ".zip"))


def _read_head(path: Path) -> bytes:
    with path.open("rb") as handle:
        return handle.read(_SNIFF_BYTES)


def _size(n: float) -> str:
    if n >= GIB:
        return f"{n / GIB:.3g} GiB"
    if n >= MIB:
        return f"{n / MIB:.3g} MiB"
    if n >= 1024:
        return f"{n / 1024:.3g} KiB"
    return f"{n:.0f} bytes"


# --- plain files and folders ----------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class _Meta:
    """What an export's index says about one file."""

    activity_type: str | None = None
    activity_name: str | None = None


def _iter_file(path: Path, skipped: list[str] | None, meta: _Meta | None = None,
               shown: str | None = None) -> Iterator[Output]:
    """A file on disk; in a folder walk (``skipped`` given) unrelated files are only counted."""
    name = str(path)
    try:
        head = _read_head(path)
    except OSError as exc:
        yield ImportProblem(name, f"it cannot be read ({exc.strerror or exc}); check its "
                                  "permissions and try again.")
        return
    kind = _content_kind(head)
    if kind == "activity":
        meta = meta or _Meta()
        yield ImportItem(name=name, path=path, activity_type=meta.activity_type,
                         activity_name=meta.activity_name)
    elif kind == "video":
        yield ImportItem(name=name, path=path, video=True)
    elif kind == "zip":
        yield from _iter_zip_path(path)
    elif kind == "health":
        yield from _iter_health_file(path)
    elif skipped is not None and not _claims_activity(path.name):
        skipped.append(shown or path.name)
    else:
        yield ImportProblem(name, _PROBLEMS[kind])


def _is_health(path: Path) -> bool:
    try:
        return _content_kind(_read_head(path)) == "health"
    except OSError:
        return False


def _hidden(part: str) -> bool:
    return (part.startswith(".") and part != ".") or part == "__MACOSX"


def _iter_folder(folder: Path, top: Path, skipped: list[str]) -> Iterator[Output]:
    if (folder / "activities.csv").is_file():
        yield from _iter_strava_folder(folder)
        return
    health = folder / "export.xml"
    if health.is_file() and _is_health(health):
        yield from _iter_health_file(health)  # the rest (workout-routes/*.gpx...) repeats it
        return
    try:
        entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
    except OSError as exc:
        yield ImportProblem(str(folder), f"the folder cannot be read ({exc.strerror or exc}); "
                                         "check its permissions and try again.")
        return
    if folder.name.casefold() == "di_connect":  # an unzipped Garmin export: uploads only
        uploads = [e for e in entries if "uploaded-files" in e.name.casefold() and e.is_dir()]
        entries = uploads or entries
    for entry in entries:
        if _hidden(entry.name):
            continue
        path = Path(entry.path)
        if entry.is_dir(follow_symlinks=False):
            yield from _iter_folder(path, top, skipped)
        elif entry.is_file():
            yield from _iter_file(path, skipped, shown=path.relative_to(top).as_posix())


# --- zip archives ---------------------------------------------------------------------------

class _MemberError(Exception):
    """One member cannot be used; the message is the ImportProblem's error."""


class _ArchiveStop(Exception):
    """The archive's budget is spent: stop reading it."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(message)
        self.name = name
        self.message = message


@dataclass(slots=True)
class _Budget:
    used: int = 0


@dataclass(slots=True)
class _Archive:
    zf: zipfile.ZipFile
    label: str  # "export.zip" or "export.zip!inner.zip"
    depth: int  # 1 for the archive the user passed
    budget: _Budget
    seen: set[bytes] = field(default_factory=set)  # digests of members already yielded

    def member(self, info: zipfile.ZipInfo) -> str:
        return f"{self.label}!{info.filename}"


def _iter_zip_path(path: Path) -> Iterator[Output]:
    label = str(path)
    try:
        handle = path.open("rb")
    except OSError as exc:
        yield ImportProblem(label, f"it cannot be read ({exc.strerror or exc}); check its "
                                   "permissions and try again.")
        return
    with handle:
        try:
            archive = _open_zip(handle)
        except _MemberError as exc:
            yield ImportProblem(label, str(exc))
            return
        with archive:
            try:
                yield from _iter_zip(_Archive(archive, label, 1, _Budget()))
            except _ArchiveStop as stop:
                yield ImportProblem(stop.name, stop.message)


def _directory_bytes(handle: IO[bytes]) -> int | None:
    """The central directory's size as the zip's end record declares it (zip64 included)."""
    size = handle.seek(0, os.SEEK_END)
    handle.seek(max(0, size - 65536 - 22))
    tail = handle.read()
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) < at + 22:
        return None
    declared = int.from_bytes(tail[at + 12 : at + 16], "little")
    locator = tail.rfind(b"PK\x06\x07", 0, at)
    if declared == 0xFFFFFFFF and locator >= 0 and len(tail) >= locator + 20:
        handle.seek(int.from_bytes(tail[locator + 8 : locator + 16], "little"))
        record = handle.read(56)
        if record[:4] == b"PK\x06\x06" and len(record) == 56:
            declared = int.from_bytes(record[40:48], "little")
    return declared


def _open_zip(handle: IO[bytes]) -> zipfile.ZipFile:
    """A zip read from ``handle`` (left open); :class:`_MemberError` when damaged or huge."""
    try:
        directory = _directory_bytes(handle)
        if directory is not None and directory > MAX_DIRECTORY_BYTES:
            raise _MemberError(
                f"its file list takes {_size(directory)}, above the "
                f"{_size(MAX_DIRECTORY_BYTES)} backstride reads (millions of entries: a "
                "possible zip bomb); unzip it and import the folders that hold activities.")
        return zipfile.ZipFile(handle)
    except (zipfile.BadZipFile, EOFError, OSError, ValueError) as exc:
        raise _MemberError(f"it is a damaged zip archive ({exc}); download the export "
                           "again.") from exc


def _unsafe(name: str) -> bool:
    name = name.replace("\\", "/")
    return name.startswith("/") or name[1:2] == ":" or ".." in name.split("/")


def _iter_zip(arch: _Archive) -> Iterator[Output]:
    infos = sorted((i for i in arch.zf.infolist() if not i.is_dir()), key=lambda i: i.filename)
    if len(infos) > MAX_MEMBERS:
        yield ImportProblem(arch.label, (
            f"it lists {len(infos)} files, more than the {MAX_MEMBERS} backstride reads from "
            "one archive; unzip it and import the folders that hold activities."))
        return
    safe: list[zipfile.ZipInfo] = []
    n_out = 0
    for info in infos:
        if _unsafe(info.filename):
            n_out += 1
            yield ImportProblem(arch.member(info), (
                "unsafe path (absolute, or climbing out of the archive with '..'); skipped. "
                "Nothing is extracted to disk, but no watch service writes such paths: check "
                "where this archive came from."))
        elif not any(_hidden(part) for part in info.filename.split("/")):
            safe.append(info)
    for out in _dispatch(arch, safe):
        n_out += 1
        yield out
    if n_out == 0:
        yield ImportProblem(arch.label, (
            "it holds no FIT, TCX or GPX files and is not a Garmin, Strava or Apple Health "
            "export; nothing was imported from it."))


def _basename(info: zipfile.ZipInfo) -> str:
    return posixpath.basename(info.filename).casefold()


def _dispatch(arch: _Archive, infos: list[zipfile.ZipInfo]) -> Iterator[Output]:
    health = [info for info in infos if _basename(info) == "export.xml"]
    if health:
        for info in health:
            yield from _iter_health_member(arch, info)
        return
    strava = [info for info in infos if _basename(info) == "activities.csv"]
    if strava:
        index_info = min(strava, key=lambda i: (i.filename.count("/"), i.filename))
        yield from _iter_strava_zip(arch, infos, index_info)
        return
    yield from _iter_members(arch, _garmin_members(infos))


def _garmin_members(infos: list[zipfile.ZipInfo]) -> list[zipfile.ZipInfo]:
    """In a Garmin export only the uploaded-files folders hold activities."""
    if not any(info.filename.casefold().startswith("di_connect/") for info in infos):
        return infos
    uploaded = [info for info in infos if "uploaded-files/" in info.filename.casefold()]
    return uploaded or infos


def _iter_members(arch: _Archive, infos: Sequence[zipfile.ZipInfo]) -> Iterator[Output]:
    for info in infos:
        lower = info.filename.lower()
        if lower.endswith(".zip"):
            yield from _iter_nested(arch, info)
        elif lower.endswith(_ACTIVITY_SUFFIXES):
            yield from _member_item(arch, info, _Meta())


def _iter_nested(arch: _Archive, info: zipfile.ZipInfo) -> Iterator[Output]:
    name = arch.member(info)
    if arch.depth >= MAX_NESTING:
        yield ImportProblem(name, (f"it is a zip nested more than {MAX_NESTING} levels deep; "
                                   "skipped. Unzip it and import the folder."))
        return
    try:
        inner = _open_zip(io.BytesIO(_read_member(arch, info, MAX_MEMBER_BYTES, charge=False)))
    except _MemberError as exc:
        yield ImportProblem(name, str(exc))
        return
    with inner:
        yield from _iter_zip(_Archive(inner, name, arch.depth + 1, arch.budget, arch.seen))


def _check_member(info: zipfile.ZipInfo, limit: int) -> None:
    if info.flag_bits & 0x1:
        raise _MemberError("it is encrypted (password-protected); unzip it with its password "
                           "and import the files.")
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise _MemberError(f"it is compressed with zip method {info.compress_type}, which "
                           "backstride does not read; unzip the archive and import the folder.")
    if info.file_size > limit:
        raise _MemberError(f"it is {_size(info.file_size)} uncompressed, above the "
                           f"{_size(limit)} limit for one archive member; skipped. Unzip it "
                           "and import what is inside if it holds activities.")
    if info.file_size > RATIO_FLOOR_BYTES and info.file_size > MAX_RATIO * max(
            info.compress_size, 1):
        ratio = info.file_size / max(info.compress_size, 1)
        raise _MemberError(f"it would expand {ratio:.0f} times ({_size(info.compress_size)} to "
                           f"{_size(info.file_size)}), above the {MAX_RATIO}:1 limit for a zip "
                           "member (a possible zip bomb); skipped. Check where the archive "
                           "came from.")


def _read_member(arch: _Archive, info: zipfile.ZipInfo, limit: int, *,
                 charge: bool = True) -> bytes:
    """The member's bytes, never more than its header declares (a lying header is damage)."""
    _check_member(info, limit)
    if charge:
        if arch.budget.used + info.file_size > MAX_ARCHIVE_BYTES:
            raise _ArchiveStop(arch.member(info), (
                f"the archive holds more than {_size(MAX_ARCHIVE_BYTES)} of activity data, the "
                "most backstride reads from one archive; the import stopped here. Unzip it "
                "and import its folders one at a time."))
        arch.budget.used += info.file_size
    chunks: list[bytes] = []
    total = 0
    try:
        with arch.zf.open(info) as handle:
            while chunk := handle.read(_CHUNK):
                total += len(chunk)
                if total > info.file_size:
                    raise _MemberError("it holds more data than its zip header declares; "
                                       "skipped. Download the export again.")
                chunks.append(chunk)
    except _READ_ERRORS as exc:
        raise _MemberError(f"it is damaged inside the archive ({exc}); download the export "
                           "again.") from exc
    return b"".join(chunks)


def _member_item(arch: _Archive, info: zipfile.ZipInfo, meta: _Meta) -> Iterator[Output]:
    name = arch.member(info)
    try:
        data = _read_member(arch, info, MAX_MEMBER_BYTES)
    except _MemberError as exc:
        yield ImportProblem(name, str(exc))
        return
    kind = _content_kind(data[:_SNIFF_BYTES])
    if kind != "activity":
        yield ImportProblem(name, _PROBLEMS[kind])
        return
    digest = hashlib.sha256(data).digest()
    if digest in arch.seen:  # the same file twice in one export: import it once
        return
    arch.seen.add(digest)
    yield ImportItem(name=name, data=data, activity_type=meta.activity_type,
                     activity_name=meta.activity_name)


# --- Strava ---------------------------------------------------------------------------------

_FILENAME_HEADERS: Final = frozenset({"filename", "file name", "dateiname"})
_TYPE_HEADERS: Final = frozenset({"activity type", "aktivitätsart", "type"})
_NAME_HEADERS: Final = frozenset({"activity name", "name der aktivität", "name"})


def _column(keys: list[str], wanted: frozenset[str]) -> int | None:
    return next((i for i, key in enumerate(keys) if key in wanted), None)


def _cell(row: list[str], col: int | None) -> str | None:
    if col is None or col >= len(row):
        return None
    return row[col].strip() or None


def _strava_index(raw: bytes) -> dict[str, _Meta] | None:
    """activities.csv as {relative file name: type and name}; None when it is unusable.

    Columns vary with the export's language and age, so only the header names matter; the
    filename column is also recognised by its values (``activities/...``). Rows without a
    file (manual entries) are left out.
    """
    try:
        rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig", errors="replace"))))
    except csv.Error:
        return None
    if not rows:
        return None
    keys = [key.strip().casefold() for key in rows[0]]
    body = rows[1:]
    file_col = _column(keys, _FILENAME_HEADERS)
    if file_col is None:
        file_col = next((i for i in range(len(keys)) if any(
            (_cell(row, i) or "").casefold().startswith("activities/") for row in body)), None)
    if file_col is None:
        return None
    type_col, name_col = _column(keys, _TYPE_HEADERS), _column(keys, _NAME_HEADERS)
    index: dict[str, _Meta] = {}
    for row in body:
        rel = _cell(row, file_col)
        if rel:
            index[rel.replace("\\", "/")] = _Meta(_cell(row, type_col), _cell(row, name_col))
    return index


@dataclass(frozen=True, slots=True)
class _StravaPlan:
    chosen: list[tuple[str, _Meta]]  # available names to import, with what the csv says
    missing: list[str]  # listed in the csv, absent
    unsafe: list[str]  # listed in the csv with an absolute or climbing path


def _strava_plan(index: dict[str, _Meta] | None, available: Sequence[str]) -> _StravaPlan:
    """Which files to import, given the csv and the names (relative to the csv's folder)."""
    if index is None:
        chosen = [(name, _Meta()) for name in sorted(available)
                  if name.casefold().startswith("activities/")
                  and name.lower().endswith(_ACTIVITY_SUFFIXES)]
        return _StravaPlan(chosen, [], [])
    by_key = {name.casefold(): name for name in available}
    plan = _StravaPlan([], [], [])
    for rel in sorted(index):
        real = by_key.get(rel.casefold())
        if _unsafe(rel):
            plan.unsafe.append(rel)
        elif real is None:
            plan.missing.append(rel)
        else:
            plan.chosen.append((real, index[rel]))
    return plan


def _strava_problems(plan: _StravaPlan, where: str,
                     name_of: Callable[[str], str]) -> Iterator[ImportProblem]:
    for rel in plan.unsafe:
        yield ImportProblem(name_of(rel), (
            "activities.csv names an unsafe path (absolute, or climbing out of the export "
            "with '..'); skipped. Check where this export came from."))
    if plan.missing:
        yield ImportProblem(where, (
            f"{len(plan.missing)} files listed in activities.csv are not in the export (first: "
            f"{plan.missing[0]}); the export may be incomplete: download it again from Strava."))


def _iter_strava_zip(arch: _Archive, infos: list[zipfile.ZipInfo],
                     index_info: zipfile.ZipInfo) -> Iterator[Output]:
    prefix = posixpath.dirname(index_info.filename)
    try:
        index = _strava_index(_read_member(arch, index_info, MAX_CSV_BYTES))
    except _MemberError as exc:
        yield ImportProblem(arch.member(index_info), f"{exc} The activity files are imported "
                                                     "without it.")
        index = None
    start = len(prefix) + 1 if prefix else 0
    available = {info.filename[start:]: info for info in infos
                 if not prefix or info.filename.startswith(prefix + "/")}
    plan = _strava_plan(index, list(available))
    yield from _strava_problems(plan, arch.member(index_info),
                                lambda rel: f"{arch.label}!{posixpath.join(prefix, rel)}")
    for rel, meta in plan.chosen:
        yield from _member_item(arch, available[rel], meta)


def _files_under(folder: Path) -> list[str]:
    """Relative POSIX names of the non-hidden files below ``folder``, symlinks not followed."""
    names: list[str] = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if not _hidden(d)]
        base = Path(root).relative_to(folder)
        names.extend((base / f).as_posix() for f in files if not _hidden(f))
    return sorted(names)


def _iter_strava_folder(folder: Path) -> Iterator[Output]:
    csv_path = folder / "activities.csv"
    index = None
    try:
        if csv_path.stat().st_size <= MAX_CSV_BYTES:
            index = _strava_index(csv_path.read_bytes())
    except OSError as exc:
        yield ImportProblem(str(csv_path), f"it cannot be read ({exc.strerror or exc}); the "
                                           "activity files are imported without it.")
    available = [f"activities/{name}" for name in _files_under(folder / "activities")]
    plan = _strava_plan(index, available)
    yield from _strava_problems(plan, str(csv_path), lambda rel: str(folder / rel))
    for rel, meta in plan.chosen:
        yield from _iter_file(folder / rel, None, meta)


# --- Apple Health ---------------------------------------------------------------------------

_HK: Final = "HKQuantityTypeIdentifier"
_LENGTH_M: Final = {"m": 1.0, "cm": 0.01, "mm": 0.001, "km": 1000.0, "in": 0.0254,
                    "ft": 0.3048, "yd": 0.9144, "mi": 1609.344}
_KINDS: Final[dict[str, tuple[str, Mapping[str, float]]]] = {
    f"{_HK}RunningGroundContactTime": ("ground_contact_time_s", {"ms": 1e-3, "s": 1.0}),
    f"{_HK}RunningVerticalOscillation": ("vertical_oscillation_m", _LENGTH_M),
    f"{_HK}RunningStrideLength": ("step_length_m", _LENGTH_M),  # Apple: one step's length
    f"{_HK}RunningPower": ("power_w", {"W": 1.0, "kW": 1000.0}),
    f"{_HK}RunningSpeed": ("speed_mps", {"m/s": 1.0, "km/hr": 1 / 3.6, "km/h": 1 / 3.6,
                                         "mi/hr": 0.44704, "mph": 0.44704, "ft/s": 0.3048,
                                         "m/min": 1 / 60}),
    f"{_HK}StepCount": ("cadence_spm", {"count": 1.0}),  # steps, turned into steps/min
    f"{_HK}DistanceWalkingRunning": ("distance_m", _LENGTH_M),  # per record, summed
    f"{_HK}HeartRate": ("heart_rate_bpm", {"count/min": 1.0, "count/s": 60.0}),
}
_RUNNING_WORKOUT: Final = "HKWorkoutActivityTypeRunning"
_DURATION_S: Final = {"min": 60.0, "s": 1.0, "hr": 3600.0, "ms": 1e-3}
_PAUSE: Final = frozenset({"HKWorkoutEventTypePause", "HKWorkoutEventTypeMotionPaused"})
_RESUME: Final = frozenset({"HKWorkoutEventTypeResume", "HKWorkoutEventTypeMotionResumed"})


def _short(kind: str) -> str:
    return kind.removeprefix(_HK)


def _epoch(text: str) -> float:
    """Apple's "2024-05-01 06:30:00 +0200" as UNIX seconds; ValueError without an offset."""
    stamp = datetime.fromisoformat(text[:19] + text[19:].replace(" ", ""))
    if stamp.tzinfo is None:
        raise ValueError(f"no UTC offset in {text!r}")
    return stamp.timestamp()


class _Records:
    """The kept records, compactly: 32 bytes each, whatever the export's size."""

    def __init__(self) -> None:
        self.columns = {kind: (array("d"), array("d"), array("d"), array("q")) for kind in _KINDS}
        self.sources: dict[str, int] = {}
        self.unknown: dict[tuple[str, str], array[float]] = {}  # (type, unit) -> midpoints

    def add(self, attrib: Mapping[str, str]) -> None:
        kind = attrib.get("type", "")
        spec = _KINDS.get(kind)
        if spec is None:
            return
        try:
            start, end = _epoch(attrib["startDate"]), _epoch(attrib["endDate"])
            value = float(attrib["value"])
        except (KeyError, ValueError):
            return  # a record without times or value cannot be placed: left out
        unit = attrib.get("unit", "")
        factor = spec[1].get(unit)
        if factor is None:
            self.unknown.setdefault((kind, unit), array("d")).append((start + end) / 2)
            return
        if not math.isfinite(value) or end < start:
            return
        source = self.sources.setdefault(attrib.get("sourceName", ""), len(self.sources))
        starts, ends, values, sources = self.columns[kind]
        starts.append(start)
        ends.append(end)
        values.append(value * factor)
        sources.append(source)


@dataclass(frozen=True, slots=True)
class _Workout:
    attrs: tuple[tuple[str, str], ...]  # every attribute, sorted: part of the fingerprint
    start: float
    end: float
    start_text: str
    duration_s: float | None
    distance_m: float | None
    source: str | None
    indoor: bool
    pauses: tuple[tuple[float, float], ...]
    issues: tuple[Issue, ...]


def _workout_distance(elem: ET.Element, issues: list[Issue]) -> float | None:
    """totalDistance (older exports) or the DistanceWalkingRunning statistic (newer ones)."""
    value, unit = elem.get("totalDistance"), elem.get("totalDistanceUnit")
    if value is None:
        for stat in elem.iter("WorkoutStatistics"):
            if stat.get("type") == f"{_HK}DistanceWalkingRunning":
                value, unit = stat.get("sum"), stat.get("unit")
                break
    if value is None:
        return None
    factor = _LENGTH_M.get(unit or "")
    if factor is None:
        issues.append(Issue(code="apple_health_unknown_unit", message=(
            f"The workout's total distance uses the unit '{unit}', which backstride does not "
            "convert; the distance from the records is used instead.")))
        return None
    try:
        return float(value) * factor
    except ValueError:
        return None


def _workout_duration(elem: ET.Element) -> float | None:
    factor = _DURATION_S.get(elem.get("durationUnit") or "")
    try:
        return float(elem.get("duration") or "") * factor if factor else None
    except ValueError:
        return None


def _pauses(elem: ET.Element, start: float, end: float) -> tuple[tuple[float, float], ...]:
    """(from_s, to_s) with the workout paused, from its pause/resume events."""
    out: list[tuple[float, float]] = []
    paused_at: float | None = None
    for event in elem.iter("WorkoutEvent"):
        try:
            at = _epoch(event.get("date") or "")
        except ValueError:
            continue
        kind = event.get("type")
        if kind in _PAUSE and paused_at is None:
            paused_at = at
        elif kind in _RESUME and paused_at is not None:
            out.append((paused_at - start, at - start))
            paused_at = None
    if paused_at is not None:
        out.append((paused_at - start, end - start))
    return tuple(out)


def _workout(elem: ET.Element) -> _Workout | None:
    """A running workout, or None for other workouts (and ones without usable dates)."""
    if elem.get("workoutActivityType") != _RUNNING_WORKOUT:
        return None
    try:
        start, end = _epoch(elem.get("startDate") or ""), _epoch(elem.get("endDate") or "")
    except ValueError:
        return None
    issues: list[Issue] = []
    distance = _workout_distance(elem, issues)
    indoor = any(entry.get("key") == "HKIndoorWorkout" and entry.get("value") == "1"
                 for entry in elem.iter("MetadataEntry"))
    return _Workout(
        attrs=tuple(sorted(elem.attrib.items())), start=start, end=end,
        start_text=elem.get("startDate") or "", duration_s=_workout_duration(elem),
        distance_m=distance, source=elem.get("sourceName"), indoor=indoor,
        pauses=_pauses(elem, start, end), issues=tuple(issues),
    )


@dataclass(slots=True)
class _Parsed:
    workouts: list[_Workout] = field(default_factory=list)
    records: _Records = field(default_factory=_Records)
    error: str | None = None  # the export stops being readable here


_N: Final = "\x00n\x00"  # where an error message gets the number of workouts imported


class _TooLarge(Exception):
    pass


class _Capped:
    """A read-only stream that refuses to deliver more than ``limit`` bytes."""

    def __init__(self, handle: IO[bytes], limit: int) -> None:
        self.handle, self.limit, self.total = handle, limit, 0

    def read(self, n: int = -1) -> bytes:
        data = self.handle.read(n if n >= 0 else _CHUNK)
        self.total += len(data)
        if self.total > self.limit:
            raise _TooLarge
        return data


def _parse_health(stream: _Capped) -> _Parsed:
    """Stream export.xml, keeping running workouts and the record types in ``_KINDS``.

    Only children of the root are looked at (Records inside a Correlation repeat top-level
    ones); each is dropped from the tree as soon as it is read, so memory holds the kept
    records only. Hostile XML (entities, external references) raises.
    """
    parsed = _Parsed()
    depth = 0
    root: ET.Element | None = None
    try:
        for event, elem in safe_et.iterparse(stream, events=("start", "end"), forbid_dtd=False,
                                             forbid_entities=True, forbid_external=True):
            if event == "start":
                depth += 1
                root = elem if root is None else root
                continue
            depth -= 1
            if depth != 1:
                continue
            if elem.tag == "Record":
                parsed.records.add(elem.attrib)
            elif elem.tag == "Workout" and (workout := _workout(elem)) is not None:
                parsed.workouts.append(workout)
            if root is not None:
                root.clear()  # drops the element just read: memory stays flat
    except ET.ParseError as exc:
        line, column = exc.position
        parsed.error = (f"export.xml is cut off or damaged at line {line}, column {column}; "
                        "export again from the Health app to import the rest (running workouts "
                        f"imported from before that point: {_N}).")
    except _HOSTILE_XML:
        raise  # refused whole by the caller (these are ValueErrors too)
    except _TooLarge:
        parsed.error = (f"export.xml is larger than {_size(MAX_HEALTH_XML_BYTES)}, the most "
                        "backstride reads; export a shorter period to import the rest (running "
                        f"workouts imported from before that point: {_N}).")
    except _READ_ERRORS as exc:  # the zip member itself is damaged
        parsed.error = (f"export.xml is damaged inside the archive ({exc}); export again from "
                        "the Health app to import the rest (running workouts imported from "
                        f"before that point: {_N}).")
    return parsed


def _iter_health_file(path: Path) -> Iterator[Output]:
    label = str(path)
    try:
        size = path.stat().st_size
        if size > MAX_HEALTH_XML_BYTES:
            yield ImportProblem(label, (
                f"it is {_size(size)}, above the {_size(MAX_HEALTH_XML_BYTES)} backstride "
                "reads from an Apple Health export; export a shorter period and try again."))
            return
        with path.open("rb") as handle:
            yield from _iter_health_stream(_Capped(handle, MAX_HEALTH_XML_BYTES), label)
    except OSError as exc:
        yield ImportProblem(label, f"it cannot be read ({exc.strerror or exc}); check its "
                                   "permissions and try again.")


def _iter_health_member(arch: _Archive, info: zipfile.ZipInfo) -> Iterator[Output]:
    label = arch.member(info)
    try:
        _check_member(info, MAX_HEALTH_XML_BYTES)
        handle = arch.zf.open(info)
    except _MemberError as exc:
        yield ImportProblem(label, str(exc))
        return
    except _READ_ERRORS as exc:
        yield ImportProblem(label, f"it is damaged inside the archive ({exc}); download the "
                                   "export again.")
        return
    with handle:
        yield from _iter_health_stream(_Capped(handle, MAX_HEALTH_XML_BYTES), label)


def _iter_health_stream(stream: _Capped, label: str) -> Iterator[Output]:
    try:
        parsed = _parse_health(stream)
    except _HOSTILE_XML as exc:
        yield ImportProblem(label, (
            f"export.xml declares an XML entity or external reference ({exc}), which backstride "
            "never expands (a possible XML bomb); nothing was imported. Apple's exports never "
            "do this: export again from the Health app."))
        return
    columns = _sorted_columns(parsed.records)
    unknown = {key: np.sort(np.frombuffer(mids, dtype=np.float64))
               for key, mids in parsed.records.unknown.items()}
    names = {index: name for name, index in parsed.records.sources.items()}
    n_built = 0
    for workout in sorted(parsed.workouts, key=lambda w: (w.start, w.attrs)):
        out = _build_workout(workout, columns, unknown, names, label)
        n_built += isinstance(out, ImportItem)
        yield out
    if parsed.error is not None:
        yield ImportProblem(label, parsed.error.replace(_N, str(n_built)))
    elif not parsed.workouts:
        yield ImportProblem(label, "the Apple Health export holds no running workouts; "
                                   "nothing to import from it.")


@dataclass(frozen=True, slots=True)
class _Column:
    """One record type, sorted by (start, end, value)."""

    start: FloatArray
    end: FloatArray
    value: FloatArray
    source: IntArray

    def within(self, t0: float, t1: float) -> _Column:
        """Records starting and ending inside [t0, t1]."""
        lo = int(np.searchsorted(self.start, t0, side="left"))
        hi = int(np.searchsorted(self.start, t1, side="right"))
        keep = self.end[lo:hi] <= t1
        return _Column(self.start[lo:hi][keep], self.end[lo:hi][keep],
                       self.value[lo:hi][keep], self.source[lo:hi][keep])

    def only(self, mask: BoolArray) -> _Column:
        return _Column(self.start[mask], self.end[mask], self.value[mask], self.source[mask])


def _sorted_columns(records: _Records) -> dict[str, _Column]:
    out: dict[str, _Column] = {}
    for kind, (starts, ends, values, sources) in records.columns.items():
        start = np.frombuffer(starts, dtype=np.float64)
        end = np.frombuffer(ends, dtype=np.float64)
        value = np.frombuffer(values, dtype=np.float64)
        order = np.lexsort((value, end, start))
        out[kind] = _Column(start[order], end[order], value[order],
                            np.frombuffer(sources, dtype=np.int64)[order])
    return out


def _one_source(kind: str, column: _Column, preferred: str | None,
                names: Mapping[int, str]) -> tuple[_Column, Issue | None]:
    """Records of one source only (iPhone and Watch both count steps during a run)."""
    ids, counts = np.unique(column.source, return_counts=True)
    if ids.size <= 1:
        return column, None
    by_name = {names[int(i)]: int(i) for i in ids}
    chosen = by_name.get(preferred or "", int(ids[np.argmax(counts)]))
    listed = ", ".join(sorted(by_name))
    return column.only(column.source == chosen), Issue(
        code="apple_health_several_sources",
        message=(f"{_short(kind)} came from {ids.size} sources ({listed}); only "
                 f"{names[chosen]}'s records were used so nothing is counted twice."))


def _unknown_issues(unknown: Mapping[tuple[str, str], FloatArray],
                    workout: _Workout) -> list[Issue]:
    issues = []
    for (kind, unit), mids in sorted(unknown.items()):
        n = int(np.searchsorted(mids, workout.end, side="right")
                - np.searchsorted(mids, workout.start, side="left"))
        if n:
            issues.append(Issue(code="apple_health_unknown_unit", message=(
                f"{n} {_short(kind)} records use the unit '{unit}', which backstride does not "
                "convert; they were left out. Please report the unit so it can be added.")))
    return issues


def _place(t_s: FloatArray, mids: FloatArray, values: FloatArray) -> FloatArray:
    """Values on the merged axis, NaN elsewhere; records sharing a midpoint are averaged."""
    idx = np.searchsorted(t_s, mids)
    sums = np.zeros(t_s.size)
    counts = np.zeros(t_s.size)
    np.add.at(sums, idx, values)
    np.add.at(counts, idx, 1.0)
    out = np.full(t_s.size, np.nan)
    has = counts > 0
    out[has] = sums[has] / counts[has]
    return out


@dataclass(slots=True)
class _Points:
    """Per series: sample times (s since the workout's start) and SI values."""

    series: dict[str, tuple[FloatArray, FloatArray]] = field(default_factory=dict)
    issues: list[Issue] = field(default_factory=list)
    cadence_resolution_spm: float = 2.0
    record_distance_m: float | None = None


def _points(picked: Mapping[str, _Column], t0: float) -> _Points:
    points = _Points()
    for kind, column in picked.items():
        name = _KINDS[kind][0]
        mids, values = (column.start + column.end) / 2 - t0, column.value
        if name == "cadence_spm":
            minutes = (column.end - column.start) / 60.0
            timed = minutes > 0
            if not timed.all():
                points.issues.append(Issue(code="apple_health_instant_steps", message=(
                    f"{int((~timed).sum())} step-count records have no duration, so no "
                    "cadence could be computed from them; they were left out.")))
            mids, values = mids[timed], values[timed] / minutes[timed]
            if minutes[timed].size:
                points.cadence_resolution_spm = float(1.0 / np.median(minutes[timed]))
        elif name == "distance_m":  # distance at each record's midpoint
            order = np.argsort(mids, kind="stable")
            mids, step = mids[order], values[order]
            values = np.cumsum(step) - step / 2
            points.record_distance_m = float(step.sum())
        if mids.size:
            points.series[name] = (mids, values)
    return points


def _fingerprint(workout: _Workout, picked: Mapping[str, _Column]) -> str:
    digest = hashlib.sha256(b"apple_health\0")
    digest.update(json.dumps(workout.attrs, ensure_ascii=False).encode())
    for kind in sorted(picked):
        column = picked[kind]
        digest.update(f"\0{kind}\0".encode())
        digest.update(np.stack([column.start, column.end, column.value]).astype("<f8").tobytes())
    return digest.hexdigest()


def _build_workout(workout: _Workout, columns: Mapping[str, _Column],
                   unknown: Mapping[tuple[str, str], FloatArray], names: Mapping[int, str],
                   label: str) -> Output:
    """One running workout as an Activity, or a problem when it holds no records."""
    name = f"{label}#{workout.start_text}"
    issues = list(workout.issues)
    picked: dict[str, _Column] = {}
    for kind, column in columns.items():
        part = column.within(workout.start, workout.end)
        if part.start.size:
            picked[kind], issue = _one_source(kind, part, workout.source, names)
            issues.extend([issue] if issue else [])
    issues.extend(_unknown_issues(unknown, workout))
    points = _points(picked, workout.start)
    if not points.series:
        return ImportProblem(name, (
            f"the running workout on {workout.start_text[:16]} has only totals, no per-record "
            "data to analyse; skipped. Runs recorded with an Apple Watch carry the records "
            "backstride needs."))
    t_s = np.unique(np.concatenate([mids for mids, _ in points.series.values()]))
    distance = workout.distance_m if workout.distance_m is not None else points.record_distance_m
    summary = {"total_elapsed_time_s": workout.end - workout.start}
    if workout.duration_s is not None:
        summary["total_timer_time_s"] = workout.duration_s
    if distance is not None:
        summary["total_distance_m"] = distance
    activity = Activity(
        format="apple_health", sha256=_fingerprint(workout, picked),
        start_utc=datetime.fromtimestamp(workout.start, UTC), device=workout.source, t_s=t_s,
        series={key: _place(t_s, mids, values) for key, (mids, values) in
                sorted(points.series.items())},
        sessions=(Session(sport=RUNNING, sub_sport="treadmill" if workout.indoor else None,
                          start_s=0.0, end_s=workout.end - workout.start, summary=summary),),
        timer_stopped=workout.pauses, issues=tuple(issues + points.issues),
        cadence_resolution_spm=points.cadence_resolution_spm,
    )
    return ImportItem(name=name, activity=activity)

"""Zip archives: reading members within the limits, nested zips, and any zip's FIT, TCX and
GPX members; export layouts (Garmin, Strava, Apple Health) are recognised here and handed to
their modules."""

from __future__ import annotations

import hashlib
import os
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO

from backstride.adapters.archives import limits
from backstride.adapters.archives.common import (
    CHUNK_BYTES,
    PROBLEMS,
    READ_ERRORS,
    SNIFF_BYTES,
    ImportItem,
    ImportProblem,
    Meta,
    Output,
    content_kind,
    size_text,
)


class MemberError(Exception):
    """One member cannot be used; the message is the ImportProblem's error."""


class ArchiveStop(Exception):
    """The archive's budget is spent: stop reading it."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(message)
        self.name = name
        self.message = message


@dataclass(slots=True)
class Budget:
    used: int = 0


@dataclass(slots=True)
class Archive:
    zf: zipfile.ZipFile
    label: str  # "export.zip" or "export.zip!inner.zip"
    depth: int  # 1 for the archive the user passed
    budget: Budget
    seen: set[bytes] = field(default_factory=set)  # digests of members already yielded

    def member(self, info: zipfile.ZipInfo) -> str:
        return f"{self.label}!{info.filename}"




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


def open_zip(handle: IO[bytes]) -> zipfile.ZipFile:
    """A zip read from ``handle`` (left open); :class:`MemberError` when damaged or huge."""
    try:
        directory = _directory_bytes(handle)
        if directory is not None and directory > limits.MAX_DIRECTORY_BYTES:
            raise MemberError(
                f"its file list takes {size_text(directory)}, above the "
                f"{size_text(limits.MAX_DIRECTORY_BYTES)} backstride reads (millions of entries: a "
                "possible zip bomb); unzip it and import the folders that hold activities.")
        return zipfile.ZipFile(handle)
    except (zipfile.BadZipFile, EOFError, OSError, ValueError) as exc:
        raise MemberError(f"it is a damaged zip archive ({exc}); download the export "
                           "again.") from exc


def unsafe_name(name: str) -> bool:
    name = name.replace("\\", "/")
    return name.startswith("/") or name[1:2] == ":" or ".." in name.split("/")













def check_member(info: zipfile.ZipInfo, limit: int) -> None:
    if info.flag_bits & 0x1:
        raise MemberError("it is encrypted (password-protected); unzip it with its password "
                           "and import the files.")
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise MemberError(f"it is compressed with zip method {info.compress_type}, which "
                           "backstride does not read; unzip the archive and import the folder.")
    if info.file_size > limit:
        raise MemberError(f"it is {size_text(info.file_size)} uncompressed, above the "
                           f"{size_text(limit)} limit for one archive member; skipped. Unzip it "
                           "and import what is inside if it holds activities.")
    if info.file_size > limits.RATIO_FLOOR_BYTES and info.file_size > limits.MAX_RATIO * max(
            info.compress_size, 1):
        ratio = info.file_size / max(info.compress_size, 1)
        raise MemberError(f"it would expand {ratio:.0f} times ({size_text(info.compress_size)} to "
                           f"{size_text(info.file_size)}), above the {limits.MAX_RATIO}:1 "
                           "limit for a zip member (a possible zip bomb); skipped. Check "
                           "where the archive came from.")


def read_member(arch: Archive, info: zipfile.ZipInfo, limit: int, *,
                 charge: bool = True) -> bytes:
    """The member's bytes, never more than its header declares (a lying header is damage)."""
    check_member(info, limit)
    if charge:
        if arch.budget.used + info.file_size > limits.MAX_ARCHIVE_BYTES:
            raise ArchiveStop(arch.member(info), (
                f"the archive holds more than {size_text(limits.MAX_ARCHIVE_BYTES)} of activity "
                "data, the most backstride reads from one archive; the import stopped here. "
                "Unzip it and import its folders one at a time."))
        arch.budget.used += info.file_size
    chunks: list[bytes] = []
    total = 0
    try:
        with arch.zf.open(info) as handle:
            while chunk := handle.read(CHUNK_BYTES):
                total += len(chunk)
                if total > info.file_size:
                    raise MemberError("it holds more data than its zip header declares; "
                                       "skipped. Download the export again.")
                chunks.append(chunk)
    except READ_ERRORS as exc:
        raise MemberError(f"it is damaged inside the archive ({exc}); download the export "
                           "again.") from exc
    return b"".join(chunks)


def member_item(arch: Archive, info: zipfile.ZipInfo, meta: Meta) -> Iterator[Output]:
    name = arch.member(info)
    try:
        data = read_member(arch, info, limits.MAX_MEMBER_BYTES)
    except MemberError as exc:
        yield ImportProblem(name, str(exc))
        return
    kind = content_kind(data[:SNIFF_BYTES])
    if kind != "activity":
        yield ImportProblem(name, PROBLEMS[kind])
        return
    digest = hashlib.sha256(data).digest()
    if digest in arch.seen:  # the same file twice in one export: import it once
        return
    arch.seen.add(digest)
    yield ImportItem(name=name, data=data, activity_type=meta.activity_type,
                     activity_name=meta.activity_name)

"""Any zip: its FIT, TCX and GPX members and the zips nested in it; a Garmin, Strava or Apple
Health export is recognised by its layout and read by its own module."""

from __future__ import annotations

import io
import posixpath
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path

from backstride.adapters.archives import limits
from backstride.adapters.archives.apple import iter_health_member
from backstride.adapters.archives.common import (
    ACTIVITY_SUFFIXES,
    ImportProblem,
    Meta,
    Output,
    hidden,
)
from backstride.adapters.archives.garmin import garmin_members
from backstride.adapters.archives.strava import iter_strava_zip
from backstride.adapters.archives.zips import (
    Archive,
    ArchiveStop,
    Budget,
    MemberError,
    member_item,
    open_zip,
    read_member,
    unsafe_name,
)


def iter_zip_path(path: Path) -> Iterator[Output]:
    label = str(path)
    try:
        handle = path.open("rb")
    except OSError as exc:
        yield ImportProblem(label, f"it cannot be read ({exc.strerror or exc}); check its "
                                   "permissions and try again.")
        return
    with handle:
        try:
            archive = open_zip(handle)
        except MemberError as exc:
            yield ImportProblem(label, str(exc))
            return
        with archive:
            try:
                yield from iter_zip(Archive(archive, label, 1, Budget()))
            except ArchiveStop as stop:
                yield ImportProblem(stop.name, stop.message)


def iter_zip(arch: Archive) -> Iterator[Output]:
    infos = sorted((i for i in arch.zf.infolist() if not i.is_dir()), key=lambda i: i.filename)
    if len(infos) > limits.MAX_MEMBERS:
        yield ImportProblem(arch.label, (
            f"it lists {len(infos)} files, more than the {limits.MAX_MEMBERS} backstride reads "
            "from one archive; unzip it and import the folders that hold activities."))
        return
    safe: list[zipfile.ZipInfo] = []
    n_out = 0
    for info in infos:
        if unsafe_name(info.filename):
            n_out += 1
            yield ImportProblem(arch.member(info), (
                "unsafe path (absolute, or climbing out of the archive with '..'); skipped. "
                "Nothing is extracted to disk, but no watch service writes such paths: check "
                "where this archive came from."))
        elif not any(hidden(part) for part in info.filename.split("/")):
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


def _dispatch(arch: Archive, infos: list[zipfile.ZipInfo]) -> Iterator[Output]:
    health = [info for info in infos if _basename(info) == "export.xml"]
    if health:
        for info in health:
            yield from iter_health_member(arch, info)
        return
    strava = [info for info in infos if _basename(info) == "activities.csv"]
    if strava:
        index_info = min(strava, key=lambda i: (i.filename.count("/"), i.filename))
        yield from iter_strava_zip(arch, infos, index_info)
        return
    yield from _iter_members(arch, garmin_members(infos))


def _iter_members(arch: Archive, infos: Sequence[zipfile.ZipInfo]) -> Iterator[Output]:
    for info in infos:
        lower = info.filename.lower()
        if lower.endswith(".zip"):
            yield from _iter_nested(arch, info)
        elif lower.endswith(ACTIVITY_SUFFIXES):
            yield from member_item(arch, info, Meta())


def _iter_nested(arch: Archive, info: zipfile.ZipInfo) -> Iterator[Output]:
    name = arch.member(info)
    if arch.depth >= limits.MAX_NESTING:
        yield ImportProblem(name, (f"it is a zip nested more than {limits.MAX_NESTING} levels "
                                   "deep; skipped. Unzip it and import the folder."))
        return
    try:
        inner = open_zip(io.BytesIO(read_member(arch, info, limits.MAX_MEMBER_BYTES, charge=False)))
    except MemberError as exc:
        yield ImportProblem(name, str(exc))
        return
    with inner:
        yield from iter_zip(Archive(inner, name, arch.depth + 1, arch.budget, arch.seen))

"""Strava bulk exports: ``activities.csv`` plus ``activities/`` (``.fit.gz``, ``.gpx.gz``,
``.tcx.gz``, plain ``.gpx``...), zipped or unzipped. The csv's filename, type and name columns
are found by header (English or German) or, for the filename, by content; only the files it
lists are imported. Without a usable csv every activity file in ``activities/`` is."""

from __future__ import annotations

import csv
import io
import os
import posixpath
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from backstride.adapters.archives import limits
from backstride.adapters.archives.common import (
    ACTIVITY_SUFFIXES,
    ImportProblem,
    Meta,
    Output,
    hidden,
)
from backstride.adapters.archives.zips import (
    Archive,
    MemberError,
    member_item,
    read_member,
    unsafe_name,
)

_FILENAME_HEADERS: Final = frozenset({"filename", "file name", "dateiname"})
_TYPE_HEADERS: Final = frozenset({"activity type", "aktivitätsart", "type"})
_NAME_HEADERS: Final = frozenset({"activity name", "name der aktivität", "name"})


def _column(keys: list[str], wanted: frozenset[str]) -> int | None:
    return next((i for i, key in enumerate(keys) if key in wanted), None)


def _cell(row: list[str], col: int | None) -> str | None:
    if col is None or col >= len(row):
        return None
    return row[col].strip() or None


def strava_index(raw: bytes) -> dict[str, Meta] | None:
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
    index: dict[str, Meta] = {}
    for row in body:
        rel = _cell(row, file_col)
        if rel:
            index[rel.replace("\\", "/")] = Meta(_cell(row, type_col), _cell(row, name_col))
    return index


@dataclass(frozen=True, slots=True)
class _StravaPlan:
    chosen: list[tuple[str, Meta]]  # available names to import, with what the csv says
    missing: list[str]  # listed in the csv, absent
    unsafe: list[str]  # listed in the csv with an absolute or climbing path


def _strava_plan(index: dict[str, Meta] | None, available: Sequence[str]) -> _StravaPlan:
    """Which files to import, given the csv and the names (relative to the csv's folder)."""
    if index is None:
        chosen = [(name, Meta()) for name in sorted(available)
                  if name.casefold().startswith("activities/")
                  and name.lower().endswith(ACTIVITY_SUFFIXES)]
        return _StravaPlan(chosen, [], [])
    by_key = {name.casefold(): name for name in available}
    plan = _StravaPlan([], [], [])
    for rel in sorted(index):
        real = by_key.get(rel.casefold())
        if unsafe_name(rel):
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


def iter_strava_zip(arch: Archive, infos: list[zipfile.ZipInfo],
                     index_info: zipfile.ZipInfo) -> Iterator[Output]:
    prefix = posixpath.dirname(index_info.filename)
    try:
        index = strava_index(read_member(arch, index_info, limits.MAX_CSV_BYTES))
    except MemberError as exc:
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
        yield from member_item(arch, available[rel], meta)


def _files_under(folder: Path) -> list[str]:
    """Relative POSIX names of the non-hidden files below ``folder``, symlinks not followed."""
    names: list[str] = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if not hidden(d)]
        base = Path(root).relative_to(folder)
        names.extend((base / f).as_posix() for f in files if not hidden(f))
    return sorted(names)


def iter_strava_folder(folder: Path) -> Iterator[Output]:
    # files.py hands unzipped Strava exports here and reads their files for us: a cycle, so
    # imported when used.
    from backstride.adapters.archives.files import iter_file

    csv_path = folder / "activities.csv"
    index = None
    try:
        if csv_path.stat().st_size <= limits.MAX_CSV_BYTES:
            index = strava_index(csv_path.read_bytes())
    except OSError as exc:
        yield ImportProblem(str(csv_path), f"it cannot be read ({exc.strerror or exc}); the "
                                           "activity files are imported without it.")
    available = [f"activities/{name}" for name in _files_under(folder / "activities")]
    plan = _strava_plan(index, available)
    yield from _strava_problems(plan, str(csv_path), lambda rel: str(folder / rel))
    for rel, meta in plan.chosen:
        yield from iter_file(folder / rel, None, meta)

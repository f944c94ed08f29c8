"""Plain files and folders (an unzipped Garmin, Strava or Apple Health export included)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from backstride.adapters.archives.apple import iter_health_file
from backstride.adapters.archives.common import (
    PROBLEMS,
    ImportItem,
    ImportProblem,
    Meta,
    Output,
    claims_activity,
    content_kind,
    hidden,
    read_head,
)
from backstride.adapters.archives.garmin import garmin_folder_entries
from backstride.adapters.archives.generic import iter_zip_path
from backstride.adapters.archives.strava import iter_strava_folder


def iter_file(path: Path, skipped: list[str] | None, meta: Meta | None = None,
               shown: str | None = None) -> Iterator[Output]:
    """A file on disk; in a folder walk (``skipped`` given) unrelated files are only counted."""
    name = str(path)
    try:
        head = read_head(path)
    except OSError as exc:
        yield ImportProblem(name, f"it cannot be read ({exc.strerror or exc}); check its "
                                  "permissions and try again.")
        return
    kind = content_kind(head)
    if kind == "activity":
        meta = meta or Meta()
        yield ImportItem(name=name, path=path, activity_type=meta.activity_type,
                         activity_name=meta.activity_name)
    elif kind == "video":
        yield ImportItem(name=name, path=path, video=True)
    elif kind == "zip":
        yield from iter_zip_path(path)
    elif kind == "health":
        yield from iter_health_file(path)
    elif skipped is not None and not claims_activity(path.name):
        skipped.append(shown or path.name)
    else:
        yield ImportProblem(name, PROBLEMS[kind])


def _is_health(path: Path) -> bool:
    try:
        return content_kind(read_head(path)) == "health"
    except OSError:
        return False




def iter_folder(folder: Path, top: Path, skipped: list[str]) -> Iterator[Output]:
    if (folder / "activities.csv").is_file():
        yield from iter_strava_folder(folder)
        return
    health = folder / "export.xml"
    if health.is_file() and _is_health(health):
        yield from iter_health_file(health)  # the rest (workout-routes/*.gpx...) repeats it
        return
    try:
        entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
    except OSError as exc:
        yield ImportProblem(str(folder), f"the folder cannot be read ({exc.strerror or exc}); "
                                         "check its permissions and try again.")
        return
    entries = garmin_folder_entries(folder, entries)  # an unzipped Garmin export: uploads only
    for entry in entries:
        if hidden(entry.name):
            continue
        path = Path(entry.path)
        if entry.is_dir(follow_symlinks=False):
            yield from iter_folder(path, top, skipped)
        elif entry.is_file():
            yield from iter_file(path, skipped, shown=path.relative_to(top).as_posix())

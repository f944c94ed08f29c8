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

from collections.abc import Iterator, Sequence
from pathlib import Path

from backstride.adapters.archives import limits
from backstride.adapters.archives.common import ImportItem, ImportProblem
from backstride.adapters.archives.files import iter_file, iter_folder
from backstride.adapters.archives.limits import (
    MAX_ARCHIVE_BYTES,
    MAX_DIRECTORY_BYTES,
    MAX_HEALTH_XML_BYTES,
    MAX_MEMBER_BYTES,
    MAX_MEMBERS,
    MAX_NESTING,
    MAX_RATIO,
    RATIO_FLOOR_BYTES,
)

__all__ = [
    "MAX_ARCHIVE_BYTES", "MAX_DIRECTORY_BYTES", "MAX_HEALTH_XML_BYTES", "MAX_MEMBERS",
    "MAX_MEMBER_BYTES", "MAX_NESTING", "MAX_RATIO", "RATIO_FLOOR_BYTES", "ImportItem",
    "ImportProblem", "iter_import_items", "limits",
]

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
            yield from iter_folder(path, path, skipped)
            if skipped:
                yield ImportProblem(str(path), (
                    f"{len(skipped)} files here are neither activities nor exports and were "
                    f"skipped (first: {skipped[0]}); nothing to do unless you expected them "
                    "to import."))
        elif path.exists():
            yield from iter_file(path, None)
        else:
            yield ImportProblem(str(path), "it does not exist; check the path and try again.")

"""Imports: files, folders and export archives decoded by workers, stored by one writer."""


from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from backstride import __version__
from backstride.adapters.archives import ImportItem, ImportProblem, iter_import_items
from backstride.adapters.formats import (
    gunzip_bounded,
    read_activity,
    read_activity_bytes,
    read_bytes,
)
from backstride.adapters.parallel import map_in_order, map_on_ray
from backstride.adapters.render.analysis_json import analysis_json
from backstride.adapters.storage.records import (
    ImportOutcome,
    Measured,
    MeasuredVideo,
    encode_series,
)
from backstride.adapters.storage.store import DEFAULT_RUNNER
from backstride.config import Settings
from backstride.core.activity import Activity
from backstride.core.report import build_watch_report
from backstride.core.types import Progress
from backstride.errors import BackstrideError, InputError, NotRunningError
from backstride.workflows.analysis import Failed
from backstride.workflows.history import open_store
from backstride.workflows.video import file_sha256, measure_video

SURFACE_FROM_SUB_SPORT = {"street": "road", "trail": "trail", "track": "track",
                          "treadmill": "treadmill"}


@dataclass(frozen=True, slots=True, kw_only=True)
class NotRun:
    name: str
    sport: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ImportSummary:
    imported: int
    already_imported: int
    duplicates: int
    not_runs: int
    skipped: tuple[tuple[str, str], ...]  # (name, reason)
    videos: int = 0  # of ``imported``, how many were videos

    def json(self) -> dict[str, Any]:
        return {"schema": "backstride.import/1", "imported": self.imported,
                "videos": self.videos,
                "already_imported": self.already_imported, "duplicates": self.duplicates,
                "not_runs": self.not_runs,
                "skipped": [{"name": n, "error": e} for n, e in self.skipped]}


def measure_activity(name: str, activity: Activity) -> Measured | NotRun:
    """Analyse one decoded activity into what the Store keeps."""
    sports = {s.sport for s in activity.sessions}
    if activity.sessions and not sports & {"running", "unknown", "generic"}:
        return NotRun(name=name, sport=", ".join(sorted(sports)))
    # The analysis names the file, not where it sat (an upload folder, an archive path).
    try:
        report = build_watch_report(activity, source_name=Path(name.rsplit("!", 1)[-1]).name)
    except NotRunningError as exc:  # a ride or a row the file did not name: not a run
        return NotRun(name=name, sport=exc.sport)
    run = report.run
    sub_sports = [leg.sub_sport for leg in run.legs if leg.sub_sport]
    return Measured(
        name=name, sha256=activity.sha256, format=activity.format,
        start_utc=_leg_start(activity, run.legs[0].start_s),
        device=activity.device, device_serial=activity.device_serial, sport="running",
        surface=SURFACE_FROM_SUB_SPORT.get(sub_sports[0]) if sub_sports else None,
        distance_m=run.distance_m, duration_s=run.duration_s, moving_time_s=run.moving_time_s,
        n_records=int(activity.t_s.size),
        series=encode_series(activity.t_s, {
            **run.series, "running": run.running.astype(np.float64), "timer_s": run.timer_s}),
        analysis=analysis_json(report), analyser_version=__version__)


def _leg_start(activity: Activity, start_s: float) -> datetime | None:
    """The first running session's start, to the second: the duplicate fingerprint."""
    if activity.start_utc is None:
        return None
    return (activity.start_utc + timedelta(seconds=start_s)).replace(microsecond=0)


def decode_and_measure(item: ImportItem) -> Measured | MeasuredVideo | NotRun | Failed:
    """The worker's job for one input; never raises for a bad input."""
    label = Path(item.name)
    try:
        if item.video and item.path is not None:
            return measure_video(item.path, name=item.name)
        if item.activity is not None:
            activity = item.activity
        elif item.path is not None:
            activity = read_activity(item.path)
        else:
            activity = read_activity_bytes(item.data or b"", label)
        return measure_activity(item.name, activity)
    except NotRunningError as exc:
        return NotRun(name=item.name, sport=exc.sport)
    except BackstrideError as exc:
        return Failed(path=label, error=str(exc))
    except (OSError, ValueError, MemoryError) as exc:
        return Failed(path=label, error=f"{item.name} could not be read ({type(exc).__name__}: "
                                        f"{exc}). If it opens in your watch app, please report "
                                        "this.")


def import_paths(paths: Sequence[Path], *, settings: Settings, workers: int | None = None,
                 progress: Progress | None = None, ray_address: str | None = None,
                 runner: str = DEFAULT_RUNNER) -> ImportSummary:
    """Import files, folders and export archives. Workers decode and measure; only this
    process writes, one transaction per file, so a killed import leaves every stored run
    whole and a re-run picks up where it stopped."""
    counts = dict.fromkeys(ImportOutcome, 0)
    skipped: list[tuple[str, str]] = []
    not_runs = videos = 0
    with open_store(settings) as store:
        known = store.known_sha256() | store.known_video_sha256(runner=runner)

        def todo() -> Iterator[ImportItem]:
            """Items as the archives yield them (memory stays flat); known files skipped."""
            for found in iter_import_items(paths):
                if isinstance(found, ImportProblem):
                    skipped.append((found.name, found.error))
                elif found.path is not None and _quick_sha(found.path, video=found.video) in known:
                    counts[ImportOutcome.ALREADY_IMPORTED] += 1
                else:
                    yield found

        results = (map_on_ray(decode_and_measure, todo(), address=ray_address)
                   if ray_address is not None else
                   map_in_order(decode_and_measure, todo(), workers=workers))
        for done, outcome in enumerate(results, start=1):
            if isinstance(outcome, Failed):
                skipped.append((str(outcome.path), outcome.error))
            elif isinstance(outcome, NotRun):
                not_runs += 1
            elif isinstance(outcome, MeasuredVideo):
                saved = store.save_video(outcome, runner=runner)
                counts[saved] += 1
                videos += saved is ImportOutcome.IMPORTED
            else:
                counts[store.save_measured(outcome, runner=runner)] += 1
            if progress is not None:
                progress(done, None)
    return ImportSummary(
        imported=counts[ImportOutcome.IMPORTED],
        already_imported=counts[ImportOutcome.ALREADY_IMPORTED],
        duplicates=counts[ImportOutcome.DUPLICATE] + counts[ImportOutcome.REPLACED],
        not_runs=not_runs, skipped=tuple(skipped), videos=videos)


def content_sha256(data: bytes, name: str) -> str:
    """The import key of bytes in memory: SHA-256 after undoing gzip (bounded)."""
    if data[:2] == b"\x1f\x8b":
        data = gunzip_bounded(data, Path(name))
    return hashlib.sha256(data).hexdigest()


def _quick_sha(path: Path, *, video: bool = False) -> str:
    """SHA-256 of the decompressed bytes, without decoding: skips known files fast. A video
    is hashed as it streams from disk (it may be gigabytes)."""
    if video:
        try:
            return file_sha256(path)
        except OSError:
            return ""
    try:
        data = read_bytes(path)
    except InputError:
        return ""
    if data[:2] == b"\x1f\x8b":
        try:
            data = gunzip_bounded(data, path)
        except InputError:
            return ""
    return hashlib.sha256(data).hexdigest()

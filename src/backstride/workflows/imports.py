"""Imports: files, folders and export archives decoded by workers, stored by one writer."""


from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
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
from backstride.adapters.parallel import check_ray_address, map_in_order, map_on_ray
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
from backstride.errors import (
    BackstrideError,
    ConfigError,
    InputError,
    NotRunningError,
    StorageError,
)
from backstride.workflows.analysis import Failed
from backstride.workflows.history import open_store
from backstride.workflows.video import file_sha256, measure_video

logger = logging.getLogger(__name__)

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
    notes: tuple[str, ...] = ()  # what the user should know besides (a Ray fallback)

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
                 ray_fallback: str | None = None,
                 runner: str = DEFAULT_RUNNER) -> ImportSummary:
    """Import files, folders and export archives. Workers decode and measure; only this
    process writes, one transaction per file, so a killed import leaves every stored run
    whole and a re-run picks up where it stopped.

    A Ray address that does not answer fails within seconds (``check_ray_address``), or with
    ``ray_fallback="local"`` the import runs on the local pool instead and says so in
    ``notes``."""
    notes: list[str] = []
    ray_address = _ray_or_local(ray_address, ray_fallback, notes)
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
        done = 0
        try:
            for done, outcome in enumerate(results, start=1):
                if isinstance(outcome, Failed):
                    skipped.append((str(outcome.path), outcome.error))
                elif isinstance(outcome, NotRun):
                    not_runs += 1
                elif isinstance(outcome, MeasuredVideo):
                    saved = _saved(partial(store.save_video, outcome, runner=runner))
                    counts[saved] += 1
                    videos += saved is ImportOutcome.IMPORTED
                else:
                    counts[_saved(partial(store.save_measured, outcome, runner=runner))] += 1
                if progress is not None:
                    progress(done, None)
        except StorageError as exc:
            raise _stopped(exc, stored=counts[ImportOutcome.IMPORTED] + counts[
                ImportOutcome.DUPLICATE] + counts[ImportOutcome.REPLACED], reached=done) from exc
        finally:
            # A stopped import shuts its worker pool down here, in this thread: left to the
            # garbage collector, the pool's generator may be finalised on the pool's own
            # manager thread at exit ("cannot join current thread", printed after the error).
            close = getattr(results, "close", None)
            if close is not None:
                close()
    return ImportSummary(
        imported=counts[ImportOutcome.IMPORTED],
        already_imported=counts[ImportOutcome.ALREADY_IMPORTED],
        duplicates=counts[ImportOutcome.DUPLICATE] + counts[ImportOutcome.REPLACED],
        not_runs=not_runs, skipped=tuple(skipped), videos=videos, notes=tuple(notes))


def _ray_or_local(address: str | None, fallback: str | None, notes: list[str]) -> str | None:
    """The Ray address to use, or None for the local pool when it does not answer and the
    fallback was asked for (noted); a ConfigError that says what to check otherwise."""
    try:
        check_ray_address(address)
    except ConfigError as exc:
        if fallback != "local":
            raise
        notes.append(str(exc).split(";", 1)[0] + "; the batch ran on this machine's cores "
                     "instead (--ray-fallback local).")
        return None
    return address


RETRY_WAITS_S = (0.5, 1.0, 2.0, 4.0, 8.0)  # a restarting PostgreSQL is back within seconds


def _saved(save: Callable[[], ImportOutcome]) -> ImportOutcome:
    """Store one file; a lost connection or a busy database is retried a few times (the file
    is one transaction, so a failed try stored nothing of it)."""
    for wait_s in (*RETRY_WAITS_S, None):
        try:
            return save()
        except StorageError as exc:
            if not exc.retryable or wait_s is None:
                raise
            logger.info("storing an import failed (%s); retrying in %.1f s", exc, wait_s)
            time.sleep(wait_s)
    raise AssertionError("unreachable")  # the last try returns or raises


def _stopped(exc: StorageError, *, stored: int, reached: int) -> StorageError:
    """The fault, what was kept, and what to do."""
    runs = "run" if stored == 1 else "runs"
    message = (f"{exc} The import stopped there: {stored} {runs} stored of the {reached} "
               f"file{'s' if reached != 1 else ''} it reached; run the same import again to "
               "finish (what is stored is skipped).")
    return StorageError(message, public=message, retryable=exc.retryable)


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


def import_file_count(path: Path) -> int | None:
    """How many activity files (and clips) an upload holds, read from a zip's list of names
    without unpacking it: the total that an import's progress counts towards ("file 12 of 60").
    One for a single file; None where it cannot be told up front (an archive with none named,
    such as Apple Health's workouts in one XML file, or a damaged zip)."""
    import zipfile

    from backstride.adapters.archives.common import ACTIVITY_SUFFIXES
    from backstride.adapters.formats import VIDEO_SUFFIXES

    suffixes = (*ACTIVITY_SUFFIXES, *VIDEO_SUFFIXES)
    if not zipfile.is_zipfile(path):
        return 1
    try:
        with zipfile.ZipFile(path) as archive:
            names = [i.filename for i in archive.infolist() if not i.is_dir()]
    except (OSError, zipfile.BadZipFile):
        return None
    found = sum(1 for name in names if name.lower().endswith(suffixes))
    return found or None

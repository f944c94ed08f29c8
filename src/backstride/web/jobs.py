"""One background worker for long jobs (an analysis, an import), so a page never freezes:
the page polls ``/jobs/{id}`` and shows the progress.

Each job is also kept in the history database (``workflows.jobs``): queued, running, done,
failed, or lost when the server stopped under it. The live progress stays in memory; after a
restart the page reads the stored job, so a lost one says so. A job's upload folder is removed
when the job ends (a video's becomes its result's and stays while the result is kept), when it
is refused, and when it is found lost at the next start."""

from __future__ import annotations

import logging
import shutil
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from backstride.config import Settings

logger = logging.getLogger(__name__)

MAX_WAITING = 8
KEEP_FINISHED = 50
Work = Callable[[Callable[[int, int | None], None]], str]
"""A job gets a progress callback and returns the URL to show when it is done."""


@dataclass
class Job:
    id: str
    label: str
    done: int = 0
    total: int | None = None
    state: str = "queued"  # queued, running, done, failed (lost: only ever read back stored)
    result_url: str | None = None
    error: str | None = None
    owner: str | None = None  # team mode: the username that started it (only they see it)
    counts: str = "step"  # what done and total count, singular: "frame", "file"
    phases: tuple[str, ...] = ()  # passes that split the total evenly (a video: pose, drawing)
    started_s: float | None = None  # time.monotonic() when it began to run
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def json(self) -> dict[str, Any]:
        with self.lock:
            elapsed = None if self.started_s is None else time.monotonic() - self.started_s
            eta = seconds_left(self.done, self.total, elapsed)
            return {"id": self.id, "label": self.label, "done": self.done, "total": self.total,
                    "state": self.state, "result_url": self.result_url, "error": self.error,
                    "counts": self.counts, "eta_s": eta,
                    "progress": progress_text(self.counts, self.done, self.total, eta,
                                              phases=self.phases, state=self.state)}


MIN_ESTIMATE_S = 2.0  # a time left is said only after this long and some progress


def seconds_left(done: int, total: int | None, elapsed_s: float | None) -> float | None:
    """The time left at the rate so far, or None while it cannot be told yet."""
    if not total or elapsed_s is None or elapsed_s < MIN_ESTIMATE_S or done <= 0:
        return None
    if done >= total:
        return 0.0
    return (total - done) * elapsed_s / done


def time_left_text(seconds: float) -> str:
    """"about 40 s left", "about 3 min left", "about 1 h 10 min left"."""
    if seconds < 10:
        return "a few seconds left"
    if seconds < 90:
        return f"about {5 * round(seconds / 5):.0f} s left"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"about {minutes} min left"
    return f"about {minutes // 60} h {minutes % 60} min left"


def progress_text(counts: str, done: int, total: int | None, eta_s: float | None, *,
                  phases: tuple[str, ...] = (), state: str = "running") -> str:
    """What a job has done, in words: "frame 360 of 720, about 40 s left"; with phases,
    "pose estimation: frame 180 of 360, …"; "12 files so far" while the total is unknown."""
    if state == "queued":
        return "waiting for the job before it to finish"
    if state == "done":
        return "done"
    if total and done <= total:
        shown_done, shown_total, phase = done, total, ""
        if len(phases) > 1 and total >= len(phases):
            per = total // len(phases)
            k = min(done // per, len(phases) - 1) if done < total else len(phases) - 1
            shown_done, shown_total = done - k * per, per
            phase = f"{phases[k]} ({k + 1} of {len(phases)}): "
        text = f"{phase}{counts} {shown_done} of {shown_total}"
        return text if eta_s is None else f"{text}, {time_left_text(eta_s)}"
    if done <= 0:
        return "starting"
    return f"{done} {counts}{'' if done == 1 else 's'} so far"


class JobRunner:
    """``settings``: where jobs are recorded (None: in memory only, as for a library caller)."""

    def __init__(self, settings: Settings | None = None) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="backstride-job")
        self._jobs: dict[str, Job] = {}
        self._uploads: dict[str, Path] = {}
        self._settings = settings

    def submit(self, label: str, work: Work, *, owner: str | None = None,
               upload_dir: Path | None = None, keep_upload: bool = False,
               counts: str = "step", phases: tuple[str, ...] = ()) -> Job:
        """Queue ``work``. ``upload_dir`` is removed when the job is refused, fails or (unless
        ``keep_upload``) ends. ``counts``: what its progress counts (the page says "frame 360
        of 720"); ``phases``: the passes its total is split into evenly, named."""
        try:
            job = self._queue(label, owner, upload_dir)
            job.counts, job.phases = counts, phases
            if upload_dir is not None:
                self._uploads[job.id] = upload_dir
        except BaseException:
            if upload_dir is not None:
                shutil.rmtree(upload_dir, ignore_errors=True)  # a refused upload is not kept
            raise

        def progress(done: int, total: int | None) -> None:
            with job.lock:
                job.done, job.total = done, total

        def run() -> None:
            with job.lock:
                job.state, job.started_s = "running", time.monotonic()
            self._record(job.id, "running")
            try:
                url = work(progress)
            except Exception as exc:
                with job.lock:
                    job.state, job.error = "failed", _error_text(job.label, exc)
            else:
                with job.lock:
                    job.state, job.result_url = "done", url
            finally:
                self._uploads.pop(job.id, None)
                if upload_dir is not None and (job.state != "done" or not keep_upload):
                    shutil.rmtree(upload_dir, ignore_errors=True)
            self._record(job.id, job.state, result_url=job.result_url, error=job.error)

        self._pool.submit(run)
        return job

    def _queue(self, label: str, owner: str | None, upload_dir: Path | None) -> Job:
        waiting = [j for j in self._jobs.values() if j.state in ("queued", "running")]
        if len(waiting) >= MAX_WAITING:
            from fastapi import HTTPException

            raise HTTPException(status_code=429, detail=(
                f"{len(waiting)} jobs are already waiting: let them finish, then upload the "
                "file again (this upload was not kept)."))
        for old in [j for j in self._jobs.values()
                    if j.state in ("done", "failed")][:-KEEP_FINISHED]:
            self._jobs.pop(old.id, None)  # finished jobs are kept only for their result page
        job = Job(id=uuid.uuid4().hex, label=label, owner=owner)
        if self._settings is not None:
            from backstride.workflows.jobs import record_job

            record_job(self._settings, job.id, label=label, owner=owner, upload_dir=upload_dir)
        self._jobs[job.id] = job
        return job

    def _record(self, job_id: str, state: str, **fields: str | None) -> None:
        """Keep the state in the database; a database fault does not stop the job."""
        if self._settings is None:
            return
        from backstride.errors import BackstrideError
        from backstride.workflows.jobs import set_job_state

        try:
            set_job_state(self._settings, job_id, state, **fields)
        except BackstrideError as exc:
            logger.warning("job %s: its state (%s) could not be stored: %s", job_id, state, exc)

    def get(self, job_id: str) -> Job | None:
        """The job, from memory, or as stored (a previous server's: done, failed or lost)."""
        found = self._jobs.get(job_id)
        if found is not None or self._settings is None:
            return found
        from backstride.workflows.jobs import stored_job

        row = stored_job(self._settings, job_id)
        if row is None:
            return None
        return Job(id=row["id"], label=row["label"], state=row["state"], owner=row["owner"],
                   result_url=row["result_url"], error=row["error"])

    def sweep(self) -> list[str]:
        """At start-up: the previous server's unfinished jobs become lost (uploads removed)."""
        if self._settings is None:
            return []
        from backstride.workflows.jobs import sweep_lost_jobs

        return sweep_lost_jobs(self._settings)

    def close(self) -> None:
        """A clean stop: queued jobs are cancelled and recorded lost, their uploads removed
        (the running one finishes first)."""
        self._pool.shutdown(wait=False, cancel_futures=True)
        from backstride.workflows.jobs import lost_message

        for job in [j for j in self._jobs.values() if j.state == "queued"]:
            with job.lock:
                job.state, job.error = "failed", lost_message(job.label)
            self._record(job.id, "lost", error=job.error)
            upload = self._uploads.pop(job.id, None)
            if upload is not None:
                shutil.rmtree(upload, ignore_errors=True)


def _error_text(label: str, exc: BaseException) -> str:
    from backstride.errors import BackstrideError, StorageError

    if isinstance(exc, StorageError):  # its page sentence: no path, host or database name
        return exc.public
    if isinstance(exc, BackstrideError):
        return str(exc)
    logger.error("job %s failed", label, exc_info=exc)  # the log has it, never the page
    return (f"{label} stopped on an unexpected error; nothing more was changed. Try again; if "
            "it happens again, please report it with the server's log.")

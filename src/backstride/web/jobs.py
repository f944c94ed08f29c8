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
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def json(self) -> dict[str, Any]:
        with self.lock:
            return {"id": self.id, "label": self.label, "done": self.done, "total": self.total,
                    "state": self.state, "result_url": self.result_url, "error": self.error}


class JobRunner:
    """``settings``: where jobs are recorded (None: in memory only, as for a library caller)."""

    def __init__(self, settings: Settings | None = None) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="backstride-job")
        self._jobs: dict[str, Job] = {}
        self._uploads: dict[str, Path] = {}
        self._settings = settings

    def submit(self, label: str, work: Work, *, owner: str | None = None,
               upload_dir: Path | None = None, keep_upload: bool = False) -> Job:
        """Queue ``work``. ``upload_dir`` is removed when the job is refused, fails or (unless
        ``keep_upload``) ends."""
        try:
            job = self._queue(label, owner, upload_dir)
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
                job.state = "running"
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

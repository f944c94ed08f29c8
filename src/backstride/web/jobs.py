"""One background worker for long jobs (an analysis, an import), so a page never freezes:
the page polls ``/jobs/{id}`` and shows the progress."""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

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
    state: str = "running"  # running, done, failed
    result_url: str | None = None
    error: str | None = None
    owner: str | None = None  # team mode: the username that started it (only they see it)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def json(self) -> dict[str, Any]:
        with self.lock:
            return {"id": self.id, "label": self.label, "done": self.done, "total": self.total,
                    "state": self.state, "result_url": self.result_url, "error": self.error}


class JobRunner:
    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="backstride-job")
        self._jobs: dict[str, Job] = {}

    def submit(self, label: str, work: Work, *, owner: str | None = None) -> Job:
        running = [j for j in self._jobs.values() if j.state == "running"]
        if len(running) >= MAX_WAITING:
            from fastapi import HTTPException

            raise HTTPException(status_code=429, detail=(
                f"{len(running)} jobs are already waiting: let them finish, then try again."))
        for old in [j for j in self._jobs.values() if j.state != "running"][:-KEEP_FINISHED]:
            self._jobs.pop(old.id, None)  # finished jobs are kept only for their result page
        job = Job(id=uuid.uuid4().hex, label=label, owner=owner)
        self._jobs[job.id] = job

        def progress(done: int, total: int | None) -> None:
            with job.lock:
                job.done, job.total = done, total

        def run() -> None:
            from backstride.errors import BackstrideError, StorageError

            try:
                url = work(progress)
            except StorageError as exc:  # its page sentence: no path, host or database name
                with job.lock:
                    job.state, job.error = "failed", exc.public
                return
            except BackstrideError as exc:
                with job.lock:
                    job.state, job.error = "failed", str(exc)
                return
            except Exception:  # never the raw text (SQL, a URL) on a page; the log has it
                logger.exception("job %s (%s) failed", job.id, label)
                with job.lock:
                    job.state, job.error = "failed", (
                        f"{label} stopped on an unexpected error; nothing more was changed. "
                        "Try again; if it happens again, please report it with the server's "
                        "log.")
                return
            with job.lock:
                job.state, job.result_url = "done", url

        self._pool.submit(run)
        return job

    def get(self, job_id: str) -> Job | None:
        return self._jobs.get(job_id)

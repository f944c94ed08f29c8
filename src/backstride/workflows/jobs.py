"""The web app's background jobs, kept in the history database (table ``jobs``, migration
0005): a job is queued, running, done or failed, and one that was queued or running when its
server stopped (killed, crashed, restarted) is found at the next start, marked lost, and its
upload removed; its page then says what happened instead of waiting for ever."""

from __future__ import annotations

import os
import shutil
import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from backstride.config import Settings
from backstride.workflows.history import open_store

KEEP_FINISHED_FOR = timedelta(days=7)  # a finished job's page is kept this long


def this_server() -> str:
    """Who runs a job: ``host:pid`` (a start-up only declares its own host's dead jobs lost)."""
    return f"{socket.gethostname()}:{os.getpid()}"


def record_job(settings: Settings, job_id: str, *, label: str, owner: str | None,
               upload_dir: Path | None) -> None:
    with open_store(settings) as store:
        store.save_job(job_id, label=label, owner=owner, server=this_server(),
                       upload_dir=None if upload_dir is None else str(upload_dir))


def set_job_state(settings: Settings, job_id: str, state: str, *,
                  result_url: str | None = None, error: str | None = None) -> None:
    with open_store(settings) as store:
        store.set_job_state(job_id, state, result_url=result_url, error=error)


def stored_job(settings: Settings, job_id: str) -> dict[str, Any] | None:
    with open_store(settings) as store:
        return store.job(job_id)


def lost_message(label: str) -> str:
    """What a lost job's page says: what happened, what was kept, what to do."""
    what = label[:1].lower() + label[1:]
    return (f"The server stopped while {what}, before it finished, and the upload was not "
            "kept. Anything already stored is in your history (see Runs); upload the file "
            "again to finish.")


def sweep_lost_jobs(settings: Settings) -> list[str]:
    """At start-up: jobs queued or running on this host whose process is gone become lost,
    and their uploads are removed; finished jobs older than a week are forgotten. The ids of
    the jobs found lost."""
    host = socket.gethostname()
    lost: list[str] = []
    with open_store(settings) as store:
        for job in store.unfinished_jobs():
            job_host, _, pid = str(job["server"]).rpartition(":")
            if job_host != host or _alive(int(pid)):
                continue
            store.set_job_state(job["id"], "lost", error=lost_message(job["label"]))
            if job["upload_dir"]:
                shutil.rmtree(job["upload_dir"], ignore_errors=True)
            lost.append(job["id"])
        store.forget_jobs_before(datetime.now(UTC) - KEEP_FINISHED_FOR)
    return lost


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return False  # this process is starting: nothing of its own runs yet
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process: alive
    return True

"""Background jobs: an input error is shown as it is; a bug is logged with its traceback and
the user gets one clear line, not an exception's repr."""

from __future__ import annotations

import logging
import time

import pytest

from backstride.errors import InputError
from backstride.web.jobs import Job, JobRunner


def _finish(job: Job) -> Job:
    deadline = time.monotonic() + 10
    while job.state == "running" and time.monotonic() < deadline:
        time.sleep(0.01)
    return job


def test_an_input_error_is_shown_as_written() -> None:
    def work(_progress: object) -> str:
        raise InputError("run.fit is empty (0 bytes); export the activity again.")

    job = _finish(JobRunner().submit("run.fit", work))  # type: ignore[arg-type]
    assert job.state == "failed"
    assert job.error == "run.fit is empty (0 bytes); export the activity again."


def test_a_bug_is_logged_with_its_traceback_and_explained(
        caplog: pytest.LogCaptureFixture) -> None:
    def work(_progress: object) -> str:
        raise KeyError("metrics")

    with caplog.at_level(logging.ERROR, logger="backstride.web.jobs"):
        job = _finish(JobRunner().submit("run.fit", work))  # type: ignore[arg-type]
    assert job.state == "failed"
    assert job.error is not None
    assert "run.fit stopped on an unexpected error" in job.error and "KeyError" not in job.error
    assert "please report it with the server's log" in job.error
    [record] = [r for r in caplog.records if r.name == "backstride.web.jobs"]
    assert record.exc_info is not None and record.exc_info[0] is KeyError

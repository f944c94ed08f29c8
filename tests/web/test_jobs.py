"""Jobs that survive the server: a real ``backstride serve`` killed (SIGKILL) mid-import, then
started again, says on the job's page what was lost, and removes the upload; a refused job
(429) and a clean stop keep no upload either."""

from __future__ import annotations

import io
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from http.cookiejar import CookieJar
from pathlib import Path
from typing import Any

import pytest
from fastapi import HTTPException

from backstride.config import Settings
from backstride.web.jobs import MAX_WAITING, JobRunner
from backstride.workflows import migrate_database
from tests.web.conftest import _free_port
from tests.workflows.test_import import _simulated_folder


@contextmanager
def _serve(data: Path, uploads: Path, port: int) -> Iterator[subprocess.Popen[str]]:
    env = {**os.environ, "BACKSTRIDE_DATA_DIR": str(data), "TMPDIR": str(uploads)}
    log = (data.parent / f"serve-{time.monotonic_ns()}.log").open("w")
    # A log file, not a pipe: a killed server's pool workers may hold it open a while.
    process = subprocess.Popen([sys.executable, "-m", "backstride", "serve", "--port",
                                str(port)], env=env, stderr=log, text=True)
    try:
        for _ in range(300):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/import", timeout=2):
                    break
            except OSError:
                time.sleep(0.1)
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
        process.wait(timeout=60)
        log.close()


def _zip_of_runs(folder: Path) -> bytes:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zf:
        for path in sorted(folder.iterdir()):
            zf.write(path, f"runs/{path.name}")
    return archive.getvalue()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *_args: Any, **_kwargs: Any) -> None:
        return None


class _Client:
    """A browser's part: cookies kept, redirects shown, a multipart form posted."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(CookieJar()), _NoRedirect())

    def get(self, path: str, *, accept: str = "text/html") -> tuple[int, str]:
        request = urllib.request.Request(self.base + path, headers={"Accept": accept})
        try:
            with self.opener.open(request, timeout=30) as reply:
                return reply.status, reply.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()

    def post_file(self, path: str, fields: dict[str, str], name: str,
                  data: bytes) -> tuple[int, str]:
        boundary = uuid.uuid4().hex
        parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'
                 .encode() for k, v in fields.items()]
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
                     f'filename="{name}"\r\nContent-Type: application/zip\r\n\r\n'.encode()
                     + data + f"\r\n--{boundary}--\r\n".encode())
        request = urllib.request.Request(
            self.base + path, data=b"".join(parts), method="POST",
            headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
        try:
            with self.opener.open(request, timeout=120) as reply:
                return reply.status, reply.headers.get("location", "")
        except urllib.error.HTTPError as exc:
            return exc.code, exc.headers.get("location", "") or exc.read().decode()


def _job(client: _Client, location: str) -> dict[str, Any]:
    status, body = client.get(location, accept="application/json")
    assert status == 200, body
    found: dict[str, Any] = json.loads(body)
    return found


def test_a_job_killed_with_its_server_says_so_after_the_restart(tmp_path: Path) -> None:
    data, uploads = tmp_path / "data", tmp_path / "uploads"
    uploads.mkdir()
    archive = _zip_of_runs(_simulated_folder(tmp_path / "runs", 60, duration_s=3600))
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    with _serve(data, uploads, port) as server:
        client = _Client(base)
        token = re.search(r'name="csrf_token" value="([0-9a-f]+)"', client.get("/import")[1])
        assert token is not None
        status, location = client.post_file("/import", {"csrf_token": token.group(1)},
                                            "export.zip", archive)
        assert status == 303, location
        for _ in range(600):  # until the import is under way
            job = _job(client, location)
            if job["state"] == "running" and job["done"] >= 1:
                break
            assert job["state"] in ("queued", "running"), job
            time.sleep(0.05)
        server.send_signal(signal.SIGKILL)
        server.wait(timeout=30)
        assert [p.name for p in uploads.iterdir() if p.name.startswith("backstride-import-")]
    with _serve(data, uploads, port):
        client = _Client(base)
        job = _job(client, location)
        assert job["state"] == "lost"
        assert job["error"].startswith("The server stopped while importing export.zip, before "
                                       "it finished, and the upload was not kept.")
        status, page = client.get(location)
        assert status == 200
        assert "The server stopped while importing export.zip" in page
        assert "Lost contact" not in page
        assert client.get("/jobs/" + "f" * 32, accept="application/json")[0] == 404
    assert not any(p.name.startswith("backstride-") for p in uploads.iterdir())


def _blocking_runner(settings: Settings) -> tuple[JobRunner, threading.Event]:
    release = threading.Event()
    runner = JobRunner(settings)

    def work(_progress: Any) -> str:
        release.wait(30)
        return "/"

    for _ in range(MAX_WAITING):
        runner.submit("Waiting", work)
    return runner, release


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    found = Settings(data_dir=tmp_path / "data")
    migrate_database(found)
    return found


def test_a_refused_job_keeps_no_upload(tmp_path: Path, settings: Settings) -> None:
    runner, release = _blocking_runner(settings)
    upload = tmp_path / "backstride-upload-x"
    upload.mkdir()
    (upload / "run.fit").write_bytes(b"x" * 1024)
    with pytest.raises(HTTPException) as refused:
        runner.submit("Analysing run.fit", lambda _p: "/", upload_dir=upload)
    assert refused.value.status_code == 429
    assert "this upload was not kept" in str(refused.value.detail)
    assert not upload.exists()
    release.set()
    runner.close()


def test_a_clean_stop_records_queued_jobs_lost_and_removes_their_uploads(
        tmp_path: Path, settings: Settings) -> None:
    upload = tmp_path / "backstride-upload-y"
    upload.mkdir()
    runner2 = JobRunner(settings)
    hold = threading.Event()
    first = runner2.submit("Importing a.zip", lambda _p: (hold.wait(30), "/")[1])
    queued = runner2.submit("Importing b.zip", lambda _p: "/", upload_dir=upload)
    runner2.close()
    assert not upload.exists()
    stored = JobRunner(settings).get(queued.id)
    assert stored is not None and stored.state == "lost"
    assert stored.error is not None and stored.error.startswith(
        "The server stopped while importing b.zip")
    hold.set()
    for _ in range(100):
        got = JobRunner(settings).get(first.id)
        if got is not None and got.state == "done":
            break
        time.sleep(0.05)
    assert got is not None and got.state == "done"


@pytest.mark.browser
def test_the_job_page_stops_and_says_so_when_its_job_is_gone(settings: Settings,
                                                               page: Any) -> None:
    """The progress script in a real browser: a job the server no longer knows (404) ends
    the polling with a sentence, instead of "Lost contact … retrying" for ever."""
    from backstride.web.app import create_app
    from backstride.workflows import open_store
    from tests.web.conftest import serving

    app = create_app(settings)
    hold = threading.Event()
    with serving(app) as url:
        job = app.state.jobs.submit("Analysing run.fit", lambda _p: (hold.wait(30), "/")[1])
        page.goto(f"{url}/jobs/{job.id}")
        page.locator(".job-status", has_text="starting").wait_for(timeout=10_000)
        app.state.jobs._jobs.pop(job.id)  # as after a restart onto another history
        with open_store(settings) as store, store.engine.begin() as conn:
            conn.exec_driver_sql("DELETE FROM jobs WHERE id = ?", (job.id,))
        page.locator(".job-status", has_text="no longer knows").wait_for(timeout=10_000)
        status = page.locator(".job-status").inner_text()
        assert status.startswith("backstride no longer knows this job")
        assert page.locator("[data-job-url]").get_attribute("role") == "alert"
        assert page.locator("h1").inner_text() == "That did not work"  # as every error page
        assert page.get_by_role("link", name="Upload a file again").is_visible()
        hold.set()

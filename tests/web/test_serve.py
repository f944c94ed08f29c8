"""`backstride serve` starts the app on loopback; --team needs users, and says what crosses the
network unencrypted."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner

from backstride.cli import cli, serve_notes
from tests.web.conftest import _free_port


def test_serve_answers_on_loopback(tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, "BACKSTRIDE_DATA_DIR": str(tmp_path / "data")}
    process = subprocess.Popen([sys.executable, "-m", "backstride.cli", "serve", "--port",
                                str(port)], env=env, stderr=subprocess.PIPE, text=True)
    try:
        body = ""
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as reply:
                    body = reply.read().decode()
                    break
            except OSError:
                time.sleep(0.1)
        assert "Dashboard" in body
    finally:
        process.terminate()
        _out, err = process.communicate(timeout=10)
    assert f"http://127.0.0.1:{port}" in err and "only this computer" in err


def test_team_mode_without_users_is_refused_clearly(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["serve", "--team"],
                                env={"BACKSTRIDE_DATA_DIR": str(tmp_path / "data")})
    assert result.exit_code == 1
    assert result.stderr == (
        "backstride: error: Team mode needs at least one user, and there are none: add one "
        "with 'backstride users add NAME --role runner|coach|clinician', then start "
        "'backstride serve --team' again.\n")


def test_team_mode_serves_the_login_page(tmp_path: Path) -> None:
    from backstride import workflows
    from backstride.config import Settings

    data = tmp_path / "data"
    workflows.add_user(settings=Settings(data_dir=data), username="alice",
                       password="correct horse battery", role="runner")
    port = _free_port()
    env = {**os.environ, "BACKSTRIDE_DATA_DIR": str(data)}
    process = subprocess.Popen([sys.executable, "-m", "backstride.cli", "serve", "--team",
                                "--port", str(port)], env=env, stderr=subprocess.PIPE,
                               text=True)
    try:
        body, url = "", ""
        for _ in range(100):
            try:  # / sends the browser to the login page
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as reply:
                    body, url = reply.read().decode(), reply.url
                    break
            except OSError:
                time.sleep(0.1)
        assert url.endswith("/login") and 'name="password"' in body
    finally:
        process.terminate()
        _out, err = process.communicate(timeout=10)
    assert "Team mode: 1 user;" in err and "warning" not in err


def test_team_mode_on_the_network_without_tls_warns() -> None:
    notes = serve_notes("0.0.0.0", 8765, team=True, tls=False, users=3)
    assert notes[-1].startswith("warning: no TLS: passwords and session cookies cross the "
                                "network in clear text")
    assert not any("warning" in n for n in serve_notes("0.0.0.0", 8765, team=True, tls=True,
                                                       users=3))
    assert serve_notes("0.0.0.0", 8765, team=True, tls=True, users=3)[0].startswith(
        "backstride web app on https://0.0.0.0:8765")
    assert not any("warning" in n for n in serve_notes("127.0.0.1", 8765, team=True,
                                                       tls=False, users=1))


@pytest.mark.parametrize(("args", "message"), [
    (["--ssl-certfile", "cert.pem"], "Give --ssl-certfile and --ssl-keyfile together"),
    (["--ssl-certfile", "nope.pem", "--ssl-keyfile", "nope.key"], "nope.pem does not exist"),
])
def test_tls_files_are_checked_before_starting(tmp_path: Path, args: list[str],
                                               message: str) -> None:
    result = CliRunner().invoke(cli, ["serve", *args],
                                env={"BACKSTRIDE_DATA_DIR": str(tmp_path / "data")})
    assert result.exit_code == 1 and message in result.stderr


def test_a_serving_process_collects_cycles_less_often() -> None:
    """`backstride serve` raises the cyclic collector's thresholds (web/app.py says why);
    cycles are still collected."""
    import gc

    from backstride.web.app import SERVING_GC_THRESHOLDS, tune_gc_for_serving

    before = gc.get_threshold()
    try:
        tune_gc_for_serving()
        assert gc.get_threshold() == SERVING_GC_THRESHOLDS
        assert all(a >= b for a, b in zip(SERVING_GC_THRESHOLDS, (700, 10, 10), strict=True))
        assert gc.isenabled()
    finally:
        gc.set_threshold(*before)

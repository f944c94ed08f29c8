"""`backstride serve` starts the app on loopback; --team says it is not here yet."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from click.testing import CliRunner

from backstride.cli import cli
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


def test_team_mode_is_refused_clearly() -> None:
    result = CliRunner().invoke(cli, ["serve", "--team"])
    assert result.exit_code == 1 and "Team mode" in result.stderr

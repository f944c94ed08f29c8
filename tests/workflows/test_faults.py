"""Faults during an import, with real components: a disk that fills up under the history, a
database that is read-only or gone, a PostgreSQL server restarted mid-import. Each ends in one
``backstride: error:`` line that says what happened, what was kept and what to do, never a
traceback; no run is lost and a re-run finishes the import."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from sqlalchemy import create_engine, func, select
from sqlalchemy.pool import NullPool

from backstride.adapters.storage.schema import activities, analyses, series, sources
from backstride.adapters.storage.store import sqlite_url
from backstride.config import Settings
from backstride.workflows import import_paths, migrate_database
from tests.fault_places import grow, own_postgres, small_disk
from tests.workflows.test_import import _simulated_folder

_STOPPED = re.compile(r"The import stopped there: (\d+) runs? stored of the (\d+) files? it "
                      r"reached; run the same import again to finish")


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "backstride", *args], capture_output=True,
                          text=True, timeout=300, check=False, env=env)


def _whole_runs(url: str) -> int:
    """How many runs are stored, after checking each has its source, series and analysis."""
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            count = conn.scalar(select(func.count()).select_from(activities)) or 0
            for table in (sources, series, analyses):
                assert conn.scalar(select(func.count(func.distinct(table.c.activity_id)))) \
                    == count
            return count
    finally:
        engine.dispose()


def _one_error_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("backstride: error: ")
    for leak in ("Traceback", "sqlalche.me", "INSERT", "SELECT", "sqlite3.", "psycopg"):
        assert leak not in stderr
    return lines[0]


def test_a_disk_that_fills_up_stops_the_import_with_what_was_kept(tmp_path: Path) -> None:
    folder = _simulated_folder(tmp_path / "runs", 60, duration_s=1200)  # ~40 kB stored each
    with small_disk(tmp_path / "disk", size_kib=1536) as disk:
        url = sqlite_url(disk / "history.db")
        done = _cli("--db", url, "import", str(folder), "--quiet")
        assert done.returncode == 1
        line = _one_error_line(done.stderr)
        assert "The disk that holds the history database is full" in line
        said = _STOPPED.search(line)
        assert said is not None, line
        stored = int(said.group(1))
        assert 5 <= stored < 60
        assert _whole_runs(url) == stored  # what the line says was kept is there, and whole
        grow(disk, size_kib=16_384)  # space freed: the same import finishes the job
        again = _cli("--db", url, "import", str(folder), "--quiet")
        assert again.returncode == 0, again.stderr
        assert _whole_runs(url) == 60


def test_a_read_only_history_is_one_line(tmp_path: Path) -> None:
    folder = _simulated_folder(tmp_path / "runs", 3)
    with small_disk(tmp_path / "disk", size_kib=4096) as disk:
        url = sqlite_url(disk / "history.db")
        assert _cli("--db", url, "db", "migrate").returncode == 0  # (no file left open here)
        subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
        done = _cli("--db", url, "import", str(folder), "--quiet")
        assert done.returncode == 1
        line = _one_error_line(done.stderr)
        assert "The history database is read-only here" in line
        assert "Make it writable, or choose another with --db" in line
        subprocess.run(["mount", "-o", "remount,rw", str(disk)], check=True)
        assert _whole_runs(url) == 0


def test_postgres_restarted_mid_import_is_retried_and_nothing_is_lost(tmp_path: Path) -> None:
    folder = _simulated_folder(tmp_path / "runs", 40, duration_s=1800)
    with own_postgres() as server:
        settings = Settings(db=server.url)
        migrate_database(settings)
        restarted = threading.Event()

        def restart_when_some_are_stored() -> None:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                try:
                    if _whole_runs(server.url) >= 5:
                        break
                except Exception:
                    pass
                time.sleep(0.05)
            server.restart(down_s=1.5)
            restarted.set()

        watcher = threading.Thread(target=restart_when_some_are_stored, daemon=True)
        watcher.start()
        env = {**os.environ, "BACKSTRIDE_DB": server.url}
        done = _cli("import", str(folder), "--quiet", "--workers", "1", env=env)
        watcher.join(timeout=60)
        assert restarted.is_set(), "the server was not restarted during the import"
        assert done.returncode == 0, done.stderr
        assert "Traceback" not in done.stderr
        assert _whole_runs(server.url) == 40
        summary = import_paths([folder], settings=settings, workers=1)
        assert summary.imported == 0 and summary.already_imported == 40


def test_postgres_down_for_good_is_one_line_with_what_was_kept(tmp_path: Path) -> None:
    folder = _simulated_folder(tmp_path / "runs", 30, duration_s=1800)
    with own_postgres() as server:
        migrate_database(Settings(db=server.url))

        def stop_when_some_are_stored() -> None:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                try:
                    if _whole_runs(server.url) >= 3:
                        break
                except Exception:
                    pass
                time.sleep(0.05)
            server.pg_ctl("-m", "fast", "stop")

        watcher = threading.Thread(target=stop_when_some_are_stored, daemon=True)
        watcher.start()
        env = {**os.environ, "BACKSTRIDE_DB": server.url}
        done = _cli("import", str(folder), "--quiet", "--workers", "1", env=env)
        watcher.join(timeout=60)
        assert done.returncode == 1
        line = _one_error_line(done.stderr)
        assert "The history database server cannot be reached" in line
        assert server.url.split("@")[1].split("?")[0] not in line  # no database name or host
        assert str(server.folder) not in line
        said = _STOPPED.search(line)
        assert said is not None, line
        listing = _cli("runs", env=env)  # the server is still down: any command says so
        assert listing.returncode == 1
        assert "The history database server cannot be reached" in _one_error_line(
            listing.stderr)
        server.pg_ctl("start")
        assert _whole_runs(server.url) == int(said.group(1))


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # closed again when the block ends: nobody answers


def test_a_ray_address_that_does_not_answer_is_reported_within_seconds(tmp_path: Path) -> None:
    folder = _simulated_folder(tmp_path / "runs", 3)
    url = sqlite_url(tmp_path / "history.db")
    address = f"127.0.0.1:{_closed_port()}"
    started = time.monotonic()
    done = _cli("--db", url, "batch", str(folder), "--ray", address)
    assert time.monotonic() - started < 15
    assert done.returncode == 1
    line = _one_error_line(done.stderr)
    assert line.startswith(f"backstride: error: The Ray cluster at {address} does not answer "
                           "(Connection refused); nothing was imported. Check the address")
    assert "--ray-fallback local" in line


def test_ray_fallback_local_runs_the_batch_here_and_says_so(tmp_path: Path) -> None:
    folder = _simulated_folder(tmp_path / "runs", 3)
    url = sqlite_url(tmp_path / "history.db")
    address = f"127.0.0.1:{_closed_port()}"
    done = _cli("--db", url, "batch", str(folder), "--ray", address, "--ray-fallback", "local")
    assert done.returncode == 0, done.stderr
    assert f"The Ray cluster at {address} does not answer (Connection refused); the batch ran " \
           "on this machine's cores instead (--ray-fallback local)." in done.stderr
    assert "imported 3" in done.stdout
    assert _whole_runs(url) == 3

"""Real places where things go wrong, for the fault tests: a small disk that fills up, a
read-only disk. They are tmpfs mounts, so they need root (or CAP_SYS_ADMIN); elsewhere the
test is skipped and says why (/dev/full still gives a real "disk full" everywhere). A
PostgreSQL cluster of the test's own, to restart under an import."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest


@contextmanager
def small_disk(path: Path, *, size_kib: int, read_only: bool = False) -> Iterator[Path]:
    """A tmpfs of ``size_kib`` KiB mounted at ``path`` for the block (read-only if asked)."""
    mount = shutil.which("mount")
    if mount is None:
        pytest.skip("no mount command to make a small disk")
    path.mkdir(parents=True, exist_ok=True)
    options = f"size={size_kib}k" + (",ro" if read_only else "")
    done = subprocess.run([mount, "-t", "tmpfs", "-o", options, "tmpfs", str(path)],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here ({done.stderr.strip()})")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def grow(path: Path, *, size_kib: int) -> None:
    """Give the small disk at ``path`` more room (the user freed some space)."""
    subprocess.run(["mount", "-o", f"remount,size={size_kib}k", str(path)], check=True)


@dataclass
class OwnPostgres:
    """A PostgreSQL cluster of the test's own (not the shared one scripts/test.sh starts),
    so the test may stop and restart it."""

    folder: Path
    bin: Path
    url: str

    def _as_owner(self, *command: str) -> subprocess.CompletedProcess[str]:
        runner = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        return subprocess.run([*runner, *command], cwd=self.folder, capture_output=True,
                              text=True, check=False, timeout=60)

    def pg_ctl(self, *args: str) -> None:
        done = self._as_owner(str(self.bin / "pg_ctl"), "-D", str(self.folder / "data"),
                              "-l", str(self.folder / "server.log"), "-w", "-t", "30", *args)
        assert done.returncode == 0, done.stderr

    def restart(self, *, down_s: float = 1.0) -> None:
        """Stop (fast: open connections are cut, as on a server restart), wait, start."""
        self.pg_ctl("-m", "fast", "stop")
        time.sleep(down_s)
        self.pg_ctl("start")


@contextmanager
def own_postgres() -> Iterator[OwnPostgres]:
    """Start a throwaway cluster on a unix socket; skipped (with the reason) where PostgreSQL's
    server binaries or, as root, the postgres user are missing."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: p.parent.name)
    bin_dir = Path(os.environ.get("BACKSTRIDE_PG_BIN", "")) if os.environ.get(
        "BACKSTRIDE_PG_BIN") else (found[-1] if found else None)
    if bin_dir is None or not (bin_dir / "initdb").exists():
        pytest.skip("PostgreSQL server binaries not found (scripts/setup.sh installs them)")
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        pytest.skip("as root the server runs as 'postgres' through runuser, which is missing")
    folder = Path(tempfile.mkdtemp(prefix="bs-pg-", dir="/tmp"))  # a socket path is short
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres")
    server = OwnPostgres(folder=folder, bin=bin_dir,
                         url=f"postgresql+psycopg://postgres@/faults?host={folder}&port=5433")
    try:
        done = server._as_owner(str(bin_dir / "initdb"), "-D", str(folder / "data"), "-U",
                                "postgres", "-A", "trust", "-E", "UTF8", "--locale=C",
                                "--no-sync")
        if done.returncode != 0:
            pytest.skip(f"initdb failed: {done.stderr.strip()[-300:]}")
        with (folder / "data" / "postgresql.conf").open("a") as conf:
            conf.write(f"listen_addresses = ''\nunix_socket_directories = '{folder}'\n"
                       "port = 5433\nfsync = off\nsynchronous_commit = off\n")
        server.pg_ctl("start")
        done = server._as_owner(str(bin_dir / "createdb"), "-h", str(folder), "-p", "5433",
                                "-U", "postgres", "faults")
        assert done.returncode == 0, done.stderr
        yield server
    finally:
        if (folder / "data" / "postmaster.pid").exists():
            server._as_owner(str(bin_dir / "pg_ctl"), "-D", str(folder / "data"), "-m",
                             "immediate", "-w", "stop")
        shutil.rmtree(folder, ignore_errors=True)

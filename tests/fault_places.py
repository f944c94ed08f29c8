"""Real places where things go wrong, for the fault tests: a small disk that fills up, a
read-only disk. They are tmpfs mounts, so they need root (or CAP_SYS_ADMIN); elsewhere the
test is skipped and says why (/dev/full still gives a real "disk full" everywhere)."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
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

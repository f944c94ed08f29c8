"""Every output file (JSON, HTML, WAV, FIT, ICS, MP4, keypoints…) goes through here.

It writes through what the user named:

- a regular file, or a path that does not exist yet: a temporary file beside it, flushed to
  disk, then renamed over it, so a reader never sees half a file and a failed write leaves
  the earlier file as it was (its permissions are kept);
- a symbolic link: followed to the file it names, which is then written as above, so the link
  stays a link (``latest.html`` pointing into another folder keeps pointing there);
- a device, a FIFO or a socket: opened and written directly. Renaming over ``/dev/null`` would
  replace the device with a regular file for the whole machine;
- ``-``: standard output.

A failure is an :class:`~backstride.errors.OutputError` that names the file, says what
happened (disk full, read-only, permission denied) and that nothing partial was left there.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import stat
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from backstride.errors import OutputError

STDOUT = "-"


def write_output(path: Path | str, data: bytes | str) -> None:
    """Write ``data`` (text as UTF-8) to ``path`` as the module docstring describes."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    with open_output(path) as handle:
        handle.write(payload)


@contextmanager
def open_output(path: Path | str) -> Iterator[BinaryIO]:
    """A binary handle onto ``path``; the output is in place once the block ends cleanly.

    For a regular file the handle is a temporary file renamed over the target at the end; if
    the block raises, the temporary file is removed and the target is untouched.
    """
    if str(path) == STDOUT:
        sys.stdout.flush()
        yield sys.stdout.buffer
        sys.stdout.buffer.flush()
        return
    named = Path(path)
    target, special = _resolve(named)
    if special:
        with _mapped(named), target.open("wb") as handle:
            yield handle
        return
    with _mapped(named):
        fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.",
                                        suffix=".tmp")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as handle, _mapped(named):
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        with _mapped(named):
            os.chmod(tmp, _mode_for(target))
            os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


@contextmanager
def output_path(path: Path | str) -> Iterator[Path]:
    """A file name to write to, for writers that need one (an MP4 muxer seeks back to write
    its index); when the block ends cleanly the file becomes ``path`` as above (renamed into
    place, or copied into a device or FIFO)."""
    named = Path(path)
    target, special = (named, True) if str(path) == STDOUT else _resolve(named)
    if special:
        with tempfile.TemporaryDirectory(prefix="backstride-output-") as folder:
            temporary = Path(folder) / named.name
            yield temporary
            with temporary.open("rb") as source, open_output(path) as handle:
                shutil.copyfileobj(source, handle, 1 << 20)
        return
    with _mapped(named):
        fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.",
                                        suffix=".tmp")
        os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        with _mapped(named):
            os.chmod(tmp, _mode_for(target))
            os.replace(tmp, target)
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()


def _resolve(path: Path) -> tuple[Path, bool]:
    """The file to write (symlinks followed) and whether it is written directly (not a
    regular file: a device, FIFO or socket)."""
    target = Path(os.path.realpath(path)) if path.is_symlink() else path
    try:
        mode = target.stat().st_mode
    except FileNotFoundError:
        with _mapped(path):
            target.parent.mkdir(parents=True, exist_ok=True)
        return target, False
    except OSError as exc:
        raise _error(path, exc) from exc
    if stat.S_ISDIR(mode):
        raise OutputError(f"{path} is a folder. Give a file name (for example "
                          f"{path / 'out'}); nothing was written.")
    return target, not stat.S_ISREG(mode)


def _mode_for(target: Path) -> int:
    """Keep an existing file's permissions; a new one gets the usual 0666 less the umask."""
    try:
        return stat.S_IMODE(target.stat().st_mode)
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


@contextmanager
def _mapped(path: Path) -> Iterator[None]:
    try:
        yield
    except OSError as exc:
        raise _error(path, exc) from exc


def _error(path: Path, exc: OSError) -> OutputError:
    kept = "nothing was written there (an earlier file of that name is unchanged)"
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        what = "the disk is full"
        todo = "Free some space (or choose another disk) and run the command again."
    elif exc.errno == errno.EROFS:
        what = "it is on a read-only file system"
        todo = "Choose a place you can write to and run the command again."
    elif exc.errno in (errno.EACCES, errno.EPERM):
        what = "permission denied"
        todo = "Choose a place you can write to, or change the permissions, and run again."
    elif exc.errno == errno.ENOTDIR:
        what = "a part of the path is a file, not a folder"
        todo = "Check the path and run again."
    else:
        what = exc.strerror or str(exc) or type(exc).__name__
        todo = "Check the path and the disk, and run the command again."
    return OutputError(f"{path} cannot be written: {what}; {kept}. {todo}")

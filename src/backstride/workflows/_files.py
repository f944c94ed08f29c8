"""Files written and read by the workflows: atomic writes, JSON inputs that teach."""


from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from backstride.errors import InputError
from backstride.workflows._json_input import parse_json_bytes


def write_text_atomic(path: Path, text: str) -> None:
    """Write to a temporary file beside ``path``, then rename: never a half-written file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; a report is an ordinary file
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_json_file(path: Path, what: str) -> dict[str, Any]:
    """A JSON object from ``path``; InputError that says what is wrong otherwise (one reader
    for every JSON file a user gives: ``_json_input``)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise InputError(f"{path} does not exist. Give the path of your {what} file.") from exc
    except OSError as exc:
        raise InputError(f"{path} cannot be read ({type(exc).__name__}). "
                         f"Give a {what} JSON file.") from exc
    return parse_json_bytes(data, name=path.name, what=what)

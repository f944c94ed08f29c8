"""Files written and read by the workflows: outputs written through, JSON inputs that teach."""


from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from backstride.adapters.output import write_output
from backstride.errors import InputError


def write_text_atomic(path: Path, text: str) -> None:
    """Write ``text`` through what ``path`` names (``adapters.output``): a regular file or a new
    path atomically, a symlink's target atomically, a device or FIFO directly, ``-`` to stdout."""
    write_output(path, text)


def read_json_file(path: Path, what: str) -> dict[str, Any]:
    """A JSON object from ``path``; InputError that says what is wrong otherwise."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise InputError(f"{path} does not exist. Give the path of your {what} file.") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path} cannot be read as text ({type(exc).__name__}). "
                         f"Give a {what} JSON file.") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{path.name} is not valid JSON (line {exc.lineno}, column "
                         f"{exc.colno}: {exc.msg}). Fix the file or answer again.") from exc
    if not isinstance(data, dict):
        raise InputError(f"{path.name} must hold one JSON object ({what}), not "
                         f"{type(data).__name__}.")
    return data

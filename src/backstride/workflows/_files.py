"""Files written and read by the workflows: outputs written through, JSON inputs that teach."""


from __future__ import annotations

from pathlib import Path
from typing import Any

from backstride.adapters.output import write_output
from backstride.errors import InputError
from backstride.workflows._json_input import parse_json_bytes


def write_text_atomic(path: Path, text: str) -> None:
    """Write ``text`` through what ``path`` names (``adapters.output``): a regular file or a new
    path atomically, a symlink's target atomically, a device or FIFO directly, ``-`` to stdout."""
    write_output(path, text)


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

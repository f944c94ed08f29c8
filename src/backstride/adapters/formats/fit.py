"""FIT decoding: from bytes to every message as numpy columns.

Why this shape: a FIT file is a stream of small messages whose layout is fixed by earlier
definition messages. Per-field Python objects (what fitdecode builds) cost tens of µs a record.
Here one Python loop only walks the headers (``fit_scan``); then all messages sharing a layout
are gathered into one ``(n, size)`` byte block and every field of that layout is decoded with a
few vectorised numpy operations per base type (``fit_columns``). The figures are in
docs/fit-decoder.md and benchmarks/bench_fit_decode.py.
"""

from __future__ import annotations

from dataclasses import dataclass

from backstride.adapters.formats.fit_columns import build_columns
from backstride.adapters.formats.fit_scan import DeveloperField, looks_like_fit, scan_fit
from backstride.core.types import AnyArray, Issue

__all__ = ["DeveloperField", "FitDecoded", "FitHeaderError", "decode_fit", "looks_like_fit"]


class FitHeaderError(ValueError):
    """The bytes do not start with a FIT file header."""


@dataclass(slots=True)
class FitDecoded:
    """Every message of a FIT file as columns, plus what went wrong while reading it.

    ``messages[name][column]`` is a numpy array with one row per message of that type, in
    file order. Numbers are float64 with the profile's scale applied and NaN where the file
    holds the "invalid" marker; date-time fields are UNIX seconds (UTC); strings are object
    arrays; array fields are 2-D. ``_file`` holds the index of the chained activity a message
    belongs to and ``_offset`` its byte offset. Developer fields are named
    ``developer.<name>``, described in ``developer_fields``.
    """

    messages: dict[str, dict[str, AnyArray]]
    developer_fields: dict[str, DeveloperField]
    issues: list[Issue]
    n_files: int
    bytes_total: int
    bytes_skipped: int



def decode_fit(data: bytes) -> FitDecoded:
    """Decode a whole FIT byte string, chained files included. Never raises on damage past
    the first header; raises :class:`FitHeaderError` when there is no FIT header at all."""
    if not looks_like_fit(data):
        raise FitHeaderError("no FIT file header")
    scan = scan_fit(data)
    return FitDecoded(
        messages=build_columns(scan),
        developer_fields={f"developer.{d.name}": d for d in scan.dev_descriptions.values()},
        issues=scan.issues,
        n_files=scan.n_files,
        bytes_total=len(data),
        bytes_skipped=scan.bytes_skipped,
    )

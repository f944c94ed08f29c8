"""Every error backstride raises on purpose.

::

    BackstrideError
      InputError                file, video or answers unusable
        UnsupportedFormatError  not a FIT, TCX or GPX file
        CorruptFileError        damaged beyond recovery (path and byte offset)
        InsufficientDataError   nothing computable (no running records)
        NotFoundError           no such run, shoe, user or runner (or not one you may see)
      StorageError              database unreachable, or its schema is newer than the code
      OutputError               an output file cannot be written (disk full, read-only…)
      ConfigError               bad setting value or unknown key
      MissingDependencyError    an optional extra is not installed

A message says what is wrong, then what to do. Interfaces map the tree in one place:
the CLI prints ``backstride: error: <message>`` and exits 1.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final


class BackstrideError(Exception):
    """Root of every error backstride raises on purpose."""


class InputError(BackstrideError):
    """The input (file, answers, option value) cannot be used."""


class UnsupportedFormatError(InputError):
    def __init__(self, path: Path, seen: str) -> None:
        super().__init__(
            f"{path.name} is not a FIT, TCX or GPX activity ({seen}). "
            "Export the run from your watch app as FIT (best), TCX or GPX and try again."
        )
        self.path = path


class UnreadableFileError(InputError):
    """A reader (the decoder, the video decoder or the pose model) stopped on something it
    does not handle: the file, not backstride, is what the user can act on. Errors from the
    analysis of what was read are never turned into this: they are bugs."""

    def __init__(self, path: Path, cause: BaseException) -> None:
        super().__init__(f"{path.name} could not be analysed ({type(cause).__name__}: {cause}). "
                         "Check the file; if it opens in your watch app, please report this.")


class CorruptFileError(InputError):
    def __init__(self, path: Path, problem: str, *, offset: int | None = None) -> None:
        at = f" at byte {offset}" if offset is not None else ""
        super().__init__(
            f"{path.name} is damaged{at}: {problem}. "
            "Export it again from your watch app; nothing was imported."
        )
        self.path = path
        self.offset = offset


class InsufficientDataError(InputError):
    """Readable, but nothing in it can be measured."""


class NotRunningError(InsufficientDataError):
    """Another sport (a ride, a swim, a walk...): refused with the sport named in words."""

    def __init__(self, message: str, *, sport: str) -> None:
        super().__init__(message)
        self.sport = sport


class NotFoundError(InputError):
    """No such run, shoe, user or runner; in team mode also one the user may not see, and
    said the same way, so ids and names do not leak."""


class StorageError(BackstrideError):
    """The history database cannot be used as it is.

    ``public`` is the sentence a web page may show: it never names the database's location
    (a path, host, port or user), which the CLI's message may. ``retryable`` is true for a
    fault that may pass by itself (a lost connection, a busy database)."""

    PUBLIC: Final = ("The history database cannot be used right now; nothing was changed. "
                     "Try again in a minute; if it lasts, tell whoever runs this server.")

    def __init__(self, message: str, *, public: str | None = None,
                 retryable: bool = False) -> None:
        super().__init__(message)
        self.public = public if public is not None else self.PUBLIC
        self.retryable = retryable


class ConfigError(BackstrideError):
    """A setting has a bad value, or an unknown key was given."""


class MissingDependencyError(BackstrideError):
    def __init__(self, what: str, extra: str) -> None:
        super().__init__(
            f"{what} needs the '{extra}' extra, which is not installed. "
            f"Install it with: pip install 'backstride[{extra}]'"
        )


class OutputError(BackstrideError):
    """An output file cannot be written (disk full, read-only, no permission, a folder)."""

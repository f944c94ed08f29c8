"""A SQLite history at the current schema, read and written with the standard library.

``backstride triage --answers F`` records the triage and says whether a hold stands; through
SQLAlchemy that costs ~0.2 s of imports, more than everything else the command does (issue
16: the command's start-up). This module does those few statements for a SQLite file that
is already at ``HEAD_REVISION`` and already knows the runner; anything else (a new database,
an older schema, a new runner, PostgreSQL, any SQLite error) is ``DirectUnavailable``, and
the caller goes through the Store, which migrates, creates and reports faults in words.

The rows are written as the Store writes them (the SQLAlchemy types' own storage formats:
``YYYY-MM-DD HH:MM:SS.ffffff`` for times in UTC, ``json.dumps`` for JSON); database triggers
bump the history version as for any write. ``tests/adapters/storage/test_direct.py`` reads
what this writes through the Store, and the reverse.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, date, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Final

from backstride.adapters.storage.records import HEAD_REVISION, Clearance, TriageRecord

WAIT_S: Final = 5.0  # a write lock held by another process: wait this long, then the Store
_TIME_FORMAT: Final = "%Y-%m-%d %H:%M:%S.%f"


class DirectUnavailable(Exception):
    """This history cannot be used directly: go through the Store."""


def sqlite_file(url: str) -> Path | None:
    """The file of a ``sqlite:///PATH`` URL; None for memory, other databases or options."""
    prefix = "sqlite:///"
    if not url.startswith(prefix) or "?" in url:
        return None
    path = url[len(prefix):]
    return None if not path or path == ":memory:" else Path(path)


class DirectHistory:
    """One runner's triages and clearances in one write transaction (``with history:``)."""

    def __init__(self, url: str, runner: str) -> None:
        path = sqlite_file(url)
        if path is None or not path.is_file():
            raise DirectUnavailable(f"not an existing SQLite file: {url}")
        try:
            self._conn = sqlite3.connect(path, timeout=WAIT_S, isolation_level=None)
        except sqlite3.Error as exc:
            raise DirectUnavailable(str(exc)) from exc
        self._runner = runner
        self._runner_id: int | None = None

    def __enter__(self) -> DirectHistory:
        try:
            self._conn.execute("PRAGMA foreign_keys=ON")
            self._conn.execute("BEGIN IMMEDIATE")  # the write lock first: nothing in between
            version = self._conn.execute("SELECT version_num FROM alembic_version").fetchall()
            if version != [(HEAD_REVISION,)]:
                raise DirectUnavailable(f"schema {version} is not {HEAD_REVISION}")
            found = self._conn.execute("SELECT id FROM runners WHERE name = ?",
                                       (self._runner,)).fetchone()
            if found is None:
                raise DirectUnavailable(f"no runner {self._runner!r} yet")
            self._runner_id = int(found[0])
        except (sqlite3.Error, DirectUnavailable) as exc:
            self.__exit__(type(exc), exc, exc.__traceback__)  # rolls back; SQLite's -> ours
            raise
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self._end(commit=kind is None)
        if isinstance(error, sqlite3.Error):  # rolled back: nothing of it was stored
            raise DirectUnavailable(str(error)) from error

    def _end(self, *, commit: bool) -> None:
        try:
            if self._conn.in_transaction:
                self._conn.execute("COMMIT" if commit else "ROLLBACK")
        except sqlite3.Error as exc:
            if self._conn.in_transaction:
                self._conn.execute("ROLLBACK")
            raise DirectUnavailable(str(exc)) from exc
        finally:
            self._conn.close()

    def triages(self) -> list[TriageRecord]:
        """The runner's triages, oldest first (by time, then id), as the Store lists them."""
        rows = self._conn.execute(
            "SELECT created_utc, level, answers, result FROM triage_records "
            "WHERE runner_id = ? ORDER BY created_utc, id", (self._runner_id,)).fetchall()
        return [TriageRecord(created_utc=_time(row[0]), level=str(row[1]),
                             answers=json.loads(row[2]), result=json.loads(row[3]))
                for row in rows]

    def latest_clearance(self) -> Clearance | None:
        row = self._conn.execute(
            "SELECT cleared_on, cleared_by, note, created_utc FROM clearances "
            "WHERE runner_id = ? ORDER BY created_utc DESC, id DESC LIMIT 1",
            (self._runner_id,)).fetchone()
        if row is None:
            return None
        return Clearance(cleared_on=date.fromisoformat(row[0]), cleared_by=str(row[1]),
                         note=row[2], created_utc=_time(row[3]))

    def pain_logged_after(self, moment: datetime) -> bool:
        rows = self._conn.execute("SELECT created_utc FROM pain_entries WHERE runner_id = ?",
                                  (self._runner_id,)).fetchall()
        return any(_time(row[0]) > moment for row in rows)

    def save_triage(self, answers: dict[str, Any], result: dict[str, Any]) -> None:
        self._conn.execute(
            "INSERT INTO triage_records (runner_id, created_utc, level, answers, result) "
            "VALUES (?, ?, ?, ?, ?)",
            (self._runner_id, datetime.now(UTC).strftime(_TIME_FORMAT), str(result["level"]),
             json.dumps(answers), json.dumps(result)))


def _time(text: Any) -> datetime:
    """A stored time (naive UTC text, as SQLAlchemy keeps it in SQLite) as aware UTC."""
    return datetime.fromisoformat(str(text)).replace(tzinfo=UTC)

"""The Store: one object over SQLite (default) or PostgreSQL, SQLAlchemy Core only.

SQLite is backed up, then migrated, when it is opened behind the code; PostgreSQL is migrated
only by ``backstride db migrate`` (``migrate``). A database newer than the code is refused.
Every write is one transaction: all of its rows, or none.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Final

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, desc, event, insert, select
from sqlalchemy.exc import SQLAlchemyError

from backstride.adapters.storage.schema import (
    clearances,
    plans,
    runners,
    selftest_records,
    triage_records,
)
from backstride.errors import StorageError

MIGRATIONS: Final = Path(__file__).with_name("migrations")
DEFAULT_RUNNER: Final = "me"
JSON = dict[str, Any]


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def _alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(_alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def migrate(engine: Engine) -> None:
    """Upgrade the schema to the code's head revision."""
    _refuse_newer(engine)
    config = _alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "head")


def _refuse_newer(engine: Engine) -> None:
    current = current_revision(engine)
    known = {s.revision for s in ScriptDirectory.from_config(_alembic_config()).walk_revisions()}
    if current is not None and current not in known:
        raise StorageError(
            f"The history database is at schema revision {current}, newer than this version "
            "of backstride knows. Upgrade backstride (pip install -U backstride) to open it.")


@dataclass(frozen=True, slots=True, kw_only=True)
class Clearance:
    cleared_on: date
    cleared_by: str
    note: str | None
    created_utc: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class TriageRecord:
    created_utc: datetime
    level: str
    answers: JSON
    result: JSON


class Store:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @classmethod
    def open(cls, url: str, *, auto_migrate: bool | None = None) -> Store:
        """Open the database at ``url``; SQLite files are created, backed up and migrated."""
        is_sqlite = url.startswith("sqlite")
        if is_sqlite:
            _prepare_sqlite_file(url)
        try:
            engine = create_engine(url, future=True)
            if is_sqlite:
                event.listen(engine, "connect", _sqlite_pragmas)
            store = cls(engine)
            store._ensure_schema(is_sqlite if auto_migrate is None else auto_migrate, url)
        except SQLAlchemyError as exc:
            raise StorageError(f"The history database at {_safe(url)} cannot be opened "
                               f"({type(exc).__name__}). Check --db or BACKSTRIDE_DB.") from exc
        return store

    def _ensure_schema(self, auto_migrate: bool, url: str) -> None:
        current = current_revision(self.engine)
        if current == head_revision():
            return
        _refuse_newer(self.engine)
        if not auto_migrate:
            raise StorageError(f"The history database at {_safe(url)} needs a schema upgrade. "
                               "Run: backstride db migrate")
        if current is not None:
            _backup_sqlite(url, current)
        migrate(self.engine)

    def runner_id(self, name: str = DEFAULT_RUNNER) -> int:
        with self.engine.begin() as conn:
            found = conn.scalar(select(runners.c.id).where(runners.c.name == name))
            if found is not None:
                return int(found)
            new_id = conn.execute(insert(runners).values(
                name=name, created_utc=datetime.now(UTC))).inserted_primary_key
            assert new_id is not None
            return int(new_id[0])

    def save_triage(self, answers: JSON, result: JSON, *, runner: str = DEFAULT_RUNNER) -> None:
        runner_id = self.runner_id(runner)
        with self.engine.begin() as conn:
            conn.execute(insert(triage_records).values(
                runner_id=runner_id, created_utc=datetime.now(UTC), level=result["level"],
                answers=answers, result=result))

    def latest_triage(self, *, runner: str = DEFAULT_RUNNER) -> TriageRecord | None:
        runner_id = self.runner_id(runner)
        with self.engine.connect() as conn:
            row = conn.execute(select(triage_records).where(
                triage_records.c.runner_id == runner_id).order_by(
                desc(triage_records.c.created_utc), desc(triage_records.c.id)).limit(1)).first()
        if row is None:
            return None
        return TriageRecord(created_utc=_aware(row.created_utc), level=row.level,
                            answers=row.answers, result=row.result)

    def save_clearance(self, *, cleared_by: str, cleared_on: date, note: str | None,
                       runner: str = DEFAULT_RUNNER) -> Clearance:
        runner_id = self.runner_id(runner)
        created = datetime.now(UTC)
        with self.engine.begin() as conn:
            conn.execute(insert(clearances).values(
                runner_id=runner_id, created_utc=created, cleared_on=cleared_on,
                cleared_by=cleared_by, note=note))
        return Clearance(cleared_on=cleared_on, cleared_by=cleared_by, note=note,
                         created_utc=created)

    def latest_clearance(self, *, runner: str = DEFAULT_RUNNER) -> Clearance | None:
        runner_id = self.runner_id(runner)
        with self.engine.connect() as conn:
            row = conn.execute(select(clearances).where(
                clearances.c.runner_id == runner_id).order_by(
                desc(clearances.c.created_utc), desc(clearances.c.id)).limit(1)).first()
        if row is None:
            return None
        return Clearance(cleared_on=row.cleared_on, cleared_by=row.cleared_by, note=row.note,
                         created_utc=_aware(row.created_utc))

    def save_selftests(self, results: JSON, result: JSON, *,
                       runner: str = DEFAULT_RUNNER) -> None:
        runner_id = self.runner_id(runner)
        with self.engine.begin() as conn:
            conn.execute(insert(selftest_records).values(
                runner_id=runner_id, created_utc=datetime.now(UTC), results=results,
                result=result))

    def latest_selftests(self, *, runner: str = DEFAULT_RUNNER) -> JSON | None:
        runner_id = self.runner_id(runner)
        with self.engine.connect() as conn:
            row = conn.execute(select(selftest_records.c.results).where(
                selftest_records.c.runner_id == runner_id).order_by(
                desc(selftest_records.c.created_utc), desc(selftest_records.c.id)).limit(1)
            ).first()
        return None if row is None else dict(row.results)

    def save_plan(self, plan: JSON, *, runner: str = DEFAULT_RUNNER) -> None:
        runner_id = self.runner_id(runner)
        with self.engine.begin() as conn:
            conn.execute(insert(plans).values(runner_id=runner_id,
                                              created_utc=datetime.now(UTC), plan=plan))

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def _aware(value: datetime) -> datetime:
    """SQLite returns naive datetimes; every instant here is UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _sqlite_path(url: str) -> Path | None:
    path = url.split("///", 1)[1] if "///" in url else ""
    return Path(path) if path and path != ":memory:" else None


def _prepare_sqlite_file(url: str) -> None:
    path = _sqlite_path(url)
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(f"Cannot create the folder for the history database {path}: "
                               f"{exc.strerror}. Set --db or BACKSTRIDE_DATA_DIR.") from exc


def _backup_sqlite(url: str, revision: str) -> None:
    path = _sqlite_path(url)
    if path is not None and path.exists():
        shutil.copy2(path, path.with_name(f"{path.name}.before-{head_revision()}.from-{revision}"))


def _safe(url: str) -> str:
    """The URL without a password."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://…@{rest.split('@', 1)[1]}"
    return url

"""The Store: one object over SQLite (default) or PostgreSQL, SQLAlchemy Core only.

SQLite is backed up, then migrated, when it is opened behind the code; PostgreSQL is migrated
only by ``backstride db migrate`` (``migrate``). A database newer than the code is refused.
Every write is one transaction: all of its rows, or none.

A migration holds a database-level lock from the revision check to the commit (SQLite:
``BEGIN IMMEDIATE``, the one-writer lock every process sees; PostgreSQL: a transaction-level
advisory lock), and the whole upgrade is one transaction (DDL included, on SQLite too), so two
processes opening a new file at once migrate it once, and a migration that fails (a full disk)
leaves the revision it started from. Tables and indexes a later revision creates, left behind
empty by an older backstride whose migrations were not transactional, are removed first.
"""

from __future__ import annotations

import contextlib
import functools
import shutil
import sqlite3
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from sqlalchemy import (
    Connection,
    Engine,
    ExceptionContext,
    Row,
    Table,
    and_,
    create_engine,
    delete,
    desc,
    event,
    func,
    insert,
    inspect,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from backstride.adapters.storage.records import DEFAULT_RUNNER as DEFAULT_RUNNER  # re-export
from backstride.adapters.storage.records import HEAD_REVISION as HEAD_REVISION  # re-export
from backstride.adapters.storage.records import (
    Clearance,
    ImportOutcome,
    LinkedFile,
    Measured,
    MeasuredVideo,
    PainRecord,
    RunRecord,
    ShoeRecord,
    TriageRecord,
    VideoRecord,
)
from backstride.adapters.storage.records import sqlite_url as sqlite_url  # re-export
from backstride.adapters.storage.schema import (
    activities,
    analyses,
    clearances,
    jobs,
    pain_entries,
    plans,
    runners,
    selftest_records,
    series,
    shoes,
    sources,
    triage_records,
    user_runners,
    users,
    videos,
    web_sessions,
)
from backstride.adapters.storage.schema import history_version as version_row
from backstride.errors import StorageError

if TYPE_CHECKING:
    from alembic.config import Config
    from sqlalchemy import ColumnElement

MIGRATIONS: Final = Path(__file__).with_name("migrations")
JSON = dict[str, Any]


def _alembic_config() -> Config:
    # Alembic is imported only to migrate or to list revisions: opening a database that is
    # already at HEAD_REVISION reads one row and never loads it (~0.3 s of start-up).
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


@functools.cache
def head_revision() -> str:
    """The newest revision in the migrations folder, read once per process (tests check
    HEAD_REVISION against it)."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(_alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    """The database's schema revision (Alembic's version table), None for an empty database."""
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        rows = conn.execute(text("SELECT version_num FROM alembic_version"))
        versions = [str(row[0]) for row in rows]
    if len(versions) > 1:  # branches are not used here; let Alembic sort such a database out
        from alembic.runtime.migration import MigrationContext

        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    return versions[0] if versions else None


# Alembic runs migrations through module-level proxies: two threads migrating at once (the
# web app's first requests and a background job) would trip over each other.
_MIGRATION_LOCK = threading.Lock()


_SQLITE_BUSY_MS: Final = 5_000  # the driver's default wait for another writer
_SQLITE_MIGRATION_WAIT_MS: Final = 120_000  # a migration waits out another's (and its backup)
# Any constant shared by every backstride process: the key of PostgreSQL's advisory lock.
_PG_MIGRATION_LOCK_KEY: Final = 0x62737472_6D696772  # "bstr" "migr"


def migrate(engine: Engine) -> None:
    """Upgrade the schema to the code's head revision, once, whoever else is trying.

    The revision is read again under the database-level lock, so a process that waited while
    another migrated finds the work done. A SQLite file behind the code is backed up first,
    under the same lock (no writer can be half-way through it)."""
    from alembic import command
    from alembic.runtime.migration import MigrationContext

    sqlite = engine.dialect.name == "sqlite"
    if sqlite and not event.contains(engine, "begin", _sqlite_begin):
        event.listen(engine, "begin", _sqlite_begin)
    with _MIGRATION_LOCK, engine.connect() as conn:
        if sqlite:
            conn = conn.execution_options(backstride_lock=True)  # BEGIN IMMEDIATE (see below)
        try:
            with conn.begin():
                if not sqlite:
                    conn.execute(text("SELECT pg_advisory_xact_lock(:key)"),
                                 {"key": _PG_MIGRATION_LOCK_KEY})
                current = MigrationContext.configure(conn).get_current_revision()
                if current == head_revision():
                    return
                _refuse_newer(current)
                if sqlite and current is not None:
                    _backup_sqlite(str(engine.url), current)
                _remove_leftovers(conn, current)
                config = _alembic_config()
                config.attributes["connection"] = conn
                command.upgrade(config, "head")
        finally:
            if sqlite:  # back to the driver's own transaction handling for the pool
                with contextlib.suppress(SQLAlchemyError, sqlite3.Error):
                    raw = conn.connection.driver_connection
                    raw.isolation_level = ""  # type: ignore[union-attr]
                    raw.execute(f"PRAGMA busy_timeout = {_SQLITE_BUSY_MS}")  # type: ignore[union-attr]


def _refuse_newer(current: str | None) -> None:
    from alembic.script import ScriptDirectory

    known = {s.revision for s in ScriptDirectory.from_config(_alembic_config()).walk_revisions()}
    if current is not None and current not in known:
        raise StorageError(
            f"The history database is at schema revision {current}, newer than this version "
            "of backstride knows. Upgrade backstride (pip install -U backstride) to open it.")


def _schema_at(revision: str | None) -> tuple[set[str], set[str]]:
    """Table and index names the revisions up to ``revision`` create (run on a scratch
    in-memory SQLite database, which the same revisions build)."""
    from alembic import command

    scratch = create_engine("sqlite://")
    try:
        with scratch.begin() as conn:
            if revision is not None:
                config = _alembic_config()
                config.attributes["connection"] = conn
                command.upgrade(config, revision)
            found = inspect(conn)
            tables = set(found.get_table_names()) - {"alembic_version"}
            indexes = {ix["name"] for t in tables for ix in found.get_indexes(t) if ix["name"]}
    finally:
        scratch.dispose()
    return tables, indexes


def _remove_leftovers(conn: Connection, current: str | None) -> None:
    """Drop what a later revision creates but that exists already: the traces of a migration
    an older backstride left half-done (its DDL was not transactional). Only empty tables
    are dropped; a leftover table that holds rows is refused, so nothing is lost."""
    found = inspect(conn)
    present = set(found.get_table_names())
    if not present - {"alembic_version"}:
        return
    tables_now, indexes_now = _schema_at(current)
    tables_head, indexes_head = _schema_at(head_revision())
    extra_tables = sorted((tables_head - tables_now) & present)
    full = [t for t in extra_tables
            if conn.execute(text(f'SELECT 1 FROM "{t}" LIMIT 1')).first() is not None]
    if full:
        raise StorageError(
            f"The history database is at schema revision {current or 'none'} but already holds "
            f"rows in {', '.join(full)}, which a later revision creates: it was changed by "
            "hand or by another program. Restore it from a backup (backstride.db.before-…), "
            "then run: backstride db migrate")
    for table in (t for t in present if t not in extra_tables and t in tables_now):
        for index in found.get_indexes(table):
            if index["name"] in indexes_head - indexes_now:
                conn.execute(text(f'DROP INDEX "{index["name"]}"'))
    for table in extra_tables:  # referencing tables first: the later revisions' own order
        conn.execute(text(f'DROP TABLE "{table}"'))


@dataclass(frozen=True, slots=True, kw_only=True)
class UserRecord:
    """A web app user (team mode). The password hash is not part of it."""

    username: str
    role: str  # runner, coach, clinician
    runner: str | None  # the runner a runner user is
    sees: tuple[str, ...]  # the runners a coach or clinician may see, by name
    created_utc: datetime

    @property
    def runners(self) -> tuple[str, ...]:
        """Whose data this user may see: a runner their own, a coach or clinician theirs."""
        if self.role == "runner":
            return () if self.runner is None else (self.runner,)
        return self.sees


_METRIC_PARTS_KEPT: Final = 20_000  # analyses' parts kept by a Store (~3 kB each)
_DRIFT_KEYS: Final = ("metric", "onset_s", "onset_m", "change_pct", "significant")


@dataclass(frozen=True, slots=True, kw_only=True)
class MetricParts:
    """What trends read of a stored analysis: the measured metrics' values (in the contract's
    units, as stored) and the drifts (their metric, onset, change and significance)."""

    metrics: Mapping[str, float]
    drift: tuple[JSON, ...]
    ci95: Mapping[str, tuple[float, float]]  # each measured metric's 95 % interval, as stored


class Store:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        # Shared stores (adapters/storage/opened.py) outlive `with store:`; others close there.
        self.shared = False
        self._metric_parts: dict[tuple[int, datetime], MetricParts] = {}  # runs_with_metrics

    @classmethod
    def open(cls, url: str, *, auto_migrate: bool | None = None) -> Store:
        """Open the database at ``url``; SQLite files are created, backed up and migrated."""
        is_sqlite = url.startswith("sqlite")
        if is_sqlite:
            _prepare_sqlite_file(url)
        engine: Engine | None = None
        try:
            # pre-ping: a connection the server dropped (a restart) is replaced, not used
            engine = create_engine(url, future=True, pool_pre_ping=not is_sqlite)
            event.listen(engine, "handle_error", _fault_as_sentence)
            if is_sqlite:
                event.listen(engine, "connect", _sqlite_pragmas)
                event.listen(engine, "begin", _sqlite_begin)
            store = cls(engine)
            store._ensure_schema(is_sqlite if auto_migrate is None else auto_migrate, url)
        except BaseException as exc:
            if engine is not None:
                engine.dispose()  # a refused open leaves no connection behind
            if not isinstance(exc, SQLAlchemyError):
                raise
            raise StorageError(f"The history database at {_safe(url)} cannot be opened "
                               f"({type(exc).__name__}). Check --db or BACKSTRIDE_DB.") from exc
        return store

    def _ensure_schema(self, auto_migrate: bool, url: str) -> None:
        current = current_revision(self.engine)
        if current == HEAD_REVISION:
            return
        with _MIGRATION_LOCK:  # another thread may be migrating this database right now
            current = current_revision(self.engine)
        if current == HEAD_REVISION:
            return
        _refuse_newer(current)
        if not auto_migrate:
            raise StorageError(f"The history database at {_safe(url)} needs a schema upgrade. "
                               "Run: backstride db migrate")
        migrate(self.engine)  # another process may be migrating it: migrate waits, re-checks

    def runner_id(self, name: str = DEFAULT_RUNNER) -> int:
        with self.engine.begin() as conn:
            return _ensure_runner(conn, name)

    def save_triage(self, answers: JSON, result: JSON, *, runner: str = DEFAULT_RUNNER) -> None:
        runner_id = self.runner_id(runner)
        with self.engine.begin() as conn:
            conn.execute(insert(triage_records).values(
                runner_id=runner_id, created_utc=datetime.now(UTC), level=result["level"],
                answers=answers, result=result))

    def _latest(self, table: Table, runner: str) -> Row[Any] | None:
        """The runner's newest row of a dated table (by time, then id)."""
        runner_id = self.runner_id(runner)
        with self.engine.connect() as conn:
            return conn.execute(select(table).where(table.c.runner_id == runner_id).order_by(
                desc(table.c.created_utc), desc(table.c.id)).limit(1)).first()

    def latest_triage(self, *, runner: str = DEFAULT_RUNNER) -> TriageRecord | None:
        row = self._latest(triage_records, runner)
        if row is None:
            return None
        return TriageRecord(created_utc=_aware(row.created_utc), level=row.level,
                            answers=row.answers, result=row.result)

    def triages_since(self, after: datetime | None, *, runner: str = DEFAULT_RUNNER
                      ) -> list[TriageRecord]:
        """The runner's triages recorded after ``after`` (all when None), oldest first."""
        runner_id = self.runner_id(runner)
        query = select(triage_records).where(triage_records.c.runner_id == runner_id)
        with self.engine.connect() as conn:
            rows = conn.execute(query.order_by(triage_records.c.created_utc,
                                               triage_records.c.id)).all()
        records = [TriageRecord(created_utc=_aware(row.created_utc), level=row.level,
                                answers=row.answers, result=row.result) for row in rows]
        # compared here, not in SQL: SQLite keeps naive datetimes
        return [r for r in records if after is None or r.created_utc > after]

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
        row = self._latest(clearances, runner)
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
        row = self._latest(selftest_records, runner)
        return None if row is None else dict(row.results)

    def save_plan(self, plan: JSON, *, runner: str = DEFAULT_RUNNER) -> None:
        runner_id = self.runner_id(runner)
        with self.engine.begin() as conn:
            conn.execute(insert(plans).values(runner_id=runner_id,
                                              created_utc=datetime.now(UTC), plan=plan))

    # --- runs ----------------------------------------------------------------------------

    def known_sha256(self) -> frozenset[str]:
        with self.engine.connect() as conn:
            return frozenset(conn.scalars(select(sources.c.sha256)))

    def save_measured(self, item: Measured, *, runner: str = DEFAULT_RUNNER) -> ImportOutcome:
        """Store one file in one transaction: every row, or none (DESIGN.md §5)."""
        runner_id = self.runner_id(runner)
        now = datetime.now(UTC)
        with self.engine.begin() as conn:
            if conn.scalar(select(sources.c.id).where(sources.c.sha256 == item.sha256)):
                return ImportOutcome.ALREADY_IMPORTED
            twin = _same_run(conn, runner_id, item)
            if twin is None:
                activity_id = conn.execute(insert(activities).values(
                    runner_id=runner_id, created_utc=now, shoe_id=_default_shoe(
                        conn, runner_id, item.start_utc),
                    surface_source="file" if item.surface else None,
                    **_activity_values(item))).inserted_primary_key[0]  # type: ignore[index]
                self._store_analysed(conn, int(activity_id), item, now)
                return ImportOutcome.IMPORTED
            stored = _latest_analyses(conn, [twin.id]).get(twin.id)
            if richness(item.format, item.analysis) > richness(twin.format, stored):
                conn.execute(update(sources).where(sources.c.activity_id == twin.id)
                             .values(role="duplicate"))
                conn.execute(update(activities).where(activities.c.id == twin.id)
                             .values(**_activity_values(item)))
                conn.execute(series.delete().where(series.c.activity_id == twin.id))
                self._store_analysed(conn, twin.id, item, now)
                return ImportOutcome.REPLACED
            conn.execute(insert(sources).values(
                activity_id=twin.id, sha256=item.sha256, format=item.format, name=item.name,
                role="duplicate", imported_utc=now))
            return ImportOutcome.DUPLICATE

    @staticmethod
    def _store_analysed(conn: Connection, activity_id: int, item: Measured,
                        now: datetime) -> None:
        conn.execute(insert(sources).values(
            activity_id=activity_id, sha256=item.sha256, format=item.format, name=item.name,
            role="analysed", imported_utc=now))
        conn.execute(insert(series).values(activity_id=activity_id, n_records=item.n_records,
                                           data=item.series))
        conn.execute(insert(analyses).values(
            activity_id=activity_id, analyser_version=item.analyser_version, created_utc=now,
            analysis=item.analysis))

    # --- videos --------------------------------------------------------------------------

    def save_video(self, item: MeasuredVideo, *, runner: str = DEFAULT_RUNNER) -> ImportOutcome:
        """Store one analysed clip (one row, one transaction); the same clip twice is kept
        once per runner."""
        runner_id = self.runner_id(runner)
        with self.engine.begin() as conn:
            if conn.scalar(select(videos.c.id).where(videos.c.runner_id == runner_id,
                                                     videos.c.sha256 == item.sha256)):
                return ImportOutcome.ALREADY_IMPORTED
            conn.execute(insert(videos).values(
                runner_id=runner_id, sha256=item.sha256, name=item.name, view=item.view,
                duration_s=item.duration_s, cadence_spm=item.cadence_spm,
                pose_model=item.pose_model, keypoints=item.keypoints, analysis=item.analysis,
                analyser_version=item.analyser_version, imported_utc=datetime.now(UTC)))
        return ImportOutcome.IMPORTED

    def video_id_for(self, sha256: str, *, runner: str = DEFAULT_RUNNER) -> int | None:
        """The id of this runner's stored clip with these bytes, if any."""
        runner_id = self.runner_id(runner)
        with self.engine.connect() as conn:
            found = conn.scalar(select(videos.c.id).where(videos.c.runner_id == runner_id,
                                                          videos.c.sha256 == sha256))
        return None if found is None else int(found)

    def known_video_sha256(self, *, runner: str = DEFAULT_RUNNER) -> frozenset[str]:
        runner_id = self.runner_id(runner)
        with self.engine.connect() as conn:
            return frozenset(conn.scalars(select(videos.c.sha256)
                                          .where(videos.c.runner_id == runner_id)))

    def list_videos(self, *, runner: str = DEFAULT_RUNNER) -> list[VideoRecord]:
        """Every stored clip, newest first, with its analysis (no keypoints)."""
        runner_id = self.runner_id(runner)
        columns = [c for c in videos.c if c.name not in ("keypoints", "runner_id")]
        with self.engine.connect() as conn:
            rows = conn.execute(select(*columns).where(videos.c.runner_id == runner_id)
                                .order_by(videos.c.imported_utc.desc(), videos.c.id.desc()))
            return [_video_record(row) for row in rows]

    def video(self, video_id: int, *, runner: str = DEFAULT_RUNNER
              ) -> tuple[VideoRecord, bytes] | None:
        """One clip's row (with its analysis) and keypoints; None if not this runner's."""
        runner_id = self.runner_id(runner)
        with self.engine.connect() as conn:
            row = conn.execute(select(videos).where(videos.c.id == video_id,
                                                    videos.c.runner_id == runner_id)).first()
        if row is None:
            return None
        return _video_record(row), bytes(row.keypoints)

    def list_runs(self, *, runner: str = DEFAULT_RUNNER, limit: int | None = None,
                  offset: int = 0) -> list[RunRecord]:
        """Every run, newest first, with its latest analysis (a page of them with limit)."""
        runner_id = self.runner_id(runner)
        query = (select(activities, sources.c.sha256.label("source_sha256"))
                 .join(sources, and_(sources.c.activity_id == activities.c.id,
                                     sources.c.role == "analysed"))
                 .where(activities.c.runner_id == runner_id)
                 .order_by(desc(activities.c.start_utc), desc(activities.c.id)))
        if limit is not None:
            query = query.limit(limit)
        if offset:
            query = query.offset(offset)
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
            found = _latest_analyses(conn, [row.id for row in rows])
            linked = _linked_files(conn, [row.id for row in rows])
        return [_run_record(row, found.get(row.id), linked.get(row.id, ())) for row in rows]

    def count_runs(self, *, runner: str = DEFAULT_RUNNER) -> int:
        runner_id = self.runner_id(runner)
        with self.engine.connect() as conn:
            return int(conn.scalar(select(func.count()).select_from(activities).where(
                activities.c.runner_id == runner_id)) or 0)

    def history_version(self) -> int | None:
        """The database's history version: bumped by its own triggers (migration 0006) in the
        same transaction as every insert, update and delete of a run, analysis, pain entry,
        shoe, triage, self-test, clearance, plan, video, runner or user, whichever process
        writes it. A key for caching pages: equal versions, equal history. None when the
        counter row is missing (then nothing may be cached)."""
        with self.engine.connect() as conn:
            found = conn.scalar(select(version_row.c.version).where(version_row.c.id == 1))
        return None if found is None else int(found)

    def runs_with_analyses(self, *, runner: str = DEFAULT_RUNNER, recent: timedelta | None = None
                           ) -> list[tuple[Row[Any], JSON]]:
        """(activity row, latest analysis) of every dated run, oldest first: for trends.
        ``recent``: only the runs that started within that long before the newest run."""
        runner_id = self.runner_id(runner)
        with self.engine.connect() as conn:
            dated: list[ColumnElement[bool]] = [activities.c.runner_id == runner_id,
                                                activities.c.start_utc.is_not(None)]
            if recent is not None:
                newest = conn.scalar(select(func.max(activities.c.start_utc)).where(*dated))
                if newest is not None:
                    dated.append(activities.c.start_utc >= newest - recent)
            rows = conn.execute(select(activities).where(*dated)
                                .order_by(activities.c.start_utc, activities.c.id)).all()
            found = _latest_analyses(conn, [row.id for row in rows])
        return [(row, found[row.id]) for row in rows if row.id in found]

    def runs_with_metrics(self, *, runner: str = DEFAULT_RUNNER
                          ) -> list[tuple[Row[Any], MetricParts]]:
        """(activity row, its latest analysis's measured metric values and drifts) of every
        dated run, oldest first: what trends read, without decoding 1,500 whole analyses
        (~0.3 s) for every new pain entry. An analysis row is never changed in place (a
        re-analysis adds a row), so its decoded parts are kept by its id and time; only new
        analyses are read."""
        runner_id = self.runner_id(runner)
        with self.engine.connect() as conn:
            rows = conn.execute(select(activities).where(
                activities.c.runner_id == runner_id, activities.c.start_utc.is_not(None))
                .order_by(activities.c.start_utc, activities.c.id)).all()
            latest: dict[int, tuple[int, datetime]] = {}
            ids = [row.id for row in rows]
            for chunk in (ids[i : i + 500] for i in range(0, len(ids), 500)):
                for found in conn.execute(
                        select(analyses.c.activity_id, analyses.c.id, analyses.c.created_utc)
                        .where(analyses.c.activity_id.in_(chunk))
                        .order_by(analyses.c.activity_id, analyses.c.id)):
                    latest[int(found.activity_id)] = (int(found.id), found.created_utc)
            memo = self._metric_parts
            missing = [key for key in latest.values() if key not in memo]
            if len(memo) + len(missing) > _METRIC_PARTS_KEPT:  # many runners: start afresh
                memo.clear()
                missing = list(latest.values())
            for chunk in (missing[i : i + 500] for i in range(0, len(missing), 500)):
                by_id = dict(chunk)
                for found in conn.execute(select(analyses.c.id, analyses.c.analysis)
                                          .where(analyses.c.id.in_(list(by_id)))):
                    analysis = found.analysis
                    memo[(int(found.id), by_id[int(found.id)])] = MetricParts(
                        metrics={key: float(m["value"])
                                 for key, m in analysis.get("metrics", {}).items()
                                 if m.get("status") == "ok" and m.get("value") is not None},
                        drift=tuple({key: d.get(key) for key in _DRIFT_KEYS}
                                    for d in analysis.get("drift", [])),
                        ci95=_ci95s(analysis))
        return [(row, memo[latest[row.id]]) for row in rows if row.id in latest]

    def newest_entry_utc(self, *, runner: str = DEFAULT_RUNNER) -> datetime | None:
        """When the newest run or pain entry was stored: a plan older than this has not yet
        adapted to it (``backstride today``)."""
        runner_id = self.runner_id(runner)
        with self.engine.connect() as conn:
            found = [conn.scalar(select(func.max(t.c.created_utc)).where(
                t.c.runner_id == runner_id)) for t in (activities, pain_entries)]
        return max((_aware(f) for f in found if f is not None), default=None)

    def latest_plan(self, *, runner: str = DEFAULT_RUNNER) -> tuple[JSON, datetime] | None:
        row = self._latest(plans, runner)
        return None if row is None else (dict(row.plan), _aware(row.created_utc))

    def run_id_for_source(self, sha256: str, *, runner: str = DEFAULT_RUNNER) -> int | None:
        runner_id = self.runner_id(runner)
        with self.engine.connect() as conn:
            found = conn.scalar(select(activities.c.id).join(
                sources, sources.c.activity_id == activities.c.id).where(
                sources.c.sha256 == sha256, activities.c.runner_id == runner_id))
        return None if found is None else int(found)

    def run_series(self, activity_id: int, *, runner: str = DEFAULT_RUNNER) -> bytes | None:
        runner_id = self.runner_id(runner)
        with self.engine.connect() as conn:
            data = conn.scalar(select(series.c.data).join(
                activities, activities.c.id == series.c.activity_id).where(
                series.c.activity_id == activity_id, activities.c.runner_id == runner_id))
        return None if data is None else bytes(data)

    def run_analysis(self, activity_id: int, *, runner: str = DEFAULT_RUNNER) -> JSON | None:
        runner_id = self.runner_id(runner)
        with self.engine.connect() as conn:
            owner = conn.scalar(select(activities.c.runner_id).where(
                activities.c.id == activity_id))
            if owner != runner_id:
                return None
            return _latest_analyses(conn, [activity_id]).get(activity_id)

    def set_surface(self, activity_id: int, surface: str, *,
                    runner: str = DEFAULT_RUNNER) -> bool:
        runner_id = self.runner_id(runner)
        with self.engine.begin() as conn:
            done = conn.execute(update(activities).where(
                activities.c.id == activity_id, activities.c.runner_id == runner_id)
                .values(surface=surface, surface_source="user"))
            return bool(done.rowcount)

    # --- shoes ---------------------------------------------------------------------------

    def add_shoe(self, *, name: str, start_distance_m: float, added_on: date,
                 default_from: date | None, default_to: date | None,
                 runner: str = DEFAULT_RUNNER) -> int:
        runner_id = self.runner_id(runner)
        with self.engine.begin() as conn:
            shoe_id = int(conn.execute(insert(shoes).values(
                runner_id=runner_id, name=name, start_distance_m=start_distance_m,
                added_on=added_on, default_from=default_from, default_to=default_to))
                .inserted_primary_key[0])  # type: ignore[index]
            if default_from is not None:
                _assign_runs(conn, runner_id, shoe_id, default_from, default_to)
            return shoe_id

    def set_default_shoe(self, shoe_id: int, *, default_from: date, default_to: date | None,
                         runner: str = DEFAULT_RUNNER) -> bool:
        runner_id = self.runner_id(runner)
        with self.engine.begin() as conn:
            done = conn.execute(update(shoes).where(
                shoes.c.id == shoe_id, shoes.c.runner_id == runner_id)
                .values(default_from=default_from, default_to=default_to))
            if done.rowcount:
                _assign_runs(conn, runner_id, shoe_id, default_from, default_to)
            return bool(done.rowcount)

    def retire_shoe(self, shoe_id: int, *, on: date, runner: str = DEFAULT_RUNNER) -> bool:
        runner_id = self.runner_id(runner)
        with self.engine.begin() as conn:
            return bool(conn.execute(update(shoes).where(
                shoes.c.id == shoe_id, shoes.c.runner_id == runner_id)
                .values(retired_on=on)).rowcount)

    def list_shoes(self, *, runner: str = DEFAULT_RUNNER) -> list[ShoeRecord]:
        """Each shoe with its distance: starting distance plus its runs' distances."""
        runner_id = self.runner_id(runner)
        run_distance = (select(activities.c.shoe_id,
                               func.coalesce(func.sum(activities.c.distance_m), 0.0)
                               .label("run_m"), func.count().label("n_runs"))
                        .where(activities.c.shoe_id.is_not(None))
                        .group_by(activities.c.shoe_id).subquery())
        query = (select(shoes, run_distance.c.run_m, run_distance.c.n_runs)
                 .outerjoin(run_distance, run_distance.c.shoe_id == shoes.c.id)
                 .where(shoes.c.runner_id == runner_id).order_by(shoes.c.id))
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        return [ShoeRecord(id=r.id, name=r.name, added_on=r.added_on, retired_on=r.retired_on,
                           default_from=r.default_from, default_to=r.default_to,
                           n_runs=int(r.n_runs or 0),
                           distance_m=float(r.start_distance_m + (r.run_m or 0.0)))
                for r in rows]

    # --- pain diary ------------------------------------------------------------------------

    def add_pain(self, entry: JSON, *, runner: str = DEFAULT_RUNNER) -> PainRecord | None:
        """Store a pain entry; returns the previous entry (to tell new or changed pain)."""
        runner_id = self.runner_id(runner)
        with self.engine.begin() as conn:
            previous = conn.execute(select(pain_entries).where(
                pain_entries.c.runner_id == runner_id).order_by(
                desc(pain_entries.c.created_utc), desc(pain_entries.c.id)).limit(1)).first()
            if entry.get("activity_id") is not None and conn.scalar(select(activities.c.id).where(
                    activities.c.id == entry["activity_id"],
                    activities.c.runner_id == runner_id)) is None:
                raise StorageError(f"There is no run {entry['activity_id']}. See "
                                   "'backstride runs' for the ids.")
            conn.execute(insert(pain_entries).values(
                runner_id=runner_id, created_utc=datetime.now(UTC), **entry))
        return None if previous is None else _pain_record(previous)

    def list_pain(self, *, runner: str = DEFAULT_RUNNER) -> list[PainRecord]:
        runner_id = self.runner_id(runner)
        with self.engine.connect() as conn:
            rows = conn.execute(select(pain_entries).where(
                pain_entries.c.runner_id == runner_id).order_by(
                pain_entries.c.recorded_on, pain_entries.c.id)).all()
        return [_pain_record(r) for r in rows]

    def pain_entries_since(self, since: datetime | None, *,
                           runner: str = DEFAULT_RUNNER
                           ) -> tuple[PainRecord | None, list[PainRecord]]:
        """The last pain entry before ``since`` (None: none) and every entry after it."""
        runner_id = self.runner_id(runner)
        order = (pain_entries.c.created_utc, pain_entries.c.id)
        with self.engine.connect() as conn:
            rows = conn.execute(select(pain_entries).where(
                pain_entries.c.runner_id == runner_id).order_by(*order)).all()
        before = [r for r in rows if since is not None and _aware(r.created_utc) <= since]
        after = [r for r in rows if since is None or _aware(r.created_utc) > since]
        return (_pain_record(before[-1]) if before else None), [_pain_record(r) for r in after]

    # --- team mode: users, who sees whom, web sessions -------------------------------------

    def runner_exists(self, name: str) -> bool:
        with self.engine.connect() as conn:
            return conn.scalar(select(runners.c.id).where(runners.c.name == name)) is not None

    def add_user(self, *, username: str, password_hash: str, role: str, runner: str | None,
                 sees: Sequence[str]) -> UserRecord:
        """The user, a runner user's runner row (made if new) and the runners a coach or
        clinician sees, in one transaction. ``sees`` must name existing runners."""
        now = datetime.now(UTC)
        try:
            with self.engine.begin() as conn:
                runner_id = None if runner is None else _ensure_runner(conn, runner)
                user_id = int(conn.execute(insert(users).values(
                    username=username, password_hash=password_hash, role=role,
                    runner_id=runner_id, created_utc=now)).inserted_primary_key[0])  # type: ignore[index]
                for name in sees:
                    conn.execute(insert(user_runners).values(
                        user_id=user_id, runner_id=_existing_runner(conn, name),
                        created_utc=now))
        except IntegrityError as exc:
            raise StorageError(f"There is already a user named {username!r}; choose another "
                               "name.") from exc
        found = self.user(username)
        assert found is not None
        return found

    def user(self, username: str) -> UserRecord | None:
        found = self.user_credentials(username)
        return None if found is None else found[0]

    def user_credentials(self, username: str) -> tuple[UserRecord, str] | None:
        """The user and their password hash (for checking a login only)."""
        with self.engine.connect() as conn:
            row = conn.execute(_user_query().where(users.c.username == username)).first()
            if row is None:
                return None
            return _user_record(conn, row), str(row.password_hash)

    def set_password_hash(self, username: str, password_hash: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(users).where(users.c.username == username)
                         .values(password_hash=password_hash))

    def list_users(self) -> list[UserRecord]:
        with self.engine.connect() as conn:
            rows = conn.execute(_user_query().order_by(users.c.username)).all()
            return [_user_record(conn, row) for row in rows]

    def remove_user(self, username: str) -> bool:
        """The user, their sessions and grants go; their runner's history stays."""
        with self.engine.begin() as conn:
            user_id = conn.scalar(select(users.c.id).where(users.c.username == username))
            if user_id is None:
                return False
            conn.execute(delete(web_sessions).where(web_sessions.c.user_id == user_id))
            conn.execute(delete(user_runners).where(user_runners.c.user_id == user_id))
            conn.execute(delete(users).where(users.c.id == user_id))
            return True

    def grant(self, username: str, runner: str) -> bool:
        """Let a user see a runner; False when they already did."""
        with self.engine.begin() as conn:
            user_id = conn.scalar(select(users.c.id).where(users.c.username == username))
            runner_id = _existing_runner(conn, runner)
            if conn.scalar(select(user_runners.c.user_id).where(
                    user_runners.c.user_id == user_id,
                    user_runners.c.runner_id == runner_id)) is not None:
                return False
            conn.execute(insert(user_runners).values(user_id=user_id, runner_id=runner_id,
                                                     created_utc=datetime.now(UTC)))
            return True

    def revoke(self, username: str, runner: str) -> bool:
        with self.engine.begin() as conn:
            user_id = conn.scalar(select(users.c.id).where(users.c.username == username))
            runner_id = conn.scalar(select(runners.c.id).where(runners.c.name == runner))
            done = conn.execute(delete(user_runners).where(
                user_runners.c.user_id == user_id, user_runners.c.runner_id == runner_id))
            # A session looking at that runner looks at no one now (checked again anyway).
            conn.execute(update(web_sessions).where(
                web_sessions.c.user_id == user_id, web_sessions.c.runner_id == runner_id)
                .values(runner_id=None))
            return bool(done.rowcount)

    def create_session(self, *, username: str, token_sha256: str, now: datetime,
                       expires_utc: datetime, runner: str | None, stale_before: datetime,
                       replaces: str | None = None) -> None:
        """A new session (and the one it replaces ended); sessions past either limit are
        cleared out on the way."""
        with self.engine.begin() as conn:
            conn.execute(delete(web_sessions).where(or_(
                web_sessions.c.expires_utc <= now, web_sessions.c.last_seen_utc <= stale_before,
                web_sessions.c.token_sha256 == (replaces or ""))))
            user_id = conn.scalar(select(users.c.id).where(users.c.username == username))
            runner_id = None if runner is None else conn.scalar(
                select(runners.c.id).where(runners.c.name == runner))
            conn.execute(insert(web_sessions).values(
                token_sha256=token_sha256, user_id=user_id, runner_id=runner_id,
                created_utc=now, expires_utc=expires_utc, last_seen_utc=now))

    def session(self, token_sha256: str, *, now: datetime, stale_before: datetime,
                touch_before: datetime) -> tuple[UserRecord, str | None] | None:
        """The session's user and the runner it looks at; None (and the session ended) when
        it is unknown, past its absolute limit or idle since ``stale_before``. Its last-seen
        time is written only when older than ``touch_before``: not a write every request."""
        with self.engine.begin() as conn:
            row = conn.execute(select(web_sessions, runners.c.name.label("runner_name"))
                               .outerjoin(runners, runners.c.id == web_sessions.c.runner_id)
                               .where(web_sessions.c.token_sha256 == token_sha256)).first()
            if row is None:
                return None
            if _aware(row.expires_utc) <= now or _aware(row.last_seen_utc) <= stale_before:
                conn.execute(delete(web_sessions).where(web_sessions.c.id == row.id))
                return None
            if _aware(row.last_seen_utc) < touch_before:
                conn.execute(update(web_sessions).where(web_sessions.c.id == row.id)
                             .values(last_seen_utc=now))
            user = conn.execute(_user_query().where(users.c.id == row.user_id)).first()
            assert user is not None  # removing a user removes their sessions
            return _user_record(conn, user), row.runner_name

    def set_session_runner(self, token_sha256: str, runner: str | None) -> None:
        with self.engine.begin() as conn:
            runner_id = None if runner is None else conn.scalar(
                select(runners.c.id).where(runners.c.name == runner))
            conn.execute(update(web_sessions).where(web_sessions.c.token_sha256 == token_sha256)
                         .values(runner_id=runner_id))

    def end_session(self, token_sha256: str) -> bool:
        with self.engine.begin() as conn:
            return bool(conn.execute(delete(web_sessions).where(
                web_sessions.c.token_sha256 == token_sha256)).rowcount)

    def count_sessions(self, username: str) -> int:
        with self.engine.connect() as conn:
            return int(conn.scalar(select(func.count()).select_from(web_sessions).join(
                users, users.c.id == web_sessions.c.user_id).where(
                users.c.username == username)) or 0)

    # ------------------------------------------------------------------ web jobs

    def save_job(self, job_id: str, *, label: str, owner: str | None, server: str,
                 upload_dir: str | None) -> None:
        """A new job, queued."""
        now = datetime.now(UTC)
        with self.engine.begin() as conn:
            conn.execute(insert(jobs).values(
                id=job_id, label=label, owner=owner, state="queued", server=server,
                upload_dir=upload_dir, created_utc=now, updated_utc=now))

    def set_job_state(self, job_id: str, state: str, *, result_url: str | None = None,
                      error: str | None = None) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(jobs).where(jobs.c.id == job_id).values(
                state=state, result_url=result_url, error=error,
                updated_utc=datetime.now(UTC)))

    def job(self, job_id: str) -> JSON | None:
        """The stored job as a dict (id, label, owner, state, result_url, error, …)."""
        with self.engine.connect() as conn:
            row = conn.execute(select(jobs).where(jobs.c.id == job_id)).first()
        return None if row is None else dict(row._mapping)

    def unfinished_jobs(self) -> list[JSON]:
        """Jobs still queued or running, as far as the database knows."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(jobs).where(jobs.c.state.in_(("queued", "running"))))
            return [dict(row._mapping) for row in rows]

    def forget_jobs_before(self, cutoff: datetime) -> None:
        """Finished jobs older than ``cutoff`` are no longer kept."""
        with self.engine.begin() as conn:
            conn.execute(delete(jobs).where(jobs.c.updated_utc < cutoff,
                                            jobs.c.state.in_(("done", "failed", "lost"))))

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_exc: object) -> None:
        if not self.shared:
            self.close()


def _ensure_runner(conn: Connection, name: str) -> int:
    """The runner's id; the row is made on first use (by whichever process comes first: two
    opening a new database at once both get the one row)."""
    found = conn.scalar(select(runners.c.id).where(runners.c.name == name))
    if found is not None:
        return int(found)
    new = (sqlite_insert if conn.dialect.name == "sqlite" else postgresql_insert)(runners)
    conn.execute(new.values(name=name, created_utc=datetime.now(UTC))
                 .on_conflict_do_nothing(index_elements=["name"]))
    return int(conn.scalar(select(runners.c.id).where(runners.c.name == name)) or 0)


def _existing_runner(conn: Connection, name: str) -> int:
    found = conn.scalar(select(runners.c.id).where(runners.c.name == name))
    if found is None:
        raise StorageError(f"There is no runner {name!r}. Add them first: backstride users add "
                           f"NAME --role runner --runner {name}")
    return int(found)


def _user_query() -> Any:
    return select(users, runners.c.name.label("runner_name")).outerjoin(
        runners, runners.c.id == users.c.runner_id)


def _user_record(conn: Connection, row: Row[Any]) -> UserRecord:
    sees: list[str] = list(conn.scalars(select(runners.c.name).join(
        user_runners, user_runners.c.runner_id == runners.c.id).where(
        user_runners.c.user_id == row.id).order_by(runners.c.name)))
    return UserRecord(username=row.username, role=row.role, runner=row.runner_name,
                      sees=tuple(sees), created_utc=_aware(row.created_utc))


def _ci95s(analysis: JSON) -> dict[str, tuple[float, float]]:
    """Each measured metric's 95 % interval (contract units), where the analysis gives one
    (read for 1,500 runs on a trends page's first view: plain checks, no generator per
    value)."""
    out = {}
    for key, m in analysis.get("metrics", {}).items():
        ci = m.get("ci95")
        if m.get("status") != "ok" or type(ci) is not list or len(ci) != 2:
            continue
        low, high = ci
        if low is not None and high is not None:
            out[key] = (float(low), float(high))
    return out


def _video_record(row: Any) -> VideoRecord:
    return VideoRecord(
        id=int(row.id), name=str(row.name), sha256=str(row.sha256), view=row.view,
        duration_s=float(row.duration_s),
        cadence_spm=None if row.cadence_spm is None else float(row.cadence_spm),
        pose_model=str(row.pose_model), analyser_version=str(row.analyser_version),
        imported_utc=_aware(row.imported_utc), analysis=dict(row.analysis))


def _aware(value: datetime) -> datetime:
    """SQLite returns naive datetimes; every instant here is UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _sqlite_begin(conn: Connection) -> None:
    """A migration's transaction: ``BEGIN IMMEDIATE`` takes SQLite's write lock at once, so a
    second process waits at the start (busy timeout) instead of failing half-way, and DDL runs
    inside the transaction (the driver otherwise leaves DDL outside any transaction). Other
    transactions keep the driver's own handling."""
    if conn.get_execution_options().get("backstride_lock"):
        raw = conn.connection.driver_connection
        raw.isolation_level = None  # type: ignore[union-attr]
        raw.execute(f"PRAGMA busy_timeout = {_SQLITE_MIGRATION_WAIT_MS}")  # type: ignore[union-attr]
        conn.exec_driver_sql("BEGIN IMMEDIATE")


_KEPT = "everything saved before it is kept"


def storage_fault(exc: BaseException, *, dialect: str) -> StorageError | None:
    """The sentence for a database fault that is not the input's doing (disk full, read-only,
    file gone, server unreachable, busy), or None for anything else (a constraint, a bug).
    The sentence names no path, host or user: it may be shown on a web page."""
    text_ = str(exc).lower()
    sqlstate = getattr(exc, "sqlstate", None) or getattr(exc, "pgcode", None)
    if "disk is full" in text_ or sqlstate == "53100" or "no space left" in text_:
        return _fault("The disk that holds the history database is full: the last change was "
                      f"not saved ({_KEPT}). Free some space, then run the same command again.")
    if "readonly database" in text_ or "read-only" in text_:
        return _fault("The history database is read-only here (its file, folder or disk does "
                      f"not allow writing): the last change was not saved ({_KEPT}). Make it "
                      "writable, or choose another with --db, then run the command again.")
    if "database is locked" in text_ or sqlstate in ("40001", "40P01", "55P03"):
        return _fault("The history database is busy (another backstride is writing to it): "
                      f"the last change was not saved ({_KEPT}). Try again in a moment.",
                      retryable=True)
    if "disk i/o error" in text_:
        return _fault("The history database could not be written (a disk error: full, "
                      f"removed or failing): the last change was not saved ({_KEPT}). Check "
                      "the disk, then run the same command again.")
    if dialect == "sqlite" and ("unable to open" in text_ or "no such table" in text_):
        return _fault("The history database file is gone or cannot be opened (it was moved, "
                      f"deleted or its folder is missing): {_KEPT} where it is. Check --db or "
                      "BACKSTRIDE_DATA_DIR, then run the command again.")
    if dialect != "sqlite" and _connection_lost(exc, sqlstate):
        return _fault("The history database server cannot be reached (the connection was "
                      f"refused or lost): the last change was not saved ({_KEPT}). Check that "
                      "PostgreSQL is running and that --db or BACKSTRIDE_DB points at it, then "
                      "run the same command again.", retryable=True)
    return None


def _connection_lost(exc: BaseException, sqlstate: str | None) -> bool:
    """The server went away or cannot be reached: the driver's OperationalError or
    InterfaceError, or a subclass of them (psycopg raises AdminShutdown, 57P01, when the
    server is stopped mid-query), or a connection-exception SQLSTATE (class 08, 57P0x)."""
    kinds = {cls.__name__ for cls in type(exc).__mro__}
    return bool(kinds & {"OperationalError", "InterfaceError"}) or (
        sqlstate is not None and (sqlstate.startswith("08") or sqlstate.startswith("57P")))


def _fault(message: str, *, retryable: bool = False) -> StorageError:
    return StorageError(message, public=message, retryable=retryable)


def _fault_as_sentence(context: ExceptionContext) -> None:
    """Engine hook: a DBAPI fault becomes a StorageError that says what happened and what to
    do, never the driver's text (which carries the SQL, its parameters, the host)."""
    if context.is_pre_ping:
        return  # the pool is testing a connection: it replaces a dead one by itself
    fault = storage_fault(context.original_exception, dialect=context.dialect.name)
    if fault is not None:
        raise fault from context.original_exception


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL; None for other databases and in-memory SQLite."""
    path = url.split("///", 1)[1] if "///" in url else ""
    return Path(path) if path and path != ":memory:" else None


def _prepare_sqlite_file(url: str) -> None:
    path = sqlite_path(url)
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(f"Cannot create the folder for the history database {path}: "
                               f"{exc.strerror}. Set --db or BACKSTRIDE_DATA_DIR.") from exc


def _backup_sqlite(url: str, revision: str) -> None:
    path = sqlite_path(url)
    if path is not None and path.exists():
        backup = path.with_name(f"{path.name}.before-{head_revision()}.from-{revision}")
        try:
            shutil.copy2(path, backup)
        except OSError as exc:
            backup.unlink(missing_ok=True)
            raise StorageError(
                f"The history database {path.name} must be upgraded, and it is backed up "
                f"first, but the backup could not be written ({exc.strerror}); nothing was "
                "changed. Free some space beside it and run the command again.") from exc


def _safe(url: str) -> str:
    """The URL without a password."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://…@{rest.split('@', 1)[1]}"
    return url


def _activity_values(item: Measured) -> dict[str, Any]:
    return {"start_utc": item.start_utc, "device_serial": item.device_serial,
            "device": item.device, "format": item.format, "sport": item.sport,
            "surface": item.surface, "distance_m": item.distance_m,
            "duration_s": item.duration_s, "moving_time_s": item.moving_time_s}


SAME_START_S: Final = 60.0  # two files whose runs start within a minute ...
SAME_OVERLAP: Final = 0.8  # ... and overlap by 80 % of the shorter are one run [D]


def _same_run(conn: Connection, runner_id: int, item: Measured) -> Row[Any] | None:
    """The stored run this file is another copy of: its running time span starts within
    60 s of the stored one's and overlaps at least 80 % of the shorter, whatever the
    distances (GPS and the watch's own distance differ by 15 % on a short run)."""
    if item.start_utc is None:
        return None
    start = item.start_utc.replace(microsecond=0)
    window = timedelta(seconds=SAME_START_S)
    best: tuple[float, Row[Any]] | None = None
    for row in conn.execute(select(activities).where(
            activities.c.runner_id == runner_id,
            activities.c.start_utc.between(start - window, start + window))):
        overlap = _overlap_share(_aware(row.start_utc), row.duration_s, start, item.duration_s)
        if overlap >= SAME_OVERLAP and (best is None or overlap > best[0]):
            best = (overlap, row)
    return None if best is None else best[1]


def _overlap_share(a_start: datetime, a_s: float | None, b_start: datetime,
                   b_s: float | None) -> float:
    """Overlap of two time spans as a share of the shorter (1.0 for two instants)."""
    a_len, b_len = max(a_s or 0.0, 0.0), max(b_s or 0.0, 0.0)
    shorter = min(a_len, b_len)
    if shorter <= 0.0:
        return 1.0 if abs((a_start - b_start).total_seconds()) < 1.0 else 0.0
    a_end, b_end = a_start + timedelta(seconds=a_len), b_start + timedelta(seconds=b_len)
    overlap = (min(a_end, b_end) - max(a_start, b_start)).total_seconds()
    return max(overlap, 0.0) / shorter


_FORMAT_RANK: Final = {"fit": 2, "tcx": 1, "gpx": 0}
_DYNAMICS: Final = ("ground_contact_time_ms", "vertical_oscillation_mm", "step_length_m")


def richness(fmt: str, analysis: Mapping[str, Any] | None) -> tuple[bool, int]:
    """Which copy of a run is analysed: running dynamics first, then FIT > TCX > GPX."""
    metrics = (analysis or {}).get("metrics") or {}
    dynamics = any((metrics.get(key) or {}).get("status") == "ok" for key in _DYNAMICS)
    return dynamics, _FORMAT_RANK.get(fmt, -1)


def _default_shoe(conn: Connection, runner_id: int, start: datetime | None) -> int | None:
    if start is None:
        return None
    day = start.date()
    found = conn.scalar(select(shoes.c.id).where(
        shoes.c.runner_id == runner_id, shoes.c.default_from.is_not(None),
        shoes.c.default_from <= day,
        or_(shoes.c.default_to.is_(None), shoes.c.default_to >= day),
        or_(shoes.c.retired_on.is_(None), shoes.c.retired_on >= day))
        .order_by(desc(shoes.c.default_from)).limit(1))
    return None if found is None else int(found)


def _latest_analyses(conn: Connection, activity_ids: list[int]) -> dict[int, JSON]:
    out: dict[int, JSON] = {}
    for chunk in (activity_ids[i : i + 500] for i in range(0, len(activity_ids), 500)):
        rows = conn.execute(select(analyses.c.activity_id, analyses.c.analysis)
                            .where(analyses.c.activity_id.in_(chunk))
                            .order_by(analyses.c.activity_id, analyses.c.id))
        for row in rows:
            out[int(row.activity_id)] = dict(row.analysis)  # the newest wins (ordered by id)
    return out


def _linked_files(conn: Connection, activity_ids: list[int]
                  ) -> dict[int, tuple[LinkedFile, ...]]:
    """The other copies of each run (same activity, another file), oldest first."""
    out: dict[int, tuple[LinkedFile, ...]] = {}
    for chunk in (activity_ids[i : i + 500] for i in range(0, len(activity_ids), 500)):
        rows = conn.execute(select(sources.c.activity_id, sources.c.name, sources.c.format)
                            .where(sources.c.activity_id.in_(chunk),
                                   sources.c.role == "duplicate")
                            .order_by(sources.c.activity_id, sources.c.id))
        for row in rows:
            key = int(row.activity_id)
            out[key] = (*out.get(key, ()), LinkedFile(name=row.name, format=row.format))
    return out


def _run_record(row: Row[Any], analysis: JSON | None,
                linked: tuple[LinkedFile, ...]) -> RunRecord:
    return RunRecord(id=row.id,
                     start_utc=_aware(row.start_utc) if row.start_utc is not None else None,
                     distance_m=row.distance_m, duration_s=row.duration_s, surface=row.surface,
                     source_sha256=row.source_sha256, format=row.format, device=row.device,
                     linked_files=linked, metrics=(analysis or {}).get("metrics", {}))


def _assign_runs(conn: Connection, runner_id: int, shoe_id: int, start: date,
                 end: date | None) -> None:
    """Runs in the shoe's default date range that have no shoe yet get this one."""
    after = datetime.combine(start, datetime.min.time(), UTC)
    conditions = [activities.c.runner_id == runner_id, activities.c.shoe_id.is_(None),
                  activities.c.start_utc >= after]
    if end is not None:
        conditions.append(activities.c.start_utc
                          < datetime.combine(end, datetime.min.time(), UTC) + timedelta(days=1))
    conn.execute(update(activities).where(*conditions).values(shoe_id=shoe_id))


def _pain_record(row: Row[Any]) -> PainRecord:
    return PainRecord(id=row.id, run_id=row.activity_id, recorded_on=row.recorded_on,
                      kind=row.kind, score=row.score, location=row.location,
                      onset_min=row.onset_min, onset_km=row.onset_km, note=row.note)

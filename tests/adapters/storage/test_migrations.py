"""Migrations that survive races and failures, on real databases: two processes opening a new
SQLite file at the same instant, a migration stopped half-way by a full database, a database an
older backstride left half-migrated (its DDL was not transactional)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from click.testing import CliRunner
from sqlalchemy import Engine, create_engine, event, insert, inspect, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from backstride.adapters.storage.schema import metadata, runners, users
from backstride.adapters.storage.store import (
    _alembic_config,
    current_revision,
    head_revision,
    migrate,
    sqlite_url,
)
from backstride.cli import cli

_NOW = datetime(2026, 1, 1, tzinfo=UTC)
_OPENER = textwrap.dedent("""
    import sys
    from backstride.adapters.storage.store import Store
    url = sys.argv[1]
    sys.stdin.readline()             # everything imported: wait for the starting signal
    store = Store.open(url, auto_migrate=True)  # PostgreSQL as `backstride db migrate` does
    store.runner_id()
    store.close()
    print("ok")
""")


def _engine(url: str, *, max_pages: int | None = None) -> Engine:
    engine = create_engine(url, poolclass=NullPool)
    if max_pages is not None:
        def limit(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.execute(f"PRAGMA max_page_count = {max_pages}")
        event.listen(engine, "connect", limit)
    return engine


def _upgrade_to(url: str, revision: str) -> None:
    engine = _engine(url)
    with engine.begin() as conn:
        config = _alembic_config()
        config.attributes["connection"] = conn
        command.upgrade(config, revision)
    engine.dispose()


def _matches_schema(url: str) -> bool:
    engine = _engine(url)
    try:
        with engine.connect() as conn:
            return (compare_metadata(MigrationContext.configure(conn), metadata) == []
                    and current_revision(engine) == head_revision())
    finally:
        engine.dispose()


def _tables(url: str) -> set[str]:
    engine = _engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


@pytest.mark.parametrize("trial", range(6))
def test_two_processes_opening_a_new_database_at_once_both_succeed(database_url: str,
                                                                   trial: int) -> None:
    url = database_url  # a new SQLite file, or a new, empty PostgreSQL database
    children = [subprocess.Popen([sys.executable, "-c", _OPENER, url], stdin=subprocess.PIPE,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                for _ in range(2)]
    for child in children:  # both wait on stdin; a newline releases them within microseconds
        assert child.stdin is not None
        child.stdin.write("\n")
    for child in children:
        assert child.stdin is not None
        child.stdin.flush()
    results = [child.communicate(timeout=120) for child in children]
    for child, (out, err) in zip(children, results, strict=True):
        assert child.returncode == 0, err
        assert out.strip() == "ok"
    assert _matches_schema(url)


def test_a_migration_stopped_by_a_full_database_leaves_the_revision_it_started_from(
        tmp_path: Path) -> None:
    url = sqlite_url(tmp_path / "h.db")
    _upgrade_to(url, "0002")
    before = _tables(url)
    with _engine(url).connect() as conn:
        pages = conn.execute(text("PRAGMA page_count")).scalar_one()
    full = _engine(url, max_pages=int(pages) + 3)  # room for part of 0003's tables, not all
    with pytest.raises(OperationalError, match="full"):
        migrate(full)
    full.dispose()
    assert current_revision(_engine(url)) == "0002"
    assert _tables(url) == before  # no table of 0003 or 0004 survived the rollback
    migrate(_engine(url))  # space again: the same migration now completes
    assert _matches_schema(url)


def _half_migrated_by_an_older_version(url: str) -> None:
    """What backstride ≤ 0.x left when 0003 stopped after its first CREATE TABLE: revision
    0002 stamped, ``users`` (and its index) already there, the rest missing."""
    _upgrade_to(url, "0002")
    engine = _engine(url)
    with engine.begin() as conn:
        users.create(conn)  # with its index ix_users_runner_id
    engine.dispose()


def test_db_migrate_repairs_a_database_an_older_version_left_half_migrated(
        tmp_path: Path) -> None:
    url = sqlite_url(tmp_path / "h.db")
    _half_migrated_by_an_older_version(url)
    with pytest.raises(OperationalError, match="already exists"):  # what the old code hit
        _upgrade_to(url, "head")
    result = CliRunner().invoke(cli, ["db", "migrate", "--db", url])
    assert result.exit_code == 0, result.output
    assert _matches_schema(url)


def test_a_leftover_table_with_rows_is_refused_not_dropped(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path / "h.db")
    _half_migrated_by_an_older_version(url)
    engine = _engine(url)
    with engine.begin() as conn:
        conn.execute(insert(runners).values(id=1, name="me", created_utc=_NOW))
        conn.execute(insert(users).values(username="coach", password_hash="x", role="coach",
                                          runner_id=None, created_utc=_NOW))
    engine.dispose()
    result = CliRunner().invoke(cli, ["db", "migrate", "--db", url])
    assert result.exit_code == 1
    assert result.output.startswith("backstride: error: The history database is at schema "
                                    "revision 0002 but already holds rows in users")
    assert "Traceback" not in result.output
    with _engine(url).connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM users")).scalar_one() == 1

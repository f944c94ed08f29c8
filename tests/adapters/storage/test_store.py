"""The history store on a real SQLite file and a real PostgreSQL database (``database_url`` runs
each test on both; scripts/test.sh starts the server): migrations match schema.py, writes
round-trip, PostgreSQL migrates only through ``backstride db migrate``."""

from __future__ import annotations

import gc
from datetime import UTC, date
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from click.testing import CliRunner
from sqlalchemy import create_engine, inspect
from sqlalchemy.pool import NullPool

from backstride.adapters.storage.schema import metadata
from backstride.adapters.storage.store import Store, current_revision, head_revision
from backstride.errors import StorageError


def _open(url: str) -> Store:
    """Open and migrate (SQLite would on its own; PostgreSQL only when asked)."""
    return Store.open(url, auto_migrate=True)


def _assert_refused(url: str, match: str, **open_args: Any) -> None:
    with pytest.raises(StorageError, match=match):
        Store.open(url, **open_args)
    # A refused open must not leave a connection behind: collect now, so that psycopg's
    # "deleted while still open" ResourceWarning (an error here) fails this test, not a later one.
    gc.collect()


def _table_names(url: str) -> set[str]:
    engine = create_engine(url, poolclass=NullPool)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_empty_database_migrates_to_exactly_the_schema(database_url: str) -> None:
    store = _open(database_url)
    with store.engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diffs == []
    assert set(inspect(store.engine).get_table_names()) == {*metadata.tables, "alembic_version"}
    assert current_revision(store.engine) == head_revision()
    store.close()


def test_writes_round_trip_and_latest_wins(database_url: str) -> None:
    store = _open(database_url)
    assert store.latest_triage() is None and store.latest_clearance() is None
    store.save_triage({"schema": "backstride.answers/1", "fever": "unsure"},
                      {"schema": "backstride.triage/1", "level": "urgent"})
    store.save_triage({"schema": "backstride.answers/1"},
                      {"schema": "backstride.triage/1", "level": "self_care"})
    latest = store.latest_triage()
    assert latest is not None and latest.level == "self_care"
    every = store.triages_since(None)  # oldest first: the hold rule reads them all
    assert [r.level for r in every] == ["urgent", "self_care"]
    assert [r.level for r in store.triages_since(every[0].created_utc)] == ["self_care"]
    assert latest.answers == {"schema": "backstride.answers/1"}
    assert latest.created_utc.utcoffset() == UTC.utcoffset(None)
    store.save_clearance(cleared_by="Dr Rao", cleared_on=date(2026, 11, 20), note="ok to run")
    clearance = store.latest_clearance()
    assert clearance is not None and clearance.cleared_by == "Dr Rao"
    assert clearance.cleared_on == date(2026, 11, 20)
    store.save_selftests({"schema": "backstride.selftests/1", "plank_s": 45.5},
                         {"schema": "backstride.selftest_result/1"})
    assert store.latest_selftests() == {"schema": "backstride.selftests/1", "plank_s": 45.5}
    store.close()


def test_newest_entry_is_the_latest_pain_entry_or_run(database_url: str) -> None:
    store = _open(database_url)
    assert store.newest_entry_utc() is None
    store.add_pain({"score": 2, "kind": "during", "location": None, "onset_min": None,
                    "onset_km": None, "activity_id": None, "recorded_on": date(2026, 12, 1),
                    "note": None})
    newest = store.newest_entry_utc()
    assert newest is not None and newest.utcoffset() == UTC.utcoffset(None)
    store.save_plan({"schema": "backstride.plan/1"})
    plan = store.latest_plan()
    assert plan is not None and plan[1] >= newest  # the plan came after: it has adapted
    store.close()


def test_reopening_keeps_data(database_url: str) -> None:
    first = _open(database_url)
    first.save_clearance(cleared_by="A", cleared_on=date(2026, 1, 2), note=None)
    first.close()
    second = Store.open(database_url)  # at head: PostgreSQL opens without auto_migrate too
    assert second.latest_clearance() is not None
    second.close()


def test_database_newer_than_the_code_is_refused(database_url: str) -> None:
    store = _open(database_url)
    with store.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '9999'")
    store.close()
    _assert_refused(database_url, "newer than this version")
    _assert_refused(database_url, "newer than this version", auto_migrate=True)


def test_unmigrated_database_without_auto_migrate_asks_for_db_migrate(database_url: str) -> None:
    _assert_refused(database_url, "backstride db migrate", auto_migrate=False)
    assert head_revision() == "0006"


@pytest.mark.postgres
def test_postgres_is_never_migrated_on_open(postgres_url: str) -> None:
    _assert_refused(postgres_url, "needs a schema upgrade. Run: backstride db migrate")
    assert _table_names(postgres_url) == set()  # refused before touching anything


def test_db_migrate_command_migrates(database_url: str) -> None:
    from backstride.cli import cli

    for _ in range(2):  # and again, when there is nothing to do
        result = CliRunner().invoke(cli, ["db", "migrate", "--db", database_url])
        assert result.exit_code == 0, result.output
        assert "Database is up to date" in result.output
    store = Store.open(database_url, auto_migrate=False)
    assert current_revision(store.engine) == head_revision()
    store.close()


def test_databases_migrate_safely_from_several_threads(tmp_path: Path) -> None:
    """Alembic migrates through module-level state: the web app's threads must not collide."""
    from concurrent.futures import ThreadPoolExecutor

    from backstride.adapters.storage.store import Store, head_revision, sqlite_url

    urls = [sqlite_url(tmp_path / f"h{i}.db") for i in range(8)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        stores = list(pool.map(Store.open, urls))
    for store in stores:
        assert store.latest_triage() is None
        store.close()
    assert head_revision() == "0006"


def test_head_revision_constant_matches_the_migrations_folder() -> None:
    """A database at HEAD_REVISION opens without loading Alembic: the constant must name the
    newest migration (update it with every new migration)."""
    from backstride.adapters.storage.store import HEAD_REVISION

    assert head_revision() == HEAD_REVISION


def test_a_server_stopped_mid_query_is_a_lost_connection() -> None:
    """psycopg raises AdminShutdown (57P01), a subclass of its OperationalError, when the
    server is stopped mid-query: that is the server gone, said as such, and retryable."""
    from backstride.adapters.storage.store import storage_fault

    class OperationalError(Exception):
        pass

    class AdminShutdown(OperationalError):
        sqlstate = "57P01"

    class UniqueViolation(Exception):
        sqlstate = "23505"

    fault = storage_fault(AdminShutdown("terminating connection due to administrator command"),
                          dialect="postgresql")
    assert fault is not None and fault.retryable
    assert "cannot be reached" in str(fault)
    assert storage_fault(UniqueViolation("duplicate key"), dialect="postgresql") is None

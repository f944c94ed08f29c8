"""The history store on a real SQLite file: migrations match schema.py, writes round-trip."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from backstride.adapters.storage.schema import metadata
from backstride.adapters.storage.store import Store, head_revision, sqlite_url
from backstride.errors import StorageError


def test_empty_database_migrates_to_exactly_the_schema(tmp_path: Path) -> None:
    store = Store.open(sqlite_url(tmp_path / "history.db"))
    with store.engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diffs == []
    assert set(inspect(store.engine).get_table_names()) >= {
        "runners", "triage_records", "selftest_records", "clearances", "plans"}
    store.close()


def test_writes_round_trip_and_latest_wins(tmp_path: Path) -> None:
    store = Store.open(sqlite_url(tmp_path / "history.db"))
    assert store.latest_triage() is None and store.latest_clearance() is None
    store.save_triage({"schema": "backstride.answers/1", "fever": "unsure"},
                      {"schema": "backstride.triage/1", "level": "urgent"})
    store.save_triage({"schema": "backstride.answers/1"},
                      {"schema": "backstride.triage/1", "level": "self_care"})
    latest = store.latest_triage()
    assert latest is not None and latest.level == "self_care"
    store.save_clearance(cleared_by="Dr Rao", cleared_on=date(2026, 11, 20), note="ok to run")
    clearance = store.latest_clearance()
    assert clearance is not None and clearance.cleared_by == "Dr Rao"
    assert clearance.cleared_on == date(2026, 11, 20)
    store.close()


def test_reopening_keeps_data(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path / "history.db")
    first = Store.open(url)
    first.save_clearance(cleared_by="A", cleared_on=date(2026, 1, 2), note=None)
    first.close()
    second = Store.open(url)
    assert second.latest_clearance() is not None
    second.close()


def test_database_newer_than_the_code_is_refused(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path / "history.db")
    Store.open(url).close()
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '9999'")
    engine.dispose()
    with pytest.raises(StorageError, match="newer than this version"):
        Store.open(url)


def test_unmigrated_database_without_auto_migrate_asks_for_db_migrate(tmp_path: Path) -> None:
    with pytest.raises(StorageError, match="backstride db migrate"):
        Store.open(sqlite_url(tmp_path / "history.db"), auto_migrate=False)
    assert head_revision() == "0002"

"""A SQLite history's store is opened once per process (adapters/storage/opened.py), and
opened anew when the file was replaced: pooled connections to the old file would lose writes."""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import select

from backstride.adapters.storage.opened import shared_store
from backstride.adapters.storage.schema import runners
from backstride.adapters.storage.store import Store, sqlite_url


def _names(store: Store) -> set[str]:
    with store.engine.connect() as conn:
        return set(conn.execute(select(runners.c.name)).scalars())


def test_one_engine_per_file_until_the_file_is_replaced(tmp_path: Path) -> None:
    path = tmp_path / "history.db"
    first = shared_store(sqlite_url(path))
    first.runner_id("alice")
    with first:  # leaving `with` keeps a shared store open
        pass
    again = shared_store(sqlite_url(path))
    assert again.engine is first.engine
    assert _names(again) == {"alice"}

    restored = shared_store(sqlite_url(tmp_path / "backup.db"))
    restored.runner_id("bob")
    os.replace(tmp_path / "backup.db", path)  # a backup moved over the history
    after = shared_store(sqlite_url(path))
    assert after.engine is not first.engine
    assert _names(after) == {"bob"}
    after.runner_id("carol")
    with Store.open(sqlite_url(path)) as fresh:  # a separate engine: written to the new file
        assert _names(fresh) == {"bob", "carol"}

"""One Store per process and database URL (adapters/storage/opened.py)."""

from __future__ import annotations

import threading
from pathlib import Path

from backstride.adapters.storage.opened import close_all, shared_store
from backstride.adapters.storage.store import sqlite_url


def test_the_same_url_gives_the_same_store_and_with_keeps_it_open(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path / "h.db")
    first = shared_store(url)
    with first as store:
        store.runner_id("alice")
    second = shared_store(url)
    assert second is first
    assert second.runner_id("alice") == first.runner_id("alice")  # still usable after `with`
    assert shared_store(sqlite_url(tmp_path / "other.db")) is not first


def test_a_replaced_file_is_opened_afresh(tmp_path: Path) -> None:
    path = tmp_path / "h.db"
    first = shared_store(sqlite_url(path))
    first.runner_id("alice")
    close_all()
    path.unlink()
    again = shared_store(sqlite_url(path))
    assert again is not first
    assert again.runner_id("bob") >= 1


def test_deleted_behind_the_store_is_noticed(tmp_path: Path) -> None:
    path = tmp_path / "h.db"
    first = shared_store(sqlite_url(path))
    path.unlink()  # a new file will be another inode: the old store is not handed out
    assert shared_store(sqlite_url(path)) is not first


def test_threads_racing_on_a_new_database_open_it_once(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path / "new.db")
    results: list[object] = []
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def open_it() -> None:
        start.wait()
        try:
            results.append(shared_store(url))
        except BaseException as exc:  # pragma: no cover - the failure the test looks for
            errors.append(exc)

    threads = [threading.Thread(target=open_it) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len({id(store) for store in results}) == 1


def test_in_memory_databases_are_not_kept() -> None:
    assert shared_store("sqlite://") is not shared_store("sqlite://")

"""One open Store per process and database URL.

Opening a Store costs an engine, a connection and the schema check (~14 ms, more when a
backup or a migration runs); the workflows open the history for every call and the web app
for every request. The first open of a URL is kept and handed out again, so the engine, its
connection pool and the migration check happen once per process. The lock makes that first
open (with its SQLite backup and migration) happen once even when threads race for it.

A SQLite file that was replaced or deleted since (another file at the same path) is opened
afresh. Stores that come from here are shared: leaving ``with store:`` does not close them;
``close_all`` does (tests call it between tests; the process exit does it otherwise).
"""

from __future__ import annotations

import atexit
import os
import threading

from backstride.adapters.storage.store import Store, sqlite_path

_LOCK = threading.Lock()
_OPEN: dict[str, tuple[Store, tuple[int, int] | None]] = {}


def _file_identity(url: str) -> tuple[int, int] | None:
    """(device, inode) of a SQLite file, None for other databases or a missing file."""
    path = sqlite_path(url)
    if path is None:
        return None
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return (stat.st_dev, stat.st_ino)


def shared_store(url: str, *, auto_migrate: bool | None = None) -> Store:
    """The process's Store for ``url``, opened (and checked or migrated) on first use."""
    with _LOCK:
        found = _OPEN.get(url)
        if found is not None:
            store, identity = found
            if identity == _file_identity(url):
                return store
            del _OPEN[url]
            store.close()
        store = Store.open(url, auto_migrate=auto_migrate)
        store.shared = True
        if url.startswith("sqlite") and sqlite_path(url) is None:
            return store  # an in-memory database lives and dies with its engine: not kept
        _OPEN[url] = (store, _file_identity(url))
        return store


def close_all() -> None:
    """Close every shared Store (their engines and pooled connections)."""
    with _LOCK:
        stores = [store for store, _identity in _OPEN.values()]
        _OPEN.clear()
    for store in stores:
        store.close()


atexit.register(close_all)

"""Pages under load: 20 concurrent clients against a real ``backstride serve`` on a history of
1,500 runs, p95 per page (issue #17: < 300 ms on 2 cores).

Builds the history once (not timed; as ``bench_pages.py``: 1,500 generated 5-minute runs, a
pain diary, shoes, a triage and a plan). Then for each source tree given (``--tree
NAME=SRC_DIR``, default: this checkout's ``src`` as "after") it starts ``python -m backstride
serve`` with that tree first on ``PYTHONPATH`` on a copy of the history, warms every page once,
and lets ``--clients`` threads each GET every page ``--rounds`` times in a shuffled order. It
prints p50/p95/max per page and over all pages for each tree, so a "before" and an "after"
measured in the same run share the machine's load at the time:

    .venv/bin/python benchmarks/bench_load.py --tree before=/tmp/base/src --tree after=src

A tree whose code knows only an older schema gets a copy of the history downgraded to the
newest revision it knows (Alembic ``downgrade``; the benchmark's own code does it).
``--writes-per-s R``: while the clients read, this process (another process than the server,
as a CLI import would be) adds R pain entries a second, so every cached page goes stale that
often and the figures include the recomputing. ``--history DB`` reuses a history database
built before (a copy of it; ``--keep-history DB`` saves the one built). ``--postgres URL``
builds the history on that PostgreSQL server instead and gives each tree a copy of it (its
databases ``bench_built`` and ``bench_<tree>`` are dropped and made afresh).
Exits 1 when the last tree's p95 of any page reaches 300 ms.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from alembic import command
from sqlalchemy import create_engine

from backstride import workflows
from backstride.adapters.storage.store import _alembic_config, sqlite_url
from backstride.config import Settings
from backstride.errors import BackstrideError

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_pages import build_history  # the same history as bench_pages

TARGET_P95_S = 0.300


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _known_head(src: Path) -> str:
    """The newest migration revision a source tree has."""
    found = sorted(p.name.split("_", 1)[0] for p in
                   (src / "backstride/adapters/storage/migrations/versions").glob("0*.py"))
    return found[-1]


def _history_for(tree: Path, history: Path, folder: Path) -> Path:
    data = folder / "data"
    data.mkdir(parents=True)
    db = data / "backstride.db"
    shutil.copy2(history, db)
    head = _known_head(tree)
    engine = create_engine(sqlite_url(db))
    with engine.begin() as conn:
        config = _alembic_config()
        config.attributes["connection"] = conn
        command.downgrade(config, head)  # nothing to do when the tree knows this schema
    engine.dispose()
    return data


def _pg_database(server_url: str, name: str, *, template: str | None = None) -> str:
    """A fresh database ``name`` on the PostgreSQL server (a copy of ``template``); its URL."""
    from sqlalchemy.engine import make_url

    from backstride.adapters.storage.opened import close_all

    close_all()  # a template must have no connections
    engine = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"'
                             + (f' TEMPLATE "{template}"' if template else ""))
    engine.dispose()
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


def _pg_history_for(tree: Path, server_url: str, name: str, folder: Path) -> tuple[Path, str]:
    url = _pg_database(server_url, f"bench_{name}", template="bench_built")
    engine = create_engine(url)
    with engine.begin() as conn:
        config = _alembic_config()
        config.attributes["connection"] = conn
        command.downgrade(config, _known_head(tree))
    engine.dispose()
    data = folder / "data"
    data.mkdir(parents=True)
    return data, url


def _get(url: str) -> tuple[int, float]:
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(url, timeout=60) as reply:
            reply.read()
            status = reply.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    return status, time.perf_counter() - started


def _writer(data: Path, db: str | None, per_s: float, stop: threading.Event,
            count: list[int]) -> None:
    """Pain entries at ``per_s`` a second into the history the server reads; count[0]: the
    ones stored, count[1]: the ones refused (the database busy)."""
    settings = Settings(data_dir=data, db=db)
    while not stop.wait(1.0 / per_s):
        try:
            workflows.add_pain(settings=settings, score=count[0] % 4, kind="other",
                               location="bench", onset_min=None, onset_km=None, run_id=None,
                               recorded_on=None, note=None)
            count[0] += 1
        except BackstrideError as exc:
            count[1] += 1
            print(f"write refused: {exc}", file=sys.stderr)


def load(tree: Path, data: Path, pages: list[str], *, clients: int, rounds: int,
         writes_per_s: float = 0.0, db: str | None = None
         ) -> tuple[dict[str, list[float]], int, float, list[int]]:
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(tree), "BACKSTRIDE_DATA_DIR": str(data)}
    if db is not None:
        env["BACKSTRIDE_DB"] = db
    server = subprocess.Popen([sys.executable, "-m", "backstride", "serve", "--port",
                               str(port)], env=env, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                _get(base + "/import")
                break
            except OSError:
                time.sleep(0.1)
        for page in pages:  # warm-up: first views fill the caches
            status, _ = _get(base + page)
            assert status == 200, (page, status)
        timings: dict[str, list[float]] = {page: [] for page in pages}
        errors = [0]
        lock = threading.Lock()

        def client(seed: int) -> None:
            order = [page for _ in range(rounds) for page in pages]
            random.Random(seed).shuffle(order)
            for page in order:
                status, took = _get(base + page)
                with lock:
                    timings[page].append(took)
                    errors[0] += status != 200

        started = time.perf_counter()
        stop, writes = threading.Event(), [0, 0]
        threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
        writer = threading.Thread(target=_writer, args=(data, db, writes_per_s, stop, writes))
        if writes_per_s > 0:
            writer.start()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        stop.set()
        if writes_per_s > 0:
            writer.join()
        return timings, errors[0], time.perf_counter() - started, writes
    finally:
        server.terminate()
        server.wait(timeout=60)


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[18]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tree", action="append", default=[], metavar="NAME=SRC_DIR")
    parser.add_argument("--runs", type=int, default=1500)
    parser.add_argument("--minutes", type=int, default=5)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=5, help="GETs of each page per client")
    parser.add_argument("--writes-per-s", type=float, default=0.0,
                        help="pain entries a second written by another process during the load")
    parser.add_argument("--history", type=Path, default=None,
                        help="a history database built before (used on a copy)")
    parser.add_argument("--keep-history", type=Path, default=None,
                        help="save the history built here for --history")
    parser.add_argument("--postgres", default=None, metavar="URL",
                        help="a PostgreSQL server (URL of any database on it): the history is "
                             "built there, in databases bench_built and bench_<tree>")
    args = parser.parse_args()
    here = Path(__file__).resolve().parents[1] / "src"
    trees = [(name, Path(src).resolve()) for name, src in
             (item.split("=", 1) for item in args.tree)] or [("after", here)]
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.1f}, Python {platform.python_version()}")
    slow: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp) / "built")
        if args.postgres is not None:
            from backstride.adapters.storage.store import Store

            settings = Settings(data_dir=settings.data_dir,
                                db=_pg_database(args.postgres, "bench_built"))
            Store.open(str(settings.db), auto_migrate=True).close()
            build_history(Path(tmp) / "runs", settings, runs=args.runs, minutes=args.minutes)
        elif args.history is not None:
            settings.data_dir.mkdir()
            shutil.copy2(args.history, settings.data_dir / "backstride.db")
        else:
            build_history(Path(tmp) / "runs", settings, runs=args.runs, minutes=args.minutes)
            if args.keep_history is not None:
                shutil.copy2(settings.data_dir / "backstride.db", args.keep_history)
        newest = workflows.list_runs(settings=settings, limit=1)[0].id
        pages = ["/", "/runs", f"/runs/{newest}", f"/runs/{newest}/report", "/trends", "/pain",
                 "/shoes", "/plan", "/import"]
        history = Path(tmp) / "built" / "backstride.db"
        for name, tree in trees:
            db = None
            if args.postgres is not None:
                data, db = _pg_history_for(tree, args.postgres, name, Path(tmp) / name)
            else:
                data = _history_for(tree, history, Path(tmp) / name)
            timings, errors, wall, writes = load(tree, data, pages, clients=args.clients,
                                                 rounds=args.rounds,
                                                 writes_per_s=args.writes_per_s, db=db)
            total = sum(len(v) for v in timings.values())
            print(f"\n{name} ({tree}): {args.clients} clients, {total} requests in "
                  f"{wall:.1f} s ({total / wall:.1f}/s), {errors} errors; another process "
                  f"wrote {writes[0]} pain entries ({writes[1]} refused); load average "
                  f"{os.getloadavg()[0]:.1f}")
            print(f"{'page':<22}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}")
            for page, found in timings.items():
                print(f"{page:<22}{statistics.median(found) * 1e3:>9.1f}"
                      f"{p95(found) * 1e3:>9.1f}{max(found) * 1e3:>9.1f}")
            every = [t for found in timings.values() for t in found]
            print(f"{'all pages':<22}{statistics.median(every) * 1e3:>9.1f}"
                  f"{p95(every) * 1e3:>9.1f}{max(every) * 1e3:>9.1f}")
            slow = [page for page, found in timings.items() if p95(found) >= TARGET_P95_S]
    print(f"\ntarget p95 < {TARGET_P95_S * 1e3:.0f} ms ({trees[-1][0]}): "
          f"{'met' if not slow else 'NOT met by ' + ', '.join(slow)}")
    return 1 if slow else 0


if __name__ == "__main__":
    sys.exit(main())

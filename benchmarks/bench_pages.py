"""Time the web app's main pages on a history of 1,500 runs (issue: pages stay fast).

Builds the history first (not timed): 1,500 generated 5-minute runs written as FIT files in
parallel and imported into a temporary SQLite database with ``workflows.import_paths``, a pain
diary linked to some of the runs, shoes, a triage and a plan. Then it GETs each page through
FastAPI's TestClient: a warm-up, then 30 timed requests, and prints p50/p95 per page.

    .venv/bin/python benchmarks/bench_pages.py [--runs 1500] [--requests 30] [--profile PATH]

Runs with the GC thresholds ``backstride serve`` sets (web/app.py ``SERVING_GC_THRESHOLDS``);
``--default-gc`` keeps CPython's. Exits 1 when any page's p95 reaches 200 ms.
``--profile /trends`` prints where one page's time goes (cProfile, top functions by
cumulative time).
"""

from __future__ import annotations

import argparse
import cProfile
import os
import platform
import pstats
import statistics
import sys
import tempfile
import time
import typing
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from fastapi.testclient import TestClient

from backstride import workflows
from backstride.adapters.formats.fit_writer import simulated_run_messages, write_fit_bytes
from backstride.config import Settings
from backstride.core.simulate import RunPlan, demo_answers, demo_selftests, simulate_run
from backstride.errors import BackstrideError
from backstride.web.app import SERVING_GC_THRESHOLDS, create_app, tune_gc_for_serving

TARGET_P95_S = 0.200
FIRST_RUN = datetime(2021, 1, 1, 6, tzinfo=UTC)


def _write_run(args: tuple[Path, int, int]) -> None:
    folder, index, minutes = args
    plan = RunPlan(duration_s=minutes * 60, cadence_spm=156.0 + (index % 40) * 0.2,
                   pauses=(), walks=(), start_utc=FIRST_RUN + timedelta(hours=23 * index))
    run = simulate_run(plan, seed=index)
    (folder / f"run-{index:05d}.fit").write_bytes(write_fit_bytes(simulated_run_messages(run)))


def build_history(folder: Path, settings: Settings, *, runs: int, minutes: int) -> None:
    started = time.perf_counter()
    started_on = datetime.now(UTC)
    folder.mkdir()
    with ProcessPoolExecutor() as pool:
        list(pool.map(_write_run, [(folder, i, minutes) for i in range(runs)], chunksize=32))
    generated = time.perf_counter() - started
    summary = workflows.import_paths([folder], settings=settings)
    imported = time.perf_counter() - started - generated
    stored = workflows.list_runs(settings=settings, limit=300)
    for k, run in enumerate(stored):  # the newest 300 runs get a pain entry
        workflows.add_pain(settings=settings, score=(k * 7) % 6, kind="during",
                           location="low back", onset_min=2.0 if k % 3 else None,
                           onset_km=None, run_id=run.id,
                           recorded_on=(run.start_utc or started_on).date(), note=None)
    for name, start_m, since in (("Pegasus 40", 120_000.0, date(2021, 1, 1)),
                                 ("Trail shoes", 40_000.0, None), ("Racers", 600_000.0, None)):
        workflows.add_shoe(settings=settings, name=name, start_distance_m=start_m,
                           default_from=since, default_to=None)
    workflows.assess_back(demo_answers(), settings=settings)
    workflows.screen_body(demo_selftests(), settings=settings)
    try:
        workflows.make_plan(settings=settings)
    except BackstrideError as exc:
        print(f"no plan: {exc}")
    print(f"history: {summary.imported} runs of {minutes} min imported "
          f"({len(summary.skipped)} skipped); generated in {generated:.1f} s, imported in "
          f"{imported:.1f} s, diary and plan in "
          f"{time.perf_counter() - started - generated - imported:.1f} s (not timed)")


def time_pages(client: TestClient, pages: list[str], requests: int) -> dict[str, list[float]]:
    timings: dict[str, list[float]] = {}
    for page in pages:
        warm = client.get(page)
        if warm.status_code != 200:
            print(f"{page}: skipped (status {warm.status_code})")
            continue
        client.get(page)
        found = []
        for _ in range(requests):
            started = time.perf_counter()
            reply = client.get(page)
            found.append(time.perf_counter() - started)
            assert reply.status_code == 200, (page, reply.status_code)
        timings[page] = found
    return timings


def profile_page(client: TestClient, page: str) -> None:
    """cProfile of one page, served in this thread: the TestClient runs the app in another
    thread, and FastAPI runs sync handlers in a thread pool, where a profiler here would only
    see it waiting; so the pool is bypassed and the request goes through httpx's ASGI
    transport on an event loop in this thread."""
    import asyncio
    from unittest import mock

    import fastapi.dependencies.utils
    import fastapi.routing
    import httpx2 as httpx

    async def inline(func: typing.Any, *args: typing.Any, **kwargs: typing.Any) -> typing.Any:
        return func(*args, **kwargs)

    async def fetch(times: int) -> None:
        transport = httpx.ASGITransport(app=client.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8765") \
                as local:
            for _ in range(times):
                assert (await local.get(page)).status_code == 200

    with mock.patch.object(fastapi.routing, "run_in_threadpool", inline), \
            mock.patch.object(fastapi.dependencies.utils, "run_in_threadpool", inline):
        asyncio.run(fetch(1))
        profiler = cProfile.Profile()
        profiler.enable()
        asyncio.run(fetch(5))
        profiler.disable()
    print(f"\ncProfile of 5 GETs of {page} (by cumulative time):")
    stats = pstats.Stats(profiler, stream=sys.stdout)
    stats.sort_stats("cumulative").print_stats(r"backstride|sqlalchemy|json|jinja|numpy", 30)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1500)
    parser.add_argument("--minutes", type=int, default=5)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--profile", metavar="PATH", action="append", default=[],
                        help="also profile this page (repeatable)")
    parser.add_argument("--default-gc", action="store_true",
                        help="keep CPython's GC thresholds (backstride serve sets its own)")
    args = parser.parse_args()
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}")
    if not args.default_gc:  # as `backstride serve` runs
        tune_gc_for_serving()
    print(f"GC thresholds {SERVING_GC_THRESHOLDS if not args.default_gc else 'default'}")
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp) / "data")
        build_history(Path(tmp) / "runs", settings, runs=args.runs, minutes=args.minutes)
        newest = workflows.list_runs(settings=settings, limit=1)[0].id
        pages = ["/", "/runs", f"/runs/{newest}", f"/runs/{newest}/report", "/trends", "/pain",
                 "/shoes", "/plan", "/import"]
        with TestClient(create_app(settings), base_url="http://127.0.0.1:8765") as client:
            timings = time_pages(client, pages, args.requests)
            # The first home page after a new diary entry adapts the plan first (issue 14).
            after = []
            for k in range(args.requests):
                workflows.add_pain(settings=settings, score=1 + k % 2, kind="next_morning",
                                   location="low back", onset_min=None, onset_km=None,
                                   run_id=None, recorded_on=None, note=None)
                workflows.assess_back(demo_answers(), settings=settings)  # changed pain
                began = time.perf_counter()
                assert client.get("/").status_code == 200
                after.append(time.perf_counter() - began)
            timings["/ after a pain entry"] = after
            # The first trends page after a new diary entry computes the trends and the
            # charts' series again (the cache is keyed by the history's version).
            newest_run = workflows.list_runs(settings=settings, limit=1)[0]
            first = []
            for _ in range(args.requests):
                workflows.add_pain(settings=settings, score=0, kind="during",
                                   location="low back", onset_min=None, onset_km=None,
                                   run_id=newest_run.id, recorded_on=None, note=None)
                began = time.perf_counter()
                assert client.get("/trends").status_code == 200
                first.append(time.perf_counter() - began)
            timings["/trends after an entry"] = first
            for page in args.profile:
                profile_page(client, page)
    print(f"\n{'page':<22}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}")
    slow = []
    for page, found in timings.items():
        p50 = statistics.median(found)
        p95 = statistics.quantiles(found, n=20, method="inclusive")[18]
        print(f"{page:<22}{p50 * 1e3:>9.1f}{p95 * 1e3:>9.1f}{max(found) * 1e3:>9.1f}")
        if p95 >= TARGET_P95_S:
            slow.append(page)
    print(f"\ntarget p95 < {TARGET_P95_S * 1e3:.0f} ms: "
          f"{'met' if not slow else 'NOT met by ' + ', '.join(slow)}")
    return 1 if slow else 0


if __name__ == "__main__":
    sys.exit(main())

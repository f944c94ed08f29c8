"""Import a generated history of 1,500 one-hour runs (about 5.4 M records) into SQLite.

Target (issue 6): under 60 s on 2 cores. Generation is not timed. Run:

    .venv/bin/python benchmarks/bench_import.py [--runs 1500] [--minutes 60] [--workers N]

Prints the machine, the record count, the import time and the rate; exits 1 over the target.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

from backstride.adapters.formats.fit_writer import simulated_run_messages, write_fit_bytes
from backstride.config import Settings
from backstride.core.simulate import RunPlan, simulate_run
from backstride.workflows import import_paths

TARGET_S = 60.0


def _write_run(args: tuple[Path, int, int]) -> int:
    folder, index, minutes = args
    plan = RunPlan(duration_s=minutes * 60,
                   start_utc=datetime(2021, 1, 1, 6, tzinfo=UTC) + timedelta(hours=19 * index))
    run = simulate_run(plan, seed=index)
    (folder / f"run-{index:05d}.fit").write_bytes(write_fit_bytes(simulated_run_messages(run)))
    return int(run.t_s.size)


def _cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1500)
    parser.add_argument("--minutes", type=int, default=60)
    parser.add_argument("--workers", type=int, default=None, help="default: all cores")
    args = parser.parse_args()
    print(f"{_cpu()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "runs"
        folder.mkdir()
        started = time.perf_counter()
        with ProcessPoolExecutor() as pool:
            records = sum(pool.map(_write_run, [(folder, i, args.minutes)
                                                for i in range(args.runs)], chunksize=16))
        size_mb = sum(p.stat().st_size for p in folder.iterdir()) / 1e6
        print(f"generated {args.runs} runs, {records:,} records, {size_mb:.0f} MB of FIT in "
              f"{time.perf_counter() - started:.1f} s (not timed)")
        settings = Settings(data_dir=Path(tmp) / "data")
        started = time.perf_counter()
        summary = import_paths([folder], settings=settings, workers=args.workers)
        elapsed = time.perf_counter() - started
        db_mb = (Path(tmp) / "data" / "backstride.db").stat().st_size / 1e6
    print(f"imported {summary.imported} runs ({summary.duplicates} duplicates, "
          f"{len(summary.skipped)} skipped) in {elapsed:.1f} s: {records / elapsed:,.0f} "
          f"records/s, {elapsed / args.runs * 1000:.1f} ms a run; database {db_mb:.0f} MB")
    ok = elapsed < TARGET_S and summary.imported == args.runs
    print(f"target < {TARGET_S:.0f} s: {'met' if ok else 'NOT met'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

"""Batch throughput: 500 generated FIT files analysed into a fresh history three ways, in one
run: serially (one process), on a local process pool (all cores), and on a local Ray cluster.

    .venv/bin/python benchmarks/bench_batch.py [--files 500] [--minutes 30]

Prints each path's time and speed-up over the serial one, and a split of the serial time
(decode, analysis, storing) so the speed-ups can be read.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

from backstride.adapters.formats import read_activity
from backstride.adapters.formats.fit_writer import simulated_run_messages, write_fit_bytes
from backstride.config import Settings
from backstride.core.simulate import RunPlan, simulate_run
from backstride.workflows import import_paths, measure_activity


def _write(args: tuple[Path, int, int]) -> None:
    folder, index, minutes = args
    plan = RunPlan(duration_s=minutes * 60,
                   start_utc=datetime(2022, 1, 1, 6, tzinfo=UTC) + timedelta(hours=13 * index))
    (folder / f"run-{index:04d}.fit").write_bytes(
        write_fit_bytes(simulated_run_messages(simulate_run(plan, seed=index))))


def _split(folder: Path, sample: int = 40) -> tuple[float, float]:
    """Mean decode and analysis time a file, in-process, on a sample."""
    files = sorted(folder.iterdir())[:sample]
    decode = analyse = 0.0
    for path in files:
        started = time.perf_counter()
        activity = read_activity(path)
        decoded = time.perf_counter()
        measure_activity(path.name, activity)
        decode += decoded - started
        analyse += time.perf_counter() - decoded
    return decode / len(files), analyse / len(files)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=500)
    parser.add_argument("--minutes", type=int, default=30)
    parser.add_argument("--no-ray", action="store_true")
    args = parser.parse_args()
    print(f"{os.cpu_count()} cores; {args.files} files of {args.minutes} min")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "runs"
        folder.mkdir()
        with ProcessPoolExecutor() as pool:
            list(pool.map(_write, [(folder, i, args.minutes) for i in range(args.files)],
                          chunksize=16))
        paths: list[tuple[str, dict[str, object]]] = [
            ("serial", {"workers": 1}), ("local pool", {"workers": None})]
        if not args.no_ray:
            paths.append(("ray (local)", {"ray_address": "local"}))
        times: dict[str, float] = {}
        for label, kwargs in paths:
            settings = Settings(data_dir=Path(tmp) / label.replace(" ", "_"))
            started = time.perf_counter()
            summary = import_paths([folder], settings=settings, **kwargs)  # type: ignore[arg-type]
            times[label] = time.perf_counter() - started
            assert summary.imported == args.files, summary
        decode_s, analyse_s = _split(folder)
    serial = times["serial"]
    for label, seconds in times.items():
        print(f"{label:<14} {seconds:7.1f} s  {args.files / seconds:6.1f} files/s  "
              f"speed-up {serial / seconds:4.2f}x")
    store_s = serial / args.files - decode_s - analyse_s
    print(f"serial, a file: decode {decode_s * 1000:.1f} ms, analysis {analyse_s * 1000:.1f} ms, "
          f"storing and the rest {store_s * 1000:.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())

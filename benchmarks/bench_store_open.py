"""What a workflow call pays to reach the history: a fresh Store each time vs the process's one.

    python benchmarks/bench_store_open.py [--calls N]

Both sides run in this process, interleaved, on the same SQLite file already at the code's
schema revision: ``Store.open`` + ``latest_triage`` + close (what every workflow did before
issue 16), against ``workflows.open_store`` + ``latest_triage`` (the shared store). Prints the
median per call and the ratio.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from backstride.adapters.storage.opened import close_all
from backstride.adapters.storage.store import Store
from backstride.config import Settings
from backstride.workflows.history import database_url, open_store


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp))
        url = database_url(settings)
        open_store(settings).runner_id()  # create and migrate once, untimed
        fresh: list[float] = []
        shared: list[float] = []
        for _ in range(args.calls):
            start = time.perf_counter()
            with Store.open(url) as store:
                store.latest_triage()
            fresh.append(time.perf_counter() - start)
            start = time.perf_counter()
            with open_store(settings) as store:
                store.latest_triage()
            shared.append(time.perf_counter() - start)
        close_all()
    a, b = statistics.median(fresh), statistics.median(shared)
    print(f"{args.calls} calls each, interleaved, SQLite at the head revision")
    print(f"fresh Store per call : {a * 1000:7.2f} ms (median)")
    print(f"shared Store         : {b * 1000:7.2f} ms (median)")
    print(f"ratio                : {a / b:7.1f}x")


if __name__ == "__main__":
    main()

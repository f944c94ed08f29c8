"""Run one function over many inputs: in-process, or a local process pool on all cores.

Results come back in input order, one at a time, so the caller (the only writer) can store
each as it arrives. Ray joins here when batches need a cluster.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")

CHUNK: int = 4  # inputs per task sent to a worker: amortises pickling of small items


def worker_count(workers: int | None) -> int:
    """None means all cores; 1 means in-process (no pool)."""
    return max(1, workers if workers is not None else (os.cpu_count() or 1))


def map_in_order(function: Callable[[T], R], items: Iterable[T], *,
                 workers: int | None = None) -> Iterator[R]:
    count = worker_count(workers)
    if count == 1:
        yield from map(function, items)
        return
    with ProcessPoolExecutor(max_workers=count) as pool:
        yield from pool.map(function, items, chunksize=CHUNK)

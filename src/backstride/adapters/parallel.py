"""Run one function over many inputs: in-process, or a local process pool on all cores.

Results come back in input order, one at a time, so the caller (the only writer) can store
each as it arrives. Ray joins here when batches need a cluster.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")

def worker_count(workers: int | None) -> int:
    """None means all cores; 1 means in-process (no pool)."""
    return max(1, workers if workers is not None else (os.cpu_count() or 1))


def map_in_order(function: Callable[[T], R], items: Iterable[T], *,
                 workers: int | None = None) -> Iterator[R]:
    count = worker_count(workers)
    if count == 1:
        yield from map(function, items)
        return
    # A bounded window of tasks in flight: the inputs may be archive members in memory, so
    # they are read only as fast as workers take them (Executor.map would read them all).
    window = 4 * count
    with ProcessPoolExecutor(max_workers=count) as pool:
        pending: deque[Future[R]] = deque()
        for item in items:
            pending.append(pool.submit(function, item))
            if len(pending) >= window:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()

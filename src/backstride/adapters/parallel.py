"""Run one function over many inputs: in-process, a local process pool on all cores, or a
Ray cluster (only when asked for: ``--ray ADDRESS`` or ``RAY_ADDRESS``).

Results come back in input order, one at a time, so the caller (the only writer) can store
each as it arrives; every path runs the same function, so every path gives the same results.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any, TypeVar

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
    # Workers start from a clean "forkserver" process, not a fork of this one: a fork copies
    # native libraries' threads and locks in whatever state they are (MediaPipe aborts in a
    # forked child once the parent has run the pose model).
    context = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(max_workers=count, mp_context=context) as pool:
        pending: deque[Future[R]] = deque()
        for item in items:
            pending.append(pool.submit(function, item))
            if len(pending) >= window:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def map_on_ray(function: Callable[[T], R], items: Iterable[T], *,
               address: str | None) -> Iterator[R]:
    """The same on Ray: ``address`` of a running cluster, or "local" for a local one."""
    try:
        import ray
    except ImportError as exc:
        from backstride.errors import MissingDependencyError

        raise MissingDependencyError("Batches on Ray", "ray") from exc
    started_here = not ray.is_initialized()
    if started_here:
        ray.init(address=None if address in (None, "", "local") else address,
                 include_dashboard=False, log_to_driver=False, ignore_reinit_error=True)
    remote = ray.remote(function)
    cpus = ray.cluster_resources().get("CPU", 1)  # type: ignore[no-untyped-call]  # ray's stub
    window = 4 * max(1, int(cpus))
    try:
        pending: deque[Any] = deque()
        for item in items:
            pending.append(remote.remote(item))
            if len(pending) >= window:
                yield ray.get(pending.popleft())
        while pending:
            yield ray.get(pending.popleft())
    finally:
        if started_here:
            ray.shutdown()

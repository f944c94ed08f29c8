"""Run one function over many inputs: in-process, a local process pool on all cores, or a
Ray cluster (only when asked for: ``--ray ADDRESS`` or ``RAY_ADDRESS``).

Results come back in input order, one at a time, so the caller (the only writer) can store
each as it arrives; every path runs the same function, so every path gives the same results.
"""

from __future__ import annotations

import multiprocessing
import os
import socket
from collections import deque
from collections.abc import Callable, Generator, Iterable
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any, Final, TypeVar

from backstride.errors import ConfigError

T = TypeVar("T")
R = TypeVar("R")

RAY_PROBE_S: Final = 5.0  # a head answers a TCP connect at once; Ray's own retries take >2 min
RAY_DEFAULT_PORT: Final = 6379

def worker_count(workers: int | None) -> int:
    """None means all cores; 1 means in-process (no pool)."""
    return max(1, workers if workers is not None else (os.cpu_count() or 1))


def map_in_order(function: Callable[[T], R], items: Iterable[T], *,
                 workers: int | None = None) -> Generator[R, None, None]:
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


def check_ray_address(address: str | None) -> None:
    """Fail fast, with what to check, when the Ray head at ``address`` does not answer: a TCP
    connect with a 5-s limit, before Ray's own connection retries (over two minutes, silent).
    ``None``, "local" and "auto" need no check (no cluster, or Ray finds it itself)."""
    if address in (None, "", "local", "auto"):
        return
    assert address is not None
    host_port = address.removeprefix("ray://")
    host, _, port_text = host_port.rpartition(":") if ":" in host_port else (host_port, "", "")
    try:
        port = int(port_text) if port_text else RAY_DEFAULT_PORT
    except ValueError as exc:
        raise ConfigError(f"--ray {address} is not an address: give HOST:PORT of the Ray head "
                          "(for example 10.0.0.5:6379), or 'local'.") from exc
    try:
        with socket.create_connection((host.strip("[]"), port), timeout=RAY_PROBE_S):
            return
    except TimeoutError:
        why = f"no answer within {RAY_PROBE_S:.0f} s"
    except OSError as exc:
        why = exc.strerror or type(exc).__name__
    raise ConfigError(
        f"The Ray cluster at {address} does not answer ({why}); nothing was imported. Check the "
        "address (the head node's 'ray start --head' prints it; port 6379 by default), that "
        "the head is running and reachable from here (firewall), and the cluster's auth token "
        "if it uses one. Or run on this machine's cores: add --ray-fallback local, or leave "
        "out --ray (and RAY_ADDRESS).")


def map_on_ray(function: Callable[[T], R], items: Iterable[T], *,
               address: str | None) -> Generator[R, None, None]:
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

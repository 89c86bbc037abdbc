"""Several sandboxes at once: started side by side, all or nothing, and stopped side by side.

Starting a sandbox is mostly waiting (for etcd, the API server, the controllers, kwok's nodes),
so a few start faster together than one after the other. Each sandbox has its own run
directory, state file, lock and ports; a port that another sandbox took between the check and
the bind is retried by ``up`` itself on fresh ports.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed

from kubecurrent.errors import UsageError
from kubecurrent.sandbox import _cluster
from kubecurrent.sandbox._state import SandboxState

WORKERS = 4
"""Sandboxes started or stopped at the same time, at most."""


def up_many(
    options: Sequence[_cluster.UpOptions],
    on_started: Callable[[SandboxState], None] | None = None,
    workers: int = WORKERS,
) -> list[SandboxState]:
    """Start every sandbox of ``options`` (in order of the list); all or nothing.

    ``on_started`` is called in the caller's thread for each sandbox as it comes up. When one
    fails (or the caller is interrupted) the others are left to finish starting, then every
    sandbox started is stopped again, and the first failure is raised.
    """
    names = [o.name for o in options]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise UsageError(
            f"sandbox names must be distinct; given more than once: {', '.join(twice)}",
            hint="give each sandbox its own name",
        )
    pool = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="sandbox-up")
    futures = [pool.submit(_cluster.up, o) for o in options]
    try:
        for future in as_completed(futures):
            state = future.result()  # the first failure ends the loop
            if on_started is not None:
                on_started(state)
    except BaseException:
        pool.shutdown(wait=True, cancel_futures=True)
        down_many(s.name for s in _succeeded(futures))
        raise
    pool.shutdown(wait=True)
    return [f.result() for f in futures]


def _succeeded(futures: Iterable[Future[SandboxState]]) -> list[SandboxState]:
    return [f.result() for f in futures if f.done() and not f.cancelled() and f.exception() is None]


def down_many(names: Iterable[str], workers: int = WORKERS) -> list[str]:
    """Stop the sandboxes named, side by side; returns the names of those stopped.

    Every sandbox is attempted even when stopping another one fails; the first failure is
    raised after all of them were attempted.
    """
    listed = list(names)
    with ThreadPoolExecutor(max(1, workers), thread_name_prefix="sandbox-down") as pool:
        futures = [pool.submit(_cluster.down, n) for n in listed]
    for future in futures:
        failure = future.exception()
        if failure is not None:
            raise failure
    return [f.result().name for f in futures]

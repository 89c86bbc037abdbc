"""Collecting a fleet in worker processes, so that every core decodes pages.

In one process the clusters of a fleet share one core (the interpreter decodes and aggregates
one page at a time) while their API servers wait. ``FleetWorkers`` forks worker processes
(Linux) before any thread or event loop starts, so each inherits the catalog and the imported
client (imported before the fork for that reason) instead of loading them again. A worker
collects one cluster at a time with the in-process collector and sends its ``ClusterResult``
back; the parent hands the next cluster to whichever worker is free, so a large cluster never
waits behind small ones.

Failures stay per cluster: one that cannot be reached or times out fails with the same reason
as in process; a worker that dies (killed, out of memory) or hangs past the cluster's timeout
fails that cluster alone and the others go on with the remaining workers. Workers ignore
Ctrl-C (the parent stops them, whatever ends it) and the kernel kills them if the parent dies
(``PR_SET_PDEATHSIG``), so no worker outlives the command.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import importlib
import multiprocessing
import os
import signal
import sys
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from types import TracebackType

from kubecurrent.catalog import Catalog
from kubecurrent.collect.cluster._fleet import ClusterResult, Progress, collect_one, tell
from kubecurrent.collect.cluster._target import ClusterTarget, CollectOptions

GRACE = 10.0
"""Seconds past a cluster's own timeout before the parent kills a worker that has not answered
(the worker's own timeout should have ended the collection by then)."""
STOP_WAIT = 2.0
"""Seconds a worker has to exit after it is told to stop, before it is killed."""
_PR_SET_PDEATHSIG = 1
MIN_CORES = 3
"""Cores from which a fleet is read in worker processes unless ``--workers`` says otherwise.
Measured on two cores (bench/scan_fleet.py, 5 clusters of 2k-20k objects, interleaved A/B):
in this process 8.6 s wall and 2.5 s CPU, in five workers 9.9 s and 3.0 s."""
PRELOAD = (
    "kubecurrent.collect.cluster._collect",
    "httpcore2",
    "anyio._backends._asyncio",
    "anyio.streams.tls",
    "h11",
    "h2.connection",
    "truststore",
)
"""Modules a cluster collection imports lazily (the collector; httpx2's transport opens its
first connection with these), imported by the parent before it forks the workers."""


def fleet_workers(
    clusters: int, concurrency: int, cores: int | None = None, asked: int | None = None
) -> int:
    """Worker processes for a fleet of ``clusters`` read ``concurrency`` at a time; 0: collect
    in this process.

    ``asked`` is the user's number (``--workers``; 0: none). Left to choose, a fleet gets one
    worker per cluster read at once on ``MIN_CORES`` or more cores, and none on fewer: a
    worker's fixed cost outweighs the decoding it takes off the other core there. Without
    ``fork`` (not Linux) there are none."""
    if (
        not sys.platform.startswith("linux")
        or "fork" not in multiprocessing.get_all_start_methods()
    ):
        return 0
    cores = len(os.sched_getaffinity(0)) if cores is None else cores
    if asked is None:
        asked = concurrency if cores >= MIN_CORES else 0
    if clusters < 2:
        return 0
    return min(clusters, concurrency, asked)


@dataclass
class _Job:
    index: int
    target: ClusterTarget
    deadline: float


@dataclass
class _Worker:
    process: BaseProcess
    conn: Connection
    job: _Job | None = None


class FleetWorkers:
    """``count`` forked worker processes collecting clusters with ``catalog`` and ``opts``.

    Enter it before starting any thread (a progress bar's) or event loop: the fork copies
    neither. Leaving it stops every worker, whatever ended the block."""

    def __init__(self, catalog: Catalog, opts: CollectOptions, count: int) -> None:
        self._catalog, self._opts, self._count = catalog, opts, count
        self._workers: list[_Worker] = []

    def __enter__(self) -> FleetWorkers:
        _preload()
        context = multiprocessing.get_context("fork")
        parent = os.getpid()
        gc.freeze()  # what the workers inherit is not walked by their collectors (nor copied)
        try:
            for _ in range(self._count):
                ours, theirs = context.Pipe()
                process = context.Process(
                    target=_serve,
                    args=(theirs, self._catalog, self._opts, parent),
                    name="kubecurrent-fleet-worker",
                    daemon=True,
                )
                process.start()
                theirs.close()
                self._workers.append(_Worker(process, ours))
        except BaseException:
            self._stop()
            raise
        finally:
            gc.unfreeze()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop(graceful=kind is None)

    def collect(
        self, targets: Sequence[ClusterTarget], progress: Progress | None = None
    ) -> list[ClusterResult]:
        """Every target's result, in the order given; never raises for one cluster's failure."""
        results: dict[int, ClusterResult] = {}
        pending = deque(enumerate(targets))
        idle = deque(w for w in self._workers if w.process.is_alive())
        busy: dict[Connection, _Worker] = {}
        while pending or busy:
            while pending and idle:
                worker = idle.popleft()
                index, target = pending.popleft()
                if self._hand(worker, index, target):
                    busy[worker.conn] = worker
                    tell(progress, target, "started")
                else:
                    pending.appendleft((index, target))
            if not busy:  # every worker has died: nothing can collect the rest
                for index, target in pending:
                    results[index] = ClusterResult(target, error="no worker process left")
                break
            for worker, result in self._next(busy):
                job = worker.job
                assert job is not None, "a busy worker has a job"
                worker.job = None
                results[job.index] = result
                tell(progress, job.target, "done" if result.ok else "failed")
                if worker.process.is_alive():
                    idle.append(worker)
        return [results[i] for i in range(len(targets))]

    def _hand(self, worker: _Worker, index: int, target: ClusterTarget) -> bool:
        try:
            worker.conn.send((index, target))
        except OSError:  # the worker died while idle: the target goes to another one
            _kill(worker)
            return False
        worker.job = _Job(index, target, time.monotonic() + target.timeout + GRACE)
        return True

    def _next(self, busy: dict[Connection, _Worker]) -> list[tuple[_Worker, ClusterResult]]:
        """Wait for the next answers (or the first deadline): each worker that answered, died
        or overran, with its cluster's result."""
        deadline = min(w.job.deadline for w in busy.values() if w.job is not None)
        ready = wait(list(busy), timeout=max(0.0, deadline - time.monotonic()))
        done: list[tuple[_Worker, ClusterResult]] = []
        now = time.monotonic()
        for conn, worker in list(busy.items()):
            job = worker.job
            if conn in ready:
                del busy[conn]
                done.append((worker, _receive(worker)))
            elif job is not None and job.deadline <= now:
                del busy[conn]
                _kill(worker)
                error = f"timed out after {job.target.timeout:.0f}s (its worker process was killed)"
                done.append((worker, ClusterResult(job.target, error=error)))
        return done

    def _stop(self, graceful: bool = False) -> None:
        if graceful:
            for worker in self._workers:
                with contextlib.suppress(OSError):
                    worker.conn.send(None)
            end = time.monotonic() + STOP_WAIT
            for worker in self._workers:
                worker.process.join(max(0.0, end - time.monotonic()))
        for worker in self._workers:
            _kill(worker)
        self._workers = []


def _preload() -> None:
    """Import, before the fork, what collecting a cluster imports on first use: imported after
    it, every worker would repeat the work (measured: 0.45 s of CPU each, the collector and the
    HTTP stack's connection modules). A module a client version no longer has is skipped."""
    for name in PRELOAD:
        with contextlib.suppress(ImportError):
            importlib.import_module(name)


def _receive(worker: _Worker) -> ClusterResult:
    job = worker.job
    assert job is not None, "only a busy worker answers"
    try:
        index, result = worker.conn.recv()
    except (EOFError, OSError):
        worker.process.join(STOP_WAIT)
        code = worker.process.exitcode
        how = f"killed by signal {-code}" if code is not None and code < 0 else f"exit {code}"
        _kill(worker)
        return ClusterResult(job.target, error=f"its worker process died ({how})")
    assert index == job.index, "a worker answers for the cluster it was given"
    assert isinstance(result, ClusterResult)
    return result


def _kill(worker: _Worker) -> None:
    if worker.process.is_alive():
        worker.process.kill()
    worker.process.join()
    worker.conn.close()


def _serve(conn: Connection, catalog: Catalog, opts: CollectOptions, parent: int) -> None:
    """A worker's life: collect each cluster the parent sends until told to stop (``None``) or
    the parent is gone."""
    _die_with(parent)
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        index, target = job
        result = asyncio.run(collect_one(target, catalog, opts))
        try:
            try:
                conn.send((index, result))
            except OSError:
                raise
            except Exception as exc:  # pickling refused: the cluster fails, the worker goes on
                reason = f"its result could not be sent back: {type(exc).__name__}: {exc}"
                conn.send((index, ClusterResult(target, error=reason)))
        except OSError:  # the parent is gone
            return


def _die_with(parent: int) -> None:
    """Ctrl-C is the parent's to handle (a terminal sends it to every process of the group);
    SIGTERM ends a worker at once; the kernel sends SIGKILL when the parent dies."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)

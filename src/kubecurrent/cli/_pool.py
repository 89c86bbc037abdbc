"""Running one function over many inputs on every core, results in input order.

A pool of worker processes started with ``fork`` (Linux only), so the function, which may close
over the catalog context and the helm/kustomize resolvers, is inherited rather than pickled; only
the inputs and results cross between processes. Anything else (few inputs, a saturated machine,
another OS) runs in this process, lazily, exactly as a plain ``map`` would.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

In = TypeVar("In")
Out = TypeVar("Out")

MIN_PER_WORKER = 128
"""Below this many inputs per worker, starting processes costs more than it saves. Measured with
``kubecurrent scan files`` on bench/corpus.py repositories (about 10 documents a file), 2 idle
cores, wall median of 5, one worker against two: 75 files 0.48 against 0.58 s, 250 files 0.57
against 0.56 s, 500 files 0.71 against 0.65 s, 1,000 files 1.17 against 0.90 s."""

_work: Callable[[Any], Any] | None = None


def workers_for(count: float, cores: int | None = None, load: float | None = None) -> int:
    """How many processes ``count`` inputs are worth here (1: stay in-process); inputs of
    unequal work are counted by weight (``cli._scan_run.weight``).

    On a saturated machine (``load`` at or above ``cores``, both read from the system by
    default: see ``busy``) more processes only add their overhead (measured: +25% CPU,
    slower)."""
    if count < 2 * MIN_PER_WORKER or not sys.platform.startswith("linux"):
        return 1  # a small repository: not worth importing multiprocessing to ask
    import multiprocessing

    if "fork" not in multiprocessing.get_all_start_methods():
        return 1
    cores = _cores() if cores is None else cores
    load = busy(os.getloadavg()[0], _read_loadavg()) if load is None else load
    if load >= cores:
        return 1
    return max(1, min(cores, int(count // MIN_PER_WORKER)))


def busy(average: float, loadavg: str | None) -> float:
    """How many cores other work keeps busy: the 1-minute load ``average``, unless fewer
    threads are runnable right now (``/proc/loadavg``'s fourth field, less this one). The
    average trails by a minute: a scan started right after another (a CI job's next step, the
    same command run again) would otherwise see the first one's load and take one core while
    the machine is idle. A machine that is busy now shows both."""
    try:
        running = int(loadavg.split()[3].split("/")[0]) - 1 if loadavg else None
    except (IndexError, ValueError):
        running = None
    return average if running is None else min(average, float(running))


def _read_loadavg() -> str | None:
    try:
        return Path("/proc/loadavg").read_text()
    except OSError:
        return None


def enough_inputs() -> int:
    """How many inputs are enough for ``workers_for`` to use every core (more change nothing)."""
    return MIN_PER_WORKER * _cores()


def _cores() -> int:
    return len(os.sched_getaffinity(0))


@contextmanager
def ordered_map(
    work: Callable[[In], Out], items: Iterable[In], workers: int
) -> Iterator[Iterable[Out]]:
    """``map(work, items)``, on ``workers`` processes when more than one; start the pool before
    any thread (a progress bar's) so the fork copies none. Each item is handed to a worker on
    its own: batch small items into one (a list) so that the handing over is amortised."""
    global _work
    if workers <= 1:
        yield map(work, items)
        return
    _work = work
    import multiprocessing

    try:
        pool = multiprocessing.get_context("fork").Pool(workers, initializer=_plain_signals)
        try:
            yield pool.imap(_call, items)
            pool.close()  # the normal end: workers take their sentinel and exit by themselves
        except BaseException:
            pool.terminate()  # an error or Ctrl-C: stop the workers now
            raise
        finally:
            pool.join()
    finally:
        _work = None


def _plain_signals() -> None:
    """Workers die at the pool's SIGTERM and leave Ctrl-C to the parent.

    A fork copies the parent's Python signal handlers (the CLI's SIGTERM handler raises
    KeyboardInterrupt): with one of those a worker can outlive the pool's terminate() and the
    parent then waits for it forever. The default action is the kernel's, with no Python code.
    """
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _call(item: Any) -> Any:
    assert _work is not None, "ordered_map sets the work before forking"
    return _work(item)

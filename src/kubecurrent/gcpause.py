"""Pausing Python's cyclic garbage collector around work that only builds objects, and ending
the process without tearing down what it built.

Building a large structure (a parsed 1,000-cluster fleet spec, the plans of that fleet)
allocates a great deal and makes few reference cycles; each pass of the cyclic collector
meanwhile walks every container built so far (three times the parse time on a 1,000-cluster
spec; 15 % of ``plan``'s CPU on it). Reference counting still frees every object that is not in
a cycle, and the collector is switched back on, as it was, when the block ends.

The same holds at the very end: when the console script's command is over, the interpreter's
own shutdown frees every module and object one by one (about 25 ms of a 0.2 s ``scan files``,
measured), which the operating system does at once. ``end_process`` ends it there.
"""

from __future__ import annotations

import atexit
import gc
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """The cyclic collector off inside the block (left off when it was off already)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


_command_ends_process = False


def command_ends_process() -> None:
    """Called by the console script: the process exits when its one command ends."""
    global _command_ends_process
    _command_ends_process = True


def keep_to_the_end() -> None:
    """Hide every object built so far from the cyclic collector (``gc.freeze``) when they live
    until the process ends anyway (the console script's command), so no collector pass walks
    them again. A caller running commands in its own process (tests, a program embedding the
    CLI) keeps a normal collector: frozen objects would never be freed there."""
    if _command_ends_process:
        gc.freeze()


def end_process(code: object) -> None:
    """End the process now with exit status ``code`` (a ``SystemExit``'s), as the interpreter
    would but without freeing its objects one by one: exit handlers run (``atexit``, which
    ``logging`` and ``tempfile`` use), standard output and error are flushed. Returns, leaving
    the ordinary shutdown to the caller, when that could differ: another thread that is not a
    daemon is still running (the interpreter would wait for it), ``code`` is not a number (the
    interpreter prints it), or the output cannot be flushed (a closed pipe: the interpreter
    reports it), or a profiler or tracer watches the process (``python -m cProfile``,
    coverage: they write their results after the program returns)."""
    if code is not None and not isinstance(code, int):
        return
    if _watched():
        return
    threading = sys.modules.get("threading")
    if threading is not None and any(
        t is not threading.main_thread() and not t.daemon and t.is_alive()
        for t in threading.enumerate()
    ):
        return
    if not _flushed():
        return
    atexit._run_exitfuncs()
    _flushed()
    os._exit(code or 0)


def _flushed() -> bool:
    try:
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:
                stream.flush()
    except (OSError, ValueError):
        return False
    return True


def _watched() -> bool:
    """Whether a profiler or tracer is installed (``sys.setprofile``/``settrace``, or a tool of
    ``sys.monitoring`` on Python 3.12+)."""
    if sys.getprofile() is not None or sys.gettrace() is not None:
        return True
    monitoring = getattr(sys, "monitoring", None)
    return monitoring is not None and any(monitoring.get_tool(i) for i in range(6))

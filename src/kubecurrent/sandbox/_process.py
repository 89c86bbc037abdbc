"""Supervised processes: start detached with a log file, recognise them later, stop them.

A process is recorded by pid *and* start time, so a recycled pid is never mistaken for it.
Each runs in its own session (process group), so stopping it also stops anything it spawned.
"""

from __future__ import annotations

import contextlib
import enum
import os
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import psutil
from pydantic import BaseModel, ConfigDict

# Popen objects of children this process started, so that stopped ones are reaped.
_CHILDREN: dict[int, subprocess.Popen[bytes]] = {}


class ProcessRecord(BaseModel):
    """What identifies a supervised process across runs of kubecurrent."""

    model_config = ConfigDict(frozen=True)

    component: str
    pid: int
    create_time: float
    argv: list[str]
    log: str


def start(
    component: str,
    argv: Sequence[str],
    log: Path,
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> ProcessRecord:
    """Start ``argv`` in its own session, appending stdout and stderr to ``log``."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        proc = subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env=dict(env) if env is not None else None,
            cwd=cwd,
        )
    _CHILDREN[proc.pid] = proc
    try:
        created = psutil.Process(proc.pid).create_time()
    except psutil.NoSuchProcess:
        created = 0.0  # exited at once; alive() reports it dead and the log says why
    return ProcessRecord(
        component=component, pid=proc.pid, create_time=created, argv=list(argv), log=str(log)
    )


def _reap(pid: int) -> None:
    child = _CHILDREN.get(pid)
    if child is not None and child.poll() is not None:
        _CHILDREN.pop(pid, None)  # another thread may have reaped it just now


def alive(record: ProcessRecord) -> bool:
    """True while the recorded process (same pid, same start time) runs and is not a zombie."""
    _reap(record.pid)
    try:
        proc = psutil.Process(record.pid)
        same = abs(proc.create_time() - record.create_time) < 0.01
        return same and proc.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


class Stopped(enum.Enum):
    """How ``stop`` ended a process."""

    NOT_RUNNING = "not-running"
    """It had already exited (or the record names another process now)."""
    TERMINATED = "terminated"
    """It exited on SIGTERM within the grace period."""
    KILLED = "killed"
    """It outlived the grace period and was killed with SIGKILL."""


def stop(record: ProcessRecord, timeout: float = 15.0) -> Stopped:
    """Stop the process and its group: SIGTERM, then SIGKILL after ``timeout`` seconds."""
    if not alive(record):
        return Stopped.NOT_RUNNING
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(record.pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not alive(record):
            return Stopped.TERMINATED
        time.sleep(0.05)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(record.pid, signal.SIGKILL)
    while alive(record):
        time.sleep(0.05)
    return Stopped.KILLED


def rss_bytes(record: ProcessRecord) -> int:
    """Resident memory of the process, or 0 when it is gone."""
    if not alive(record):
        return 0
    try:
        return int(psutil.Process(record.pid).memory_info().rss)
    except psutil.Error:
        return 0


def log_tail(record: ProcessRecord, lines: int = 25) -> str:
    """The last ``lines`` lines of the process's log."""
    path = Path(record.log)
    if not path.is_file():
        return "(no log written)"
    with path.open("rb") as fh:
        fh.seek(0, os.SEEK_END)
        size = fh.tell()
        fh.seek(max(0, size - 64 * 1024))
        text = fh.read().decode(errors="replace")
    return "\n".join(text.splitlines()[-lines:])

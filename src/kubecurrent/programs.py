"""Running external programs (helm, kustomize, git): the one way kubecurrent starts them.

A scanned repository is untrusted input: a directory named ``--post-renderer=./x`` must stay a
path, never become a flag. So a command is built from two parts that never mix:

``args``
    the subcommand and flags, written by kubecurrent's own code. A flag whose value is data is
    passed joined to its flag with ``flag(name, value)`` (``--values=PATH``), so the value can
    never be read as a flag of its own.
``operands``
    data: paths, release and chart names. They are passed after ``--`` (every Go tool kubecurrent
    runs parses flags with cobra/pflag, which ends flags there; git takes ``--end-of-options``), or,
    for a program without such a marker, refused when they start with ``-``. Empty operands and
    NUL bytes are refused: an empty path would silently mean "the current directory".

The program runs in a process group of its own with a timeout. On timeout, Ctrl-C or any other
interruption the whole group is killed (helm's and kustomize's children included) and waited for,
so nothing is left running. A timeout is a ``ProgramTimeout`` naming the program and its limit;
a binary that cannot be started is a ``ProgramMissing``. The exit code is returned as a value
(``Completed``) for the caller to judge.
"""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from kubecurrent.errors import KubecurrentError

__all__ = [
    "Completed",
    "EndOfOptions",
    "ProgramMissing",
    "ProgramTimeout",
    "UnsafeOperand",
    "flag",
    "run_program",
]

_GRACE = 2.0
"""Seconds a timed-out group gets between SIGTERM and SIGKILL."""


class ProgramTimeout(KubecurrentError):
    """An external program ran longer than its limit; its process group was killed."""


class ProgramMissing(KubecurrentError):
    """An external program could not be started (not installed, not executable)."""


class UnsafeOperand(KubecurrentError):
    """An operand that would be read as something other than the data it is."""


class EndOfOptions(Enum):
    """How the program is told that flags end and operands begin."""

    DASHES = "--"
    """cobra/pflag programs (helm, kustomize) and most POSIX tools."""
    GIT = "--end-of-options"
    """git (≥ 2.24), where ``--`` separates revisions from paths instead."""
    NONE = ""
    """No marker: operands starting with ``-`` are refused."""


@dataclass(frozen=True)
class Completed:
    """How a program ended: its exit code and its output (decoded as UTF-8, errors replaced)."""

    argv: tuple[str, ...]
    returncode: int
    stdout_bytes: bytes
    stderr_bytes: bytes

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    @property
    def stdout(self) -> str:
        return self.stdout_bytes.decode("utf-8", errors="replace")

    @property
    def stderr(self) -> str:
        return self.stderr_bytes.decode("utf-8", errors="replace")


def flag(name: str, value: str | os.PathLike[str]) -> str:
    """``--name=value``: a flag with a data value that can never become a flag of its own."""
    if not name.startswith("-") or "=" in name:
        raise ValueError(f"not a flag name: {name!r}")
    text = os.fspath(value)
    _check_text(text, f"the value of {name}")
    return f"{name}={text}"


def run_program(
    binary: str | os.PathLike[str],
    args: Sequence[str],
    operands: Sequence[str | os.PathLike[str]] = (),
    *,
    timeout: float,
    end: EndOfOptions = EndOfOptions.DASHES,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    stdin: bytes | None = None,
    name: str | None = None,
) -> Completed:
    """Run ``binary args [marker] operands`` and return how it ended.

    ``env`` is added to the current environment. ``name`` is how messages call the program
    (default: the binary's file name).
    """
    label = name or Path(os.fspath(binary)).name
    argv = [os.fspath(binary), *args, *_operands(label, operands, end)]
    try:
        proc = subprocess.Popen(
            argv,
            cwd=cwd,
            env={**os.environ, **env} if env is not None else None,
            stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
    except OSError as exc:
        raise ProgramMissing(
            f"cannot run {label} ({argv[0]}): {exc.strerror or exc}",
            hint=f"install {label} or point kubecurrent at it (see --help for the binary flag)",
        ) from None
    try:
        out, err = proc.communicate(stdin, timeout=timeout)
    except subprocess.TimeoutExpired:
        _stop_group(proc)
        raise ProgramTimeout(
            f"{label} did not finish within {timeout:g}s and was stopped",
            hint="check what it waits for (a remote it cannot reach, a lock), or raise the timeout",
        ) from None
    except BaseException:
        _stop_group(proc, grace=0.0)
        raise
    return Completed(tuple(argv), proc.returncode, out, err)


def _operands(
    label: str, operands: Sequence[str | os.PathLike[str]], end: EndOfOptions
) -> list[str]:
    texts = [os.fspath(op) for op in operands]
    for text in texts:
        _check_text(text, f"an argument for {label}")
        if end is EndOfOptions.NONE and text.startswith("-"):
            raise UnsafeOperand(
                f"{text!r} cannot be passed to {label}: it would be read as an option",
                hint="rename it, or refer to a path as ./NAME",
            )
    if not texts or end is EndOfOptions.NONE:
        return texts
    return [end.value, *texts]


def _check_text(text: str, what: str) -> None:
    if text == "":
        raise UnsafeOperand(f"{what} is empty", hint="pass a non-empty path or name")
    if "\0" in text:
        raise UnsafeOperand(f"{what} contains a NUL byte: {text!r}", hint="pass a valid name")


def _stop_group(proc: subprocess.Popen[bytes], grace: float = _GRACE) -> None:
    """TERM, then KILL, the program's whole process group; reap the program."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
        except (ProcessLookupError, PermissionError):
            break
        try:
            proc.wait(timeout=grace if sig is signal.SIGTERM else None)
            if sig is signal.SIGTERM:
                # The leader is gone; children that ignored TERM still get KILL.
                os.killpg(proc.pid, signal.SIGKILL)
            break
        except subprocess.TimeoutExpired:
            continue
        except (ProcessLookupError, PermissionError):
            break
    for stream in (proc.stdout, proc.stderr, proc.stdin):
        if stream is not None:
            stream.close()
    if proc.returncode is None:
        proc.wait()

"""The one runner for external programs: data stays data, nothing is left running."""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time
from pathlib import Path

import psutil
import pytest

from kubecurrent.programs import (
    EndOfOptions,
    ProgramMissing,
    ProgramTimeout,
    UnsafeOperand,
    flag,
    run_program,
)

ECHO_ARGS = [sys.executable, "-c", "import sys, json; print(json.dumps(sys.argv[1:]))"]


def argv_seen(args: list[str], operands: list[str], end: EndOfOptions) -> list[str]:
    done = run_program(ECHO_ARGS[0], [*ECHO_ARGS[1:], *args], operands, timeout=30, end=end)
    assert done.ok, done.stderr
    seen: list[str] = json.loads(done.stdout)
    return seen


def test_operands_follow_the_end_of_options_marker() -> None:
    assert argv_seen(["build"], ["--enable-exec", "./x"], EndOfOptions.DASHES) == [
        "build",
        "--",
        "--enable-exec",
        "./x",
    ]
    assert argv_seen(["rev-parse"], ["-x"], EndOfOptions.GIT) == [
        "rev-parse",
        "--end-of-options",
        "-x",
    ]
    assert argv_seen(["show"], [], EndOfOptions.DASHES) == ["show"]  # no operands, no marker


def test_flag_values_are_joined_so_they_never_stand_alone() -> None:
    assert flag("--values", "--post-renderer=x") == "--values=--post-renderer=x"
    with pytest.raises(ValueError, match="not a flag name"):
        flag("values", "x")
    with pytest.raises(UnsafeOperand, match="the value of --set is empty"):
        flag("--set", "")


@pytest.mark.parametrize(
    ("operand", "end", "message"),
    [
        ("", EndOfOptions.DASHES, "is empty"),
        ("a\0b", EndOfOptions.DASHES, "NUL byte"),
        ("--output=x", EndOfOptions.NONE, "would be read as an option"),
    ],
)
def test_unsafe_operands_are_refused_before_anything_runs(
    operand: str, end: EndOfOptions, message: str, tmp_path: Path
) -> None:
    marker = tmp_path / "ran"
    with pytest.raises(UnsafeOperand, match=message):
        run_program("touch", [], [str(marker), operand], timeout=5, end=end)
    assert not marker.exists()


def test_a_missing_binary_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ProgramMissing) as err:
        run_program(tmp_path / "helm", ["version"], timeout=5)
    assert "cannot run helm" in err.value.message and "install helm" in (err.value.hint or "")


def test_exit_codes_and_output_are_values() -> None:
    done = run_program("sh", ["-c", "printf out; printf err >&2; exit 3"], timeout=5)
    assert (done.returncode, done.ok, done.stdout, done.stderr) == (3, False, "out", "err")


def _sleepers(tmp_path: Path) -> tuple[str, Path]:
    """A shell that starts a grandchild which ignores SIGTERM, and writes its pid."""
    pid_file = tmp_path / "grandchild.pid"
    script = f"sh -c 'trap \"\" TERM; sleep 60' & echo $! > {pid_file}; wait"
    return script, pid_file


def _gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def test_a_timeout_kills_the_whole_process_group(tmp_path: Path) -> None:
    script, pid_file = _sleepers(tmp_path)
    started = time.monotonic()
    with pytest.raises(ProgramTimeout) as err:
        run_program("sh", ["-c", script], timeout=1, name="kustomize")
    assert "kustomize did not finish within 1s" in err.value.message
    assert time.monotonic() - started < 10
    grandchild = int(pid_file.read_text())
    deadline = time.monotonic() + 5
    while not _gone(grandchild) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _gone(grandchild), "a child of the timed-out program is still running"


def test_an_interrupt_kills_the_whole_process_group(tmp_path: Path) -> None:
    script, pid_file = _sleepers(tmp_path)

    def interrupt() -> None:
        while not pid_file.exists() or not pid_file.read_text().strip():
            time.sleep(0.05)
        os.kill(os.getpid(), signal.SIGINT)

    threading.Thread(target=interrupt, daemon=True).start()
    with pytest.raises(KeyboardInterrupt):
        run_program("sh", ["-c", script], timeout=60)
    grandchild = int(pid_file.read_text())
    deadline = time.monotonic() + 5
    while not _gone(grandchild) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _gone(grandchild), "Ctrl-C left a child of the program running"

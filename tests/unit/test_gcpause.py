"""The collector pause: off inside the block, back as it was after it, errors included; the
console script's end without the interpreter's teardown."""

from __future__ import annotations

import gc
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from kubecurrent import gcpause
from kubecurrent.gcpause import collector_paused

pytestmark = pytest.mark.unit


@pytest.fixture(autouse=True)
def restore_collector() -> Iterator[None]:
    was = gc.isenabled()
    yield
    if was:
        gc.enable()
    else:
        gc.disable()


def test_the_collector_is_off_inside_and_on_again_after() -> None:
    gc.enable()
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_an_error_inside_still_switches_it_back_on() -> None:
    gc.enable()
    with pytest.raises(KeyError), collector_paused():
        raise KeyError("x")
    assert gc.isenabled()


def test_a_collector_that_was_off_stays_off() -> None:
    gc.disable()
    with collector_paused():
        assert not gc.isenabled()
    assert not gc.isenabled()


@pytest.fixture
def unfrozen() -> Iterator[None]:
    yield
    gc.unfreeze()
    gcpause._command_ends_process = False


def test_a_command_run_in_process_leaves_nothing_frozen(unfrozen: None) -> None:
    # Tests and programs that run commands in their own process would never free frozen objects.
    before = gc.get_freeze_count()
    gcpause.keep_to_the_end()
    assert gc.get_freeze_count() == before


def test_the_console_script_freezes_what_lives_until_it_exits(unfrozen: None) -> None:
    kept = [[i] for i in range(1000)]  # containers the collector would otherwise walk again
    gcpause.command_ends_process()
    gcpause.keep_to_the_end()
    assert gc.get_freeze_count() >= len(kept)


def _end(body: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """``body`` then the console script's ``main()`` on ``kubecurrent version``, in a fresh
    interpreter; a module-level object says when the interpreter's shutdown frees it."""
    script = tmp_path / "run.py"
    script.write_text(
        "import atexit, sys, threading, time\n"
        "class Noisy:\n"
        "    def __del__(self):\n"
        "        print('freed at shutdown', flush=True)\n"
        "noisy = Noisy()\n"
        f"{body}\n"
        "sys.argv = ['kubecurrent', 'version']\n"
        "from kubecurrent.cli import main\n"
        "main()\n"
    )
    return subprocess.run([sys.executable, str(script)], capture_output=True, text=True)


def test_the_console_script_ends_without_freeing_its_objects_but_runs_exit_handlers(
    tmp_path: Path,
) -> None:
    out = _end("atexit.register(print, 'exit handler ran')", tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[0].startswith("kubecurrent")  # the command's output
    assert "exit handler ran" in out.stdout
    assert "freed at shutdown" not in out.stdout


def test_a_thread_still_running_gets_the_ordinary_shutdown(tmp_path: Path) -> None:
    body = (
        "def late():\n"
        "    time.sleep(0.2)\n"
        "    print('thread finished', flush=True)\n"
        "threading.Thread(target=late).start()"
    )
    out = _end(body, tmp_path)
    assert out.returncode == 0, out.stderr
    assert "thread finished" in out.stdout  # the interpreter waited for it, as it always has


def test_a_command_run_with_arguments_raises_its_exit_to_the_caller() -> None:
    from kubecurrent.cli import main

    before = gc.get_freeze_count()
    with pytest.raises(SystemExit) as exc:
        main(["version"])
    assert exc.value.code in (None, 0)
    assert not gcpause._command_ends_process  # the caller's process goes on: nothing frozen
    assert gc.get_freeze_count() == before


def test_the_console_script_keeps_a_loaded_command_out_of_collector_passes(
    unfrozen: None,
) -> None:
    from kubecurrent.cli._app import load_command

    gc.enable()
    gcpause.command_ends_process()
    before = gc.get_freeze_count()
    load_command("version")
    assert gc.get_freeze_count() > before  # modules, classes, functions: they live to the end
    assert gc.isenabled()


def test_a_profiled_command_ends_normally_so_the_profile_is_written(tmp_path: Path) -> None:
    """``python -m cProfile -o FILE -m kubecurrent …`` writes FILE after the command returns:
    the console script must not end the process first."""
    out = tmp_path / "scan.prof"
    manifest = tmp_path / "cm.yaml"
    manifest.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n")
    argv = [sys.executable, "-m", "cProfile", "-o", str(out), "-m", "kubecurrent"]
    done = subprocess.run(
        [*argv, "scan", "files", str(manifest), "-o", "json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert out.is_file() and out.stat().st_size > 0

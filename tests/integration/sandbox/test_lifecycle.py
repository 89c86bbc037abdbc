"""Sandbox lifecycle and bad input: names, stale runs, ports, failed starts, Ctrl-C."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

from kubecurrent import sandbox as sb
from kubecurrent.errors import ComponentStartError, SandboxStateError
from kubecurrent.sandbox import _cluster, _launch
from tests.integration.conftest import start_sandbox, wait_for

CLI = [sys.executable, "-m", "kubecurrent"]


def pids_of(name: str) -> list[int]:
    state = sb.require(name)
    return [rec.pid for rec in state.processes.values()]


def none_alive(pids: list[int]) -> bool:
    return not any(
        psutil.pid_exists(p) and psutil.Process(p).status() != psutil.STATUS_ZOMBIE for p in pids
    )


def test_up_of_existing_name_and_down_of_unknown_name_are_refused(
    sandbox_home: Path, cluster: object
) -> None:
    with pytest.raises(SandboxStateError, match="already exists") as exists:
        sb.up(sb.UpOptions("shared", "1.36", (sb.parse_pool("default=1", "1.36"),)))
    assert "sandbox down --name shared" in (exists.value.hint or "")
    assert sb.require("shared").phase() == "running"  # the running one was not touched

    with pytest.raises(SandboxStateError, match="no sandbox named 'ghost'"):
        sb.down("ghost")


def test_stale_run_is_detected_and_cleaned_by_up(sandbox_home: Path) -> None:
    start_sandbox(sandbox_home, "stale", pools=("default=1",))
    pids = pids_of("stale")
    for pid in pids:  # as if the machine rebooted
        os.kill(pid, signal.SIGKILL)
    wait_for(lambda: none_alive(pids), "the killed processes to vanish")
    assert sb.require("stale").phase() == "stale"

    listed = subprocess.run(
        [*CLI, "sandbox", "list", "-o", "json"], capture_output=True, text=True, check=True
    )
    assert {"name": "stale", "phase": "stale"}.items() <= next(
        r for r in json.loads(listed.stdout) if r["name"] == "stale"
    ).items()

    start_sandbox(sandbox_home, "stale", pools=("default=1",))
    assert sb.require("stale").phase() == "running"
    sb.down("stale")
    assert "stale" not in sb.names()


def test_a_port_taken_after_allocation_is_avoided(
    sandbox_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    squatter = socket.socket()
    squatter.bind(("127.0.0.1", 0))
    squatter.listen()
    taken = squatter.getsockname()[1]
    real = _launch.free_ports
    calls = []

    def first_call_returns_a_taken_port(count: int) -> list[int]:
        calls.append(count)
        ports = real(count)
        if len(calls) == 1:
            ports[0] = taken  # etcd's client port: etcd will fail to bind it
        return ports

    monkeypatch.setattr(_launch, "free_ports", first_call_returns_a_taken_port)
    try:
        state = sb.up(sb.UpOptions("ports", "1.36", (sb.parse_pool("default=1", "1.36"),)))
        assert len(calls) == 2
        assert taken not in state.ports.values()
        assert state.phase() == "running"
    finally:
        squatter.close()
        if "ports" in sb.names():
            sb.down("ports")


def test_failed_component_start_shows_its_log_and_leaves_nothing(
    sandbox_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = _launch.apiserver_argv
    monkeypatch.setattr(_cluster.run, "apiserver_argv", lambda *a: [*real(*a), "--no-such-flag=1"])
    started: list[int] = []
    real_start = _cluster._process.start

    def record(*args: object, **kwargs: object) -> object:
        rec = real_start(*args, **kwargs)  # type: ignore[arg-type]
        started.append(rec.pid)
        return rec

    monkeypatch.setattr(_cluster._process, "start", record)
    with pytest.raises(ComponentStartError) as failed:
        sb.up(sb.UpOptions("broken", "1.36", (sb.parse_pool("default=1", "1.36"),), timeout=60))
    assert "kube-apiserver exited while starting" in failed.value.message
    assert "unknown flag: --no-such-flag" in failed.value.log_tail
    assert len(started) == 2  # etcd and kube-apiserver
    assert none_alive(started)
    assert "broken" not in sb.names()
    assert not (sandbox_home / "broken").exists()


def test_ctrl_c_during_up_leaves_nothing_running(sandbox_home: Path) -> None:
    env = {**os.environ, "KUBECURRENT_SANDBOX_HOME": str(sandbox_home)}
    proc = subprocess.Popen(
        [*CLI, "sandbox", "up", "--name", "interrupted", "--nodes", "2"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    state_file = sandbox_home / "interrupted" / "state.json"

    def apiserver_started() -> bool:
        try:
            return "kube-apiserver" in json.loads(state_file.read_text())["processes"]
        except (FileNotFoundError, json.JSONDecodeError, KeyError):
            return False

    wait_for(apiserver_started, "up to start kube-apiserver", timeout=60, interval=0.05)
    pids = [p["pid"] for p in json.loads(state_file.read_text())["processes"].values()]
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode != 0
    wait_for(lambda: none_alive(pids), "every process up started to stop", timeout=30)
    assert not (sandbox_home / "interrupted").exists(), err
    assert "interrupted" not in sb.names()


def test_missing_binary_names_itself_and_the_build_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sandbox_home: Path
) -> None:
    monkeypatch.setenv("KUBECURRENT_CACHE_DIR", str(tmp_path / "empty-cache"))
    out = subprocess.run(
        [*CLI, "sandbox", "up", "--name", "nobin", "--version", "1.37"],
        capture_output=True,
        text=True,
        env={**os.environ},
    )
    assert out.returncode == 1
    assert "kube-apiserver v1.37.2 is not built" in out.stderr
    assert "kubecurrent sandbox build --version 1.37" in out.stderr
    assert "nobin" not in sb.names()


def test_upgrade_refuses_a_stopped_sandbox(sandbox_home: Path) -> None:
    start_sandbox(sandbox_home, "halted", pools=("default=1",))
    pids = pids_of("halted")
    os.kill(sb.require("halted").processes["kube-apiserver"].pid, signal.SIGKILL)
    wait_for(lambda: sb.require("halted").phase() == "degraded", "the sandbox to be degraded")
    with pytest.raises(SandboxStateError, match="only a running sandbox can be upgraded"):
        sb.upgrade("halted", "1.37")
    sb.down("halted")
    assert none_alive(pids)

"""Supervised processes are recognised by pid and start time, and stopped with their children."""

from __future__ import annotations

import time
from pathlib import Path

import psutil

from kubecurrent.sandbox import _cluster, _process


def test_start_records_and_stop_ends_the_whole_group(tmp_path: Path) -> None:
    # A shell that starts a grandchild and ignores SIGTERM: stop() must escalate to SIGKILL
    # and take the grandchild with it.
    script = "trap '' TERM; sleep 300 & echo started; wait"
    rec = _process.start("stubborn", ["sh", "-c", script], tmp_path / "stubborn.log")
    deadline = time.monotonic() + 10
    while "started" not in _process.log_tail(rec) and time.monotonic() < deadline:
        time.sleep(0.05)
    children = psutil.Process(rec.pid).children(recursive=True)
    assert _process.alive(rec) and children
    assert _process.stop(rec, timeout=1.0) is _process.Stopped.KILLED
    assert not _process.alive(rec)
    time.sleep(0.2)
    assert not any(c.is_running() and c.status() != psutil.STATUS_ZOMBIE for c in children)


def test_a_recycled_pid_is_not_mistaken_for_the_process(tmp_path: Path) -> None:
    rec = _process.start("sleeper", ["sleep", "30"], tmp_path / "s.log")
    impostor = rec.model_copy(update={"create_time": rec.create_time - 1000})
    assert _process.alive(rec)
    assert not _process.alive(impostor)
    assert _process.stop(impostor) is _process.Stopped.NOT_RUNNING  # the real one untouched
    assert _process.alive(rec)
    assert _process.stop(rec) is _process.Stopped.TERMINATED  # sleep ends on SIGTERM
    assert not _process.alive(rec)
    assert _process.stop(rec) is _process.Stopped.NOT_RUNNING


def test_log_tail_returns_the_last_lines(tmp_path: Path) -> None:
    rec = _process.start("counter", ["sh", "-c", "seq 1 100"], tmp_path / "c.log")
    deadline = time.monotonic() + 10
    while _process.alive(rec) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _process.log_tail(rec, lines=3).splitlines() == ["98", "99", "100"]
    assert _process.rss_bytes(rec) == 0


def test_a_sandbox_stops_the_api_servers_clients_first_and_etcd_last() -> None:
    # After a control-plane upgrade the processes are recorded in this order: etcd, kwok, then
    # the restarted control plane. Stopping must not follow it (the API server would wait on
    # kwok's watches); a component the list does not know goes first.
    recorded = ["etcd", "kwok", "kube-apiserver", "kube-controller-manager", "kube-scheduler"]
    assert _cluster.stop_order([*recorded, "extra"]) == [
        "extra",
        "kwok",
        "kube-scheduler",
        "kube-controller-manager",
        "kube-apiserver",
        "etcd",
    ]

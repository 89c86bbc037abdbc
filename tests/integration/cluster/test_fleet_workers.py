"""A fleet collected in worker processes: the same results as in one process, one cluster's
failure (a timeout, a killed worker) stays its own, and no worker outlives the command.

A cluster that never answers is a loopback socket that listens and never accepts: the kernel
completes the TCP handshake, and the client's TLS hello waits forever.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psutil
import yaml

from kubecurrent.catalog import Catalog
from kubecurrent.collect.cluster import (
    ClusterResult,
    ClusterTarget,
    CollectOptions,
    FleetWorkers,
    collect_fleet,
    inventory_json,
)
from tests.integration.cluster.conftest import TODAY
from tests.integration.conftest import SessionSandbox, guard

OPTS = CollectOptions(today=TODAY)


@contextmanager
def silent_server() -> Iterator[int]:
    """The port of a loopback listener that never accepts (nor answers)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        yield sock.getsockname()[1]


def kubeconfig_to(box: SessionSandbox, port: int, path: Path) -> Path:
    """A copy of ``box``'s kubeconfig whose server is the silent port."""
    config = yaml.safe_load(box.kubeconfig.read_text())
    for entry in config["clusters"]:
        entry["cluster"]["server"] = f"https://127.0.0.1:{port}"
    path.write_text(yaml.safe_dump(config))
    return path


def target(box: SessionSandbox, name: str) -> ClusterTarget:
    guard(box, box.kubeconfig)
    return ClusterTarget(name=name, kubeconfig=box.kubeconfig, context=box.name)


def comparable(result: ClusterResult) -> dict[str, Any]:
    assert result.inventory is not None, result.error
    data = inventory_json(result.inventory)
    del data["collectedAt"]
    return data


def workers_talking_to(parent: psutil.Process, port: int) -> list[psutil.Process]:
    found = []
    for child in parent.children():
        try:
            if any(c.raddr and c.raddr.port == port for c in child.net_connections("tcp")):
                found.append(child)
        except psutil.NoSuchProcess:
            continue
    return found


def wait_for_workers(parent: psutil.Process, port: int, count: int) -> list[psutil.Process]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        found = workers_talking_to(parent, port)
        if len(found) >= count:
            return found
        time.sleep(0.1)
    raise AssertionError(f"no {count} workers of {parent.pid} connected to port {port}")


def gone(process: psutil.Process) -> bool:
    try:
        return process.status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def test_workers_collect_what_one_process_collects(
    cluster: SessionSandbox, cluster131: SessionSandbox, catalog: Catalog
) -> None:
    targets = [target(cluster, "prod"), target(cluster131, "legacy")]

    with FleetWorkers(catalog, OPTS, 2) as workers:
        forked = workers.collect(targets)
    alone = asyncio.run(collect_fleet(targets, catalog, OPTS))

    assert [r.target for r in forked] == targets
    assert [comparable(r) for r in forked] == [comparable(r) for r in alone]
    assert forked[1].inventory is not None
    assert forked[1].inventory.control_plane.minor == 31


WORKER_IMPORTS = """
import asyncio, sys
from pathlib import Path
from kubecurrent.catalog import load_catalog
from kubecurrent.collect.cluster import ClusterTarget, CollectOptions
from kubecurrent.collect.cluster._fleet import collect_one
from kubecurrent.collect.cluster._workers import _preload

catalog = load_catalog()
_preload()
before = set(sys.modules)
target = ClusterTarget(name="c", kubeconfig=Path(sys.argv[1]), context=sys.argv[2])
result = asyncio.run(collect_one(target, catalog, CollectOptions()))
print(result.error or "collected")
print(" ".join(sorted(set(sys.modules) - before)))
"""


def test_a_worker_collects_with_what_the_parent_imported_before_the_fork(
    cluster: SessionSandbox,
) -> None:
    """Every module a collection imports on first use is imported before the workers are
    forked: none is imported again in each worker."""
    guard(cluster, cluster.kubeconfig)
    args = [sys.executable, "-c", WORKER_IMPORTS, str(cluster.kubeconfig), cluster.name]
    done = subprocess.run(args, capture_output=True, text=True, timeout=120, check=True)

    outcome, imported = done.stdout.split("\n")[:2]
    assert outcome == "collected"
    assert imported == "", f"imported after the fork: {imported}"


def test_a_cluster_that_never_answers_times_out_alone(
    cluster: SessionSandbox, catalog: Catalog, tmp_path: Path
) -> None:
    seen: list[tuple[str, str]] = []
    with silent_server() as port:
        config = kubeconfig_to(cluster, port, tmp_path / "silent.kubeconfig")
        silent = ClusterTarget(name="silent", kubeconfig=config, context=cluster.name, timeout=3)
        with FleetWorkers(catalog, OPTS, 2) as workers:
            results = workers.collect(
                [silent, target(cluster, "prod")], lambda t, what: seen.append((t.name, what))
            )

    assert results[0].error == "timed out after 3s"
    assert results[1].ok, results[1].error
    assert ("silent", "failed") in seen and ("prod", "done") in seen


def test_a_killed_worker_fails_its_cluster_and_the_others_go_on(
    cluster: SessionSandbox, cluster131: SessionSandbox, catalog: Catalog, tmp_path: Path
) -> None:
    with silent_server() as port:
        config = kubeconfig_to(cluster, port, tmp_path / "silent.kubeconfig")
        silent = ClusterTarget(name="silent", kubeconfig=config, context=cluster.name)
        fleet = [silent, target(cluster, "prod"), target(cluster131, "legacy")]
        with FleetWorkers(catalog, OPTS, 2) as workers:
            victims: list[psutil.Process] = []

            def kill_the_silent_ones_worker() -> None:
                victims.extend(wait_for_workers(psutil.Process(), port, 1))
                for victim in victims:
                    victim.kill()

            # started after the fork, so that no worker copies the thread
            killer = threading.Thread(target=kill_the_silent_ones_worker)
            killer.start()
            results = workers.collect(fleet)
            killer.join()

    assert len(victims) == 1
    assert results[0].error == "its worker process died (killed by signal 9)"
    assert results[1].ok and results[2].ok  # legacy went to the surviving worker


SCAN = [sys.executable, "-m", "kubecurrent", "scan", "cluster"]


def run_fleet_scan(fleet: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [*SCAN, "--fleet", str(fleet), "--workers", "2"],  # workers on any number of cores
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group, as a terminal's foreground job
    )


def silent_fleet(box: SessionSandbox, port: int, tmp_path: Path) -> Path:
    config = kubeconfig_to(box, port, tmp_path / "silent.kubeconfig")
    entries = [
        {"name": f"silent-{i}", "kubeconfig": str(config), "context": box.name} for i in (1, 2)
    ]
    path = tmp_path / "fleet.yaml"
    path.write_text(yaml.safe_dump({"defaults": {"timeout": 120}, "clusters": entries}))
    return path


def test_no_worker_outlives_a_killed_command(cluster: SessionSandbox, tmp_path: Path) -> None:
    with silent_server() as port:
        proc = run_fleet_scan(silent_fleet(cluster, port, tmp_path))
        try:
            workers = wait_for_workers(psutil.Process(proc.pid), port, 2)
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
            psutil.wait_procs(workers, timeout=10)
            assert all(gone(w) for w in workers), [w.pid for w in workers if not gone(w)]
        finally:
            if proc.poll() is None:
                proc.kill()


def test_ctrl_c_stops_the_command_and_its_workers(cluster: SessionSandbox, tmp_path: Path) -> None:
    with silent_server() as port:
        proc = run_fleet_scan(silent_fleet(cluster, port, tmp_path))
        try:
            workers = wait_for_workers(psutil.Process(proc.pid), port, 2)
            os.killpg(proc.pid, signal.SIGINT)  # what a terminal sends to the foreground job
            assert proc.wait(timeout=30) != 0
            psutil.wait_procs(workers, timeout=10)
            assert all(gone(w) for w in workers), [w.pid for w in workers if not gone(w)]
        finally:
            if proc.poll() is None:
                proc.kill()

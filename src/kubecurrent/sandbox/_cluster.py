"""Bring a sandbox up, stop it, upgrade its control plane, and report on it.

``up`` records each process in ``state.json`` as soon as it starts, so a run that is killed
half-way is found as stale later; on any failure or Ctrl-C it stops what it started and
removes the run directory.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from lightkube import Client, KubeConfig

from kubecurrent.collect.decoding import prepare_decoders
from kubecurrent.errors import ComponentStartError, SandboxStateError
from kubecurrent.sandbox import _launch as run
from kubecurrent.sandbox import _nodes, _process
from kubecurrent.sandbox._build import binary_path, kube_binary
from kubecurrent.sandbox._components import ETCD, KWOK, kubernetes
from kubecurrent.sandbox._control_plane import (
    CONTROL_PLANE,
    component_kubeconfig,
    start,
    start_control_plane,
    write_pki,
)
from kubecurrent.sandbox._paths import DATA_DIR
from kubecurrent.sandbox._state import NodePool, SandboxState, load, locked, require, run_dir, save

_PORT_ATTEMPTS = 3
_PORT_TAKEN = "address already in use"


@dataclass(frozen=True)
class UpOptions:
    name: str
    version: str  # a minor, e.g. "1.36"
    pools: tuple[NodePool, ...]
    fleet: str | None = None
    timeout: float = 180.0
    token_webhook_config: Path | None = None  # see SandboxState.token_webhook_config
    runtime_config: tuple[str, ...] = ()  # see SandboxState.runtime_config


def _check_binaries(version: str) -> None:
    for name in CONTROL_PLANE:
        kube_binary(version, name)
    binary_path(ETCD, "etcd")
    binary_path(KWOK, "kwok")


def admin_client(name: str) -> Client:
    """A lightkube client for the sandbox, authenticated as its admin."""
    prepare_decoders()  # several threads may decode with their own clients
    return Client(KubeConfig.from_file(run_dir(name) / "kubeconfig"), field_manager="kubecurrent")


def up(opts: UpOptions) -> SandboxState:
    """Start a sandbox: PKI, etcd, API server, controller-manager, scheduler, kwok, nodes."""
    component = kubernetes(opts.version)
    _check_binaries(opts.version)
    existing = load(opts.name)
    if existing is not None:
        if existing.phase() != "stale":
            raise SandboxStateError(
                f"a sandbox named {opts.name!r} already exists ({existing.phase()}, "
                f"Kubernetes {existing.version})",
                hint=f"stop it with `kubecurrent sandbox down --name {opts.name}` or choose "
                "another --name",
            )
        _remove(existing)  # a stale run: nothing of it runs any more
    with locked(opts.name) as directory:
        for attempt in range(1, _PORT_ATTEMPTS + 1):
            state = SandboxState(
                name=opts.name,
                version=component.version,
                fleet=opts.fleet,
                created=dt.datetime.now(dt.UTC),
                ports=dict(zip(run.PORT_NAMES, run.free_ports(len(run.PORT_NAMES)), strict=True)),
                pools=list(opts.pools),
                token_webhook_config=opts.token_webhook_config,
                runtime_config=list(opts.runtime_config),
            )
            try:
                _bring_up(state, directory, opts.timeout)
                return state
            except ComponentStartError as exc:
                _teardown(state, directory)
                # Another process took a port between our check and the component's bind:
                # try again on fresh ports.
                if _PORT_TAKEN not in exc.log_tail or attempt == _PORT_ATTEMPTS:
                    raise
                directory.mkdir(parents=True)
            except BaseException:
                _teardown(state, directory)
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def _bring_up(state: SandboxState, directory: Path, timeout: float) -> None:
    write_pki(directory)
    save(state)
    etcd = start(
        state,
        directory,
        "etcd",
        run.etcd_argv(binary_path(ETCD, "etcd"), directory / "etcd", state.ports, state.name),
    )
    run.wait_ready(
        etcd,
        f"http://127.0.0.1:{state.ports['etcd']}/health",
        verify=False,
        timeout=timeout,
        accept=lambda r: r.status_code == 200 and "true" in r.text,
    )
    component_kubeconfig(directory, state, "admin")
    start_control_plane(state, directory, timeout)
    kwok_home = directory / "kwok-home"  # kwok reads ~/.kwok/kwok.yaml: keep it isolated
    kwok_home.mkdir()
    start(
        state,
        directory,
        "kwok",
        run.kwok_argv(
            binary_path(KWOK, "kwok"),
            component_kubeconfig(directory, state, "kwok"),
            DATA_DIR / "kwok-stages.yaml",
        ),
        env={**os.environ, "HOME": str(kwok_home)},
    )
    client = admin_client(state.name)
    for pool in state.pools:
        _nodes.create_pool(client, pool)
    _nodes.wait_nodes_ready(client, sum(p.count for p in state.pools), timeout)
    _nodes.wait_default_service_account(client, timeout)
    state.events.append(f"{_now()} up at {state.version}")
    save(state)


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


_STOP_ORDER = ("kwok", "kube-scheduler", "kube-controller-manager", "kube-apiserver", "etcd")
"""Clients of the API server first, the server next, etcd last (an upgrade restarts the control
plane after kwok, so the order the processes were recorded in is not this one)."""


def stop_order(components: Iterable[str]) -> list[str]:
    """``components`` in the order to stop them (any not named above first)."""
    return sorted(components, key=lambda c: _STOP_ORDER.index(c) if c in _STOP_ORDER else -1)


def _teardown(state: SandboxState, directory: Path) -> None:
    for name in stop_order(state.processes):
        _process.stop(state.processes[name])
    shutil.rmtree(directory, ignore_errors=True)


def _remove(state: SandboxState) -> None:
    with locked(state.name) as directory:
        _teardown(state, directory)


def down(name: str) -> SandboxState:
    """Stop exactly the processes ``up`` started for ``name`` and remove its run directory."""
    state = require(name)
    _remove(state)
    return state

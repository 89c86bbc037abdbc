"""Bring a sandbox up, stop it, upgrade its control plane, and report on it.

``up`` records each process in ``state.json`` as soon as it starts, so a run that is killed
half-way is found as stale later; on any failure or Ctrl-C it stops what it started and
removes the run directory.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
from lightkube import Client, KubeConfig

from kubecurrent.errors import ComponentStartError, SandboxStateError, UsageError
from kubecurrent.model import KubeVersion, MinorVersion
from kubecurrent.sandbox import _components_run as run
from kubecurrent.sandbox import _kubeconfig, _nodes, _process
from kubecurrent.sandbox._build import binary_path, kube_binary
from kubecurrent.sandbox._components import ETCD, KWOK, kubernetes
from kubecurrent.sandbox._paths import DATA_DIR
from kubecurrent.sandbox._pki import CertificateAuthority, KeyPair, service_account_key
from kubecurrent.sandbox._state import NodePool, SandboxState, load, locked, require, run_dir, save

_PORT_ATTEMPTS = 3
_PORT_TAKEN = "address already in use"
CONTROL_PLANE = ("kube-apiserver", "kube-controller-manager", "kube-scheduler")
# Identities the components authenticate as: (file stem, user, groups).
_IDENTITIES = (
    ("admin", "kubecurrent-admin", ("system:masters",)),
    ("kube-controller-manager", "system:kube-controller-manager", ()),
    ("kube-scheduler", "system:kube-scheduler", ()),
    ("kwok", "kwok-controller", ("system:masters",)),
)


@dataclass(frozen=True)
class UpOptions:
    name: str
    version: str  # a minor, e.g. "1.36"
    pools: tuple[NodePool, ...]
    fleet: str | None = None
    timeout: float = 180.0


def _write_pki(directory: Path) -> None:
    pki = directory / "pki"
    pki.mkdir(parents=True)
    ca = CertificateAuthority.create(f"kubecurrent-sandbox-{directory.name}")
    ca.pair.write(pki, "ca")
    ca.issue(
        "kube-apiserver",
        dns_names=(
            "localhost",
            "kubernetes",
            "kubernetes.default",
            "kubernetes.default.svc",
            "kubernetes.default.svc.cluster.local",
        ),
        ips=("127.0.0.1", "10.96.0.1"),
        server=True,
    ).write(pki, "apiserver")
    sa = service_account_key()
    (pki / "sa.pub").write_bytes(sa.cert_pem)
    (pki / "sa.key").touch(mode=0o600)
    (pki / "sa.key").write_bytes(sa.key_pem)
    for stem, user, groups in _IDENTITIES:
        ca.issue(user, organizations=groups).write(pki, stem)


def _component_kubeconfig(directory: Path, state: SandboxState, stem: str) -> Path:
    pki = directory / "pki"
    pair = _pki_pair(pki, stem)
    config = _kubeconfig.render(
        state.name,
        state.server,
        (pki / "ca.crt").read_bytes(),
        _kubeconfig.Credentials("admin" if stem == "admin" else stem, pair),
    )
    target = directory / "kubeconfig" if stem == "admin" else pki / f"{stem}.kubeconfig"
    return _kubeconfig.write(target, config)


def _pki_pair(pki: Path, stem: str) -> KeyPair:
    return KeyPair((pki / f"{stem}.crt").read_bytes(), (pki / f"{stem}.key").read_bytes())


def _start(
    state: SandboxState,
    directory: Path,
    component: str,
    argv: list[str],
    env: dict[str, str] | None = None,
) -> _process.ProcessRecord:
    record = _process.start(component, argv, directory / "logs" / f"{component}.log", env=env)
    state.processes[component] = record
    save(state)
    return record


def _start_control_plane(state: SandboxState, directory: Path, timeout: float) -> None:
    pki = directory / "pki"
    minor = str(KubeVersion.parse(state.version).minor_version)
    tls = run.client_tls(pki)
    api = _start(
        state,
        directory,
        "kube-apiserver",
        run.apiserver_argv(kube_binary(minor, "kube-apiserver"), pki, state.ports),
    )
    run.wait_ready(api, f"{state.server}/readyz", verify=tls, timeout=timeout)
    cm = _start(
        state,
        directory,
        "kube-controller-manager",
        run.controller_manager_argv(
            kube_binary(minor, "kube-controller-manager"),
            pki,
            state.ports,
            _component_kubeconfig(directory, state, "kube-controller-manager"),
        ),
    )
    sched = _start(
        state,
        directory,
        "kube-scheduler",
        run.scheduler_argv(
            kube_binary(minor, "kube-scheduler"),
            state.ports,
            _component_kubeconfig(directory, state, "kube-scheduler"),
        ),
    )
    for record, port in ((cm, "controller_manager"), (sched, "scheduler")):
        url = f"https://127.0.0.1:{state.ports[port]}/healthz"
        run.wait_ready(record, url, verify=False, timeout=timeout)


def _check_binaries(version: str) -> None:
    for name in CONTROL_PLANE:
        kube_binary(version, name)
    binary_path(ETCD, "etcd")
    binary_path(KWOK, "kwok")


def admin_client(name: str) -> Client:
    """A lightkube client for the sandbox, authenticated as its admin."""
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
    _write_pki(directory)
    save(state)
    etcd = _start(
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
    _component_kubeconfig(directory, state, "admin")
    _start_control_plane(state, directory, timeout)
    kwok_home = directory / "kwok-home"  # kwok reads ~/.kwok/kwok.yaml: keep it isolated
    kwok_home.mkdir()
    _start(
        state,
        directory,
        "kwok",
        run.kwok_argv(
            binary_path(KWOK, "kwok"),
            _component_kubeconfig(directory, state, "kwok"),
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


def _teardown(state: SandboxState, directory: Path) -> None:
    # kwok first (it writes through the API server), etcd last.
    for name in reversed(list(state.processes)):
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


def upgrade(name: str, version: str, timeout: float = 180.0) -> SandboxState:
    """Restart the control plane on the next minor's binaries over the same etcd data."""
    state = require(name)
    current = KubeVersion.parse(state.version)
    target_minor = MinorVersion.parse(version)
    if current.minor_version.distance(target_minor) != 1:
        raise UsageError(
            f"cannot upgrade sandbox {name!r} from {current} to {target_minor}: the control "
            "plane moves one minor at a time, forward only",
            hint=f"upgrade to {current.minor_version.offset(1)} first"
            if target_minor > current.minor_version
            else "create a new sandbox at the older version instead",
        )
    if state.phase() != "running":
        raise SandboxStateError(
            f"sandbox {name!r} is {state.phase()}; only a running sandbox can be upgraded",
            hint=f"recreate it: `kubecurrent sandbox down --name {name}` then `up`",
        )
    target = kubernetes(str(target_minor))
    for binary in CONTROL_PLANE:
        kube_binary(str(target_minor), binary)
    with locked(name) as directory:
        for component in reversed(CONTROL_PLANE):  # stop scheduler and manager, then the server
            _process.stop(state.processes.pop(component))
        save(state)
        previous = state.version
        state.version = target.version
        _start_control_plane(state, directory, timeout)
        served = server_version(state)
        if served != target.version:
            raise SandboxStateError(
                f"after the upgrade the API server reports {served}, expected {target.version}",
                hint="the cached binaries may be stale: run `kubecurrent sandbox build --force`",
            )
        state.events.append(f"{_now()} upgraded {previous} -> {target.version}")
        save(state)
    return state


def server_version(state: SandboxState) -> str:
    """``gitVersion`` from the live API server's ``/version``."""
    tls = run.client_tls(run_dir(state.name) / "pki")
    response = httpx.get(f"{state.server}/version", verify=tls, timeout=5.0)
    response.raise_for_status()
    return str(response.json()["gitVersion"])


def wait_gone(state: SandboxState, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not any(state.liveness().values()):
            return True
        time.sleep(0.1)
    return False

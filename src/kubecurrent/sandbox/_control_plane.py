"""The control plane of a sandbox: its identities and certificates, and starting its components."""

from __future__ import annotations

from pathlib import Path

import httpx

from kubecurrent.model import KubeVersion
from kubecurrent.sandbox import _kubeconfig, _process
from kubecurrent.sandbox import _launch as run
from kubecurrent.sandbox._build import kube_binary
from kubecurrent.sandbox._pki import CertificateAuthority, KeyPair, service_account_key
from kubecurrent.sandbox._state import SandboxState, run_dir, save

CONTROL_PLANE = ("kube-apiserver", "kube-controller-manager", "kube-scheduler")
# Identities the components authenticate as: (file stem, user, groups).
_IDENTITIES = (
    ("admin", "kubecurrent-admin", ("system:masters",)),
    ("kube-controller-manager", "system:kube-controller-manager", ()),
    ("kube-scheduler", "system:kube-scheduler", ()),
    ("kwok", "kwok-controller", ("system:masters",)),
)


def write_pki(directory: Path) -> None:
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


def component_kubeconfig(directory: Path, state: SandboxState, stem: str) -> Path:
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


def start(
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


def apiserver_command(binary: Path, pki: Path, state: SandboxState) -> list[str]:
    """The API server's command line, with the state's opt-in token webhook and API versions."""
    argv = run.apiserver_argv(binary, pki, state.ports)
    if state.token_webhook_config is not None:
        argv += run.token_webhook_argv(state.token_webhook_config)
    if state.runtime_config:
        argv.append("--runtime-config=" + ",".join(f"{gv}=true" for gv in state.runtime_config))
    return argv


def start_control_plane(state: SandboxState, directory: Path, timeout: float) -> None:
    pki = directory / "pki"
    minor = str(KubeVersion.parse(state.version).minor_version)
    tls = run.client_tls(pki)
    api = start(
        state,
        directory,
        "kube-apiserver",
        apiserver_command(kube_binary(minor, "kube-apiserver"), pki, state),
    )
    run.wait_ready(api, f"{state.server}/readyz", verify=tls, timeout=timeout)
    cm = start(
        state,
        directory,
        "kube-controller-manager",
        run.controller_manager_argv(
            kube_binary(minor, "kube-controller-manager"),
            pki,
            state.ports,
            component_kubeconfig(directory, state, "kube-controller-manager"),
        ),
    )
    sched = start(
        state,
        directory,
        "kube-scheduler",
        run.scheduler_argv(
            kube_binary(minor, "kube-scheduler"),
            state.ports,
            component_kubeconfig(directory, state, "kube-scheduler"),
        ),
    )
    for record, port in ((cm, "controller_manager"), (sched, "scheduler")):
        url = f"https://127.0.0.1:{state.ports[port]}/healthz"
        run.wait_ready(record, url, verify=False, timeout=timeout)


def server_version(state: SandboxState) -> str:
    """``gitVersion`` from the live API server's ``/version``."""
    tls = run.client_tls(run_dir(state.name) / "pki")
    response = httpx.get(f"{state.server}/version", verify=tls, timeout=5.0)
    response.raise_for_status()
    return str(response.json()["gitVersion"])

"""Command lines of the control-plane components and how to tell that each is ready.

Flags follow what upstream's own test harnesses use for a loopback control plane: the API
server advertises 127.0.0.1 with the endpoint reconciler off (a loopback address is not a valid
``kubernetes`` Endpoints address), RBAC with the Node authorizer, and the default admission
plugins; controller-manager and scheduler run without leader election on their own ports.
The API server ends its watches when told to stop (``--shutdown-watch-termination-grace-period``,
https://kubernetes.io/docs/reference/command-line-tools-reference/kube-apiserver/), so a
control-plane swap under a running kwok takes about a second, not a kill after a timeout.
"""

from __future__ import annotations

import random
import socket
import ssl
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from kubecurrent.errors import ComponentStartError
from kubecurrent.sandbox._process import ProcessRecord, alive, log_tail

SERVICE_CIDR = "10.96.0.0/16"
POD_CIDR = "10.244.0.0/16"
PORT_NAMES = ("etcd", "etcd_peer", "apiserver", "controller_manager", "scheduler")


_PORT_RANGE = Path("/proc/sys/net/ipv4/ip_local_port_range")
_LOWEST_PORT = 20000


def _ephemeral_start() -> int:
    """Where the kernel's ephemeral ports (local ports of outgoing connections) begin."""
    try:
        return int(_PORT_RANGE.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768  # Linux's default; below macOS's and Windows' 49152 as well


def free_ports(count: int) -> list[int]:
    """``count`` distinct loopback ports that nothing uses right now, below the ephemeral range.

    A component restarted by an upgrade binds its port again. A port from the ephemeral range can
    meanwhile become the local end of any outgoing connection on the machine, and the restart then
    fails with "address already in use"; ports below that range are never handed out that way.
    """
    top = _ephemeral_start()
    if top - _LOWEST_PORT < 1000:
        return _kernel_ports(count)  # an unusual range: let the kernel choose
    ports: list[int] = []
    pick = random.SystemRandom()
    while len(ports) < count:
        port = pick.randrange(_LOWEST_PORT, top)
        if port not in ports and _bindable(port):
            ports.append(port)
    return ports


def _bindable(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _kernel_ports(count: int) -> list[int]:
    sockets, ports = [], []
    try:
        for _ in range(count):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            sockets.append(s)
            ports.append(s.getsockname()[1])
    finally:
        for s in sockets:
            s.close()
    return ports


def etcd_argv(binary: Path, data: Path, ports: dict[str, int], name: str) -> list[str]:
    client = f"http://127.0.0.1:{ports['etcd']}"
    peer = f"http://127.0.0.1:{ports['etcd_peer']}"
    return [
        str(binary),
        f"--name={name}",
        f"--data-dir={data}",
        f"--listen-client-urls={client}",
        f"--advertise-client-urls={client}",
        f"--listen-peer-urls={peer}",
        f"--initial-advertise-peer-urls={peer}",
        f"--initial-cluster={name}={peer}",
        "--unsafe-no-fsync=true",  # a sandbox trades durability on power loss for speed
        "--quota-backend-bytes=4294967296",
        "--log-level=warn",
    ]


def apiserver_argv(binary: Path, pki: Path, ports: dict[str, int]) -> list[str]:
    return [
        str(binary),
        f"--etcd-servers=http://127.0.0.1:{ports['etcd']}",
        "--bind-address=127.0.0.1",
        f"--secure-port={ports['apiserver']}",
        "--advertise-address=127.0.0.1",
        "--endpoint-reconciler-type=none",
        f"--cert-dir={pki}",
        f"--tls-cert-file={pki / 'apiserver.crt'}",
        f"--tls-private-key-file={pki / 'apiserver.key'}",
        f"--client-ca-file={pki / 'ca.crt'}",
        "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
        f"--service-account-key-file={pki / 'sa.pub'}",
        f"--service-account-signing-key-file={pki / 'sa.key'}",
        "--authorization-mode=Node,RBAC",
        f"--service-cluster-ip-range={SERVICE_CIDR}",
        "--allow-privileged=true",
        # On SIGTERM, end open watches (kwok's, the controllers') within 2 s instead of waiting
        # for them: without it the server outlives every stop's grace period while kwok watches.
        "--shutdown-watch-termination-grace-period=2s",
    ]


def token_webhook_argv(config: Path) -> list[str]:
    """Flags adding a webhook token authenticator (TokenReview v1) beside client certificates."""
    return [
        f"--authentication-token-webhook-config-file={config}",
        "--authentication-token-webhook-version=v1",
    ]


def _component_common(kubeconfig: Path, port: int) -> list[str]:
    return [
        f"--kubeconfig={kubeconfig}",
        f"--authentication-kubeconfig={kubeconfig}",
        f"--authorization-kubeconfig={kubeconfig}",
        "--leader-elect=false",
        "--bind-address=127.0.0.1",
        f"--secure-port={port}",
    ]


def controller_manager_argv(
    binary: Path, pki: Path, ports: dict[str, int], kubeconfig: Path
) -> list[str]:
    return [
        str(binary),
        *_component_common(kubeconfig, ports["controller_manager"]),
        "--use-service-account-credentials=true",
        f"--service-account-private-key-file={pki / 'sa.key'}",
        f"--root-ca-file={pki / 'ca.crt'}",
        f"--cluster-signing-cert-file={pki / 'ca.crt'}",
        f"--cluster-signing-key-file={pki / 'ca.key'}",
        f"--service-cluster-ip-range={SERVICE_CIDR}",
    ]


def scheduler_argv(binary: Path, ports: dict[str, int], kubeconfig: Path) -> list[str]:
    return [str(binary), *_component_common(kubeconfig, ports["scheduler"])]


def kwok_argv(binary: Path, kubeconfig: Path, stages: Path) -> list[str]:
    return [
        str(binary),
        f"--kubeconfig={kubeconfig}",
        f"--config={stages}",
        "--manage-all-nodes=false",
        "--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake",
        "--node-lease-duration-seconds=40",
        f"--cidr={POD_CIDR}",
        "--node-ip=10.1.0.1",
    ]


def client_tls(pki: Path, user: str = "admin") -> ssl.SSLContext:
    """TLS settings to talk to the sandbox's API server as ``user`` (a cert under pki/)."""
    ctx = ssl.create_default_context(cafile=str(pki / "ca.crt"))
    ctx.load_cert_chain(str(pki / f"{user}.crt"), str(pki / f"{user}.key"))
    return ctx


def _probe(
    url: str, verify: ssl.SSLContext | bool, accept: Callable[[httpx.Response], bool]
) -> bool:
    try:
        return accept(httpx.get(url, verify=verify, timeout=2.0))
    except httpx.HTTPError:
        return False


def wait_ready(
    record: ProcessRecord,
    url: str,
    *,
    verify: ssl.SSLContext | bool,
    timeout: float,
    accept: Callable[[httpx.Response], bool] = lambda r: r.status_code == 200,
) -> None:
    """Poll ``url`` until it answers; fail with the component's log tail if it exits or stalls."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not alive(record):
            raise ComponentStartError(
                f"{record.component} exited while starting (log: {record.log})",
                log_tail=log_tail(record),
                hint="read the log lines below; a port taken by another process or a broken "
                "binary are the usual causes",
            )
        if _probe(url, verify, accept):
            return
        time.sleep(0.25)
    raise ComponentStartError(
        f"{record.component} did not become ready within {timeout:.0f}s at {url} "
        f"(log: {record.log})",
        log_tail=log_tail(record),
        hint="the machine may be overloaded; retry with a longer --timeout, or read the log",
    )

"""Simulated node pools: parsing ``NAME=COUNT@KUBELET_VERSION`` and creating kwok nodes."""

from __future__ import annotations

import re
import time
from typing import Any

from lightkube import Client, codecs
from lightkube.core.exceptions import ApiError
from lightkube.resources.core_v1 import Node, ServiceAccount

from kubecurrent.errors import SandboxError, UsageError
from kubecurrent.model import KubeVersion
from kubecurrent.sandbox._state import NodePool

POOL_LABEL = "kubecurrent.dev/node-pool"
KWOK_ANNOTATION = ("kwok.x-k8s.io/node", "fake")
_POOL_RE = re.compile(
    r"^(?P<name>[a-z0-9]([a-z0-9-]*[a-z0-9])?)=(?P<count>\d+)(@(?P<version>.+))?$"
)


def parse_pool(spec: str, default_version: str) -> NodePool:
    """Parse ``workers=3@1.34.2`` (the version defaults to the control plane's)."""
    m = _POOL_RE.match(spec)
    if not m:
        raise UsageError(
            f"--pool {spec!r} is not NAME=COUNT@KUBELET_VERSION",
            hint="for example --pool workers=3@1.34.2 or --pool infra=2 (kubelet at the "
            "control-plane version)",
        )
    try:
        version = KubeVersion.parse(m["version"] or default_version)
    except UsageError as exc:
        raise UsageError(f"--pool {spec!r}: {exc.message}", hint=exc.hint) from None
    count = int(m["count"])
    if count > 5000:
        raise UsageError(f"--pool {spec!r}: at most 5000 nodes per pool")
    return NodePool(name=m["name"], count=count, kubelet_version=str(version))


def node_manifest(pool: NodePool, index: int) -> dict[str, Any]:
    """A Node object for kwok to manage, reporting ``pool.kubelet_version``."""
    name = f"{pool.name}-{index}"
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "annotations": {
                KWOK_ANNOTATION[0]: KWOK_ANNOTATION[1],
                "node.alpha.kubernetes.io/ttl": "0",
            },
            "labels": {
                POOL_LABEL: pool.name,
                "kubernetes.io/hostname": name,
                "kubernetes.io/os": "linux",
                "kubernetes.io/arch": "amd64",
                "node.kubernetes.io/instance-type": "kwok.simulated",
                "topology.kubernetes.io/zone": f"zone-{'abc'[index % 3]}",
                "type": "kwok",
            },
        },
        "spec": {},
        "status": {
            "nodeInfo": {
                "kubeletVersion": pool.kubelet_version,
                "architecture": "amd64",
                "operatingSystem": "linux",
                "osImage": "Simulated Linux",
                "kernelVersion": "6.1.0-simulated",
                "containerRuntimeVersion": "containerd://2.1.0",
                "kubeProxyVersion": "",
                "bootID": "",
                "machineID": "",
                "systemUUID": "",
            },
            "allocatable": {"cpu": "32", "memory": "128Gi", "pods": "110"},
            "capacity": {"cpu": "32", "memory": "128Gi", "pods": "110"},
        },
    }


def create_pool(client: Client, pool: NodePool) -> list[str]:
    """Create the pool's nodes; returns their names."""
    created = []
    for i in range(pool.count):
        node = codecs.from_dict(node_manifest(pool, i))
        try:
            client.create(node)
        except ApiError as exc:
            raise SandboxError(
                f"could not create node {pool.name}-{i}: {exc.status.message}",
                hint="check the API server log with `kubecurrent sandbox status`",
            ) from exc
        created.append(f"{pool.name}-{i}")
    return created


def _ready(node: Node) -> bool:
    conditions = (node.status.conditions if node.status else None) or []
    return any(c.type == "Ready" and c.status == "True" for c in conditions)


def wait_nodes_ready(client: Client, expected: int, timeout: float) -> None:
    """Wait until ``expected`` kwok-managed nodes report Ready."""
    deadline = time.monotonic() + timeout
    ready = 0
    while time.monotonic() < deadline:
        ready = sum(1 for n in client.list(Node, labels={POOL_LABEL: None}) if _ready(n))
        if ready >= expected:
            return
        time.sleep(0.3)
    raise SandboxError(
        f"only {ready} of {expected} simulated nodes became Ready within {timeout:.0f}s",
        hint="kwok may have failed: read logs/kwok.log in the sandbox's run directory",
    )


def wait_default_service_account(client: Client, timeout: float) -> None:
    """Pods can only be created once the controller-manager made the ``default`` SA."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            client.get(ServiceAccount, "default", namespace="default")
            return
        except ApiError:
            time.sleep(0.3)
    raise SandboxError(
        f"the controller-manager did not create the default ServiceAccount in {timeout:.0f}s",
        hint="read logs/kube-controller-manager.log in the sandbox's run directory",
    )

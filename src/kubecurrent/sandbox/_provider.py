"""The sandbox as an execution provider: real control-plane swaps and kwok node pools.

Implements ``kubecurrent.execute``'s ``ControlPlaneProvider`` and ``NodePoolProvider``
structurally; the CLI injects it when the cluster is a sandbox.
"""

from __future__ import annotations

from dataclasses import dataclass

from lightkube import codecs
from lightkube.core.exceptions import ApiError
from lightkube.resources.core_v1 import Node

from kubecurrent.errors import SandboxError
from kubecurrent.execute import PermanentStepError, RetryableStepError
from kubecurrent.model import KubeVersion
from kubecurrent.sandbox._cluster import admin_client
from kubecurrent.sandbox._nodes import POOL_LABEL, node_manifest
from kubecurrent.sandbox._state import NodePool, load, names, save
from kubecurrent.sandbox._upgrade import recover, upgrade


@dataclass
class SandboxProvider:
    sandbox: str
    name: str = "sandbox"
    pool_label: str = POOL_LABEL

    def upgrade_control_plane(self, version: str) -> str:
        minor = KubeVersion.parse(version).minor_version
        try:
            recover(self.sandbox)  # a command killed half-way may have left it down
            current = load(self.sandbox)
            if current is not None and KubeVersion.parse(current.version).minor_version >= minor:
                return current.version  # already there: a resumed step does nothing twice
            state = upgrade(self.sandbox, str(minor))
        except SandboxError as exc:
            raise PermanentStepError(exc.message, hint=exc.hint) from exc
        return state.version

    def add_node(self, pool: str, kubelet_version: str, index: int) -> str:
        kubelet_version = str(KubeVersion.parse(kubelet_version))  # v1.37.2, as kubelets say it
        manifest = node_manifest(
            NodePool(name=pool, count=1, kubelet_version=kubelet_version), index
        )
        name = f"{pool}-{kubelet_version.removeprefix('v').replace('.', '-')}-{index}"
        manifest["metadata"]["name"] = name
        manifest["metadata"]["labels"]["kubernetes.io/hostname"] = name
        try:
            admin_client(self.sandbox).create(codecs.from_dict(manifest))
        except ApiError as exc:
            if exc.status.code != 409:
                raise RetryableStepError(
                    f"could not create node {name}: {exc.status.message}", retry_after=2
                ) from exc
        self._record_pool_version(pool, kubelet_version)
        return name

    def _record_pool_version(self, pool: str, kubelet_version: str) -> None:
        """Keep the sandbox's own record of its pools in step with the nodes it now has."""
        state = load(self.sandbox)
        if state is None:
            return
        state.pools = [
            p.model_copy(update={"kubelet_version": kubelet_version}) if p.name == pool else p
            for p in state.pools
        ]
        save(state)

    def remove_node(self, name: str) -> None:
        try:
            admin_client(self.sandbox).delete(Node, name)
        except ApiError as exc:
            if exc.status.code != 404:
                raise RetryableStepError(
                    f"could not delete node {name}: {exc.status.message}", retry_after=2
                ) from exc


def sandbox_for_server(server: str, *, running: bool = True) -> str | None:
    """The name of the sandbox whose API server is ``server`` (running only, by default)."""
    for name in names():
        state = load(name)
        if state is None or state.server != server:
            continue
        if not running or state.phase() == "running":
            return name
    return None


def recover_sandbox(server: str) -> str | None:
    """Bring back the control plane of the sandbox serving ``server`` if a killed command left
    it down; returns what was done (None: not a sandbox, or nothing to do)."""
    name = sandbox_for_server(server, running=False)
    if name is None or not recover(name):
        return None
    return f"sandbox {name}: control plane restarted after an interrupted upgrade"

"""What the EKS double does in the sandbox behind a cluster: node-group nodes and add-ons.

Node groups are kwok nodes labelled like EKS's managed nodes (``eks.amazonaws.com/nodegroup``,
``eks.amazonaws.com/nodegroup-image``, ``eks.amazonaws.com/capacityType``), without the
sandbox's own pool label. A version update rolls them as EKS describes it
(https://docs.aws.amazon.com/eks/latest/userguide/managed-node-update-behavior.html): new nodes
at the new version first, then, ``maxUnavailable`` old nodes at a time, cordon, evict every pod
through the Eviction API (a PodDisruptionBudget's 429 is retried), delete the nodes. Pods that
still cannot be evicted when the eviction timeout passes fail the update with
``PodEvictionFailure`` unless ``force`` is set, in which case they are deleted. A failed roll
leaves the nodes as they are (old ones cordoned, new ones running); the next update carries on.

Add-ons are a Deployment or DaemonSet in ``kube-system`` whose container image tag is the
add-on version, applied server-side with field manager ``eks``. ``resolveConflicts``
(https://docs.aws.amazon.com/eks/latest/APIReference/API_UpdateAddon.html): ``NONE`` fails on a
field another manager changed (``ConfigurationConflict``), ``OVERWRITE`` takes such fields back
(forced apply), ``PRESERVE`` leaves them to their manager (drops them from the applied
configuration).
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Iterator
from typing import Any

from lightkube import Client, codecs
from lightkube.core.exceptions import ApiError
from lightkube.models.meta_v1 import ObjectMeta
from lightkube.resources.core_v1 import Node, Pod

from kubecurrent import sandbox as sb

from ._double_data import AddonType
from ._double_state import UpdateError

NODEGROUP_LABEL = "eks.amazonaws.com/nodegroup"
IMAGE_LABEL = "eks.amazonaws.com/nodegroup-image"
CAPACITY_LABEL = "eks.amazonaws.com/capacityType"
FIELD_MANAGER = "eks"
RELEASE_DATE = "20261101"


class WorkFailed(Exception):
    """The update fails with this EKS error (nothing else went wrong)."""

    def __init__(self, error: UpdateError) -> None:
        super().__init__(error.message)
        self.error = error


def release_version(minor: str) -> str:
    """The AMI release version EKS would offer for ``minor``: ``1.36.3-20261101``."""
    return f"{sb.release_of(minor).removeprefix('v')}-{RELEASE_DATE}"


def ami_id(release: str) -> str:
    return "ami-" + hashlib.sha256(release.encode()).hexdigest()[:17]


def kubelet_version(release: str) -> str:
    """What an EKS node reports: ``v1.36.3-eks-<build>``."""
    patch = release.split("-")[0]
    return f"v{patch}-eks-{hashlib.sha256(release.encode()).hexdigest()[:7]}"


def node_manifest(
    name: str, nodegroup: str, release: str, capacity: str, region: str
) -> dict[str, Any]:
    pool = sb.NodePool(name=nodegroup, count=1, kubelet_version=kubelet_version(release))
    manifest = sb.node_manifest(pool, 0)
    manifest["metadata"]["name"] = name
    labels = manifest["metadata"]["labels"]
    del labels[sb.POOL_LABEL]
    labels.update(
        {
            NODEGROUP_LABEL: nodegroup,
            IMAGE_LABEL: ami_id(release),
            CAPACITY_LABEL: capacity,
            "kubernetes.io/hostname": name,
            "node.kubernetes.io/instance-type": "m5.large",
            "topology.kubernetes.io/region": region,
            "topology.kubernetes.io/zone": region + "abc"[sum(map(ord, name)) % 3],
        }
    )
    manifest["status"]["nodeInfo"]["osImage"] = "Amazon Linux 2023 (simulated)"
    return manifest


def _ready(node: Node) -> bool:
    conditions = (node.status.conditions if node.status else None) or []
    return any(c.type == "Ready" and c.status == "True" for c in conditions)


def create_nodes(client: Client, manifests: list[dict[str, Any]], timeout: float) -> None:
    """Create the nodes and wait until kwok reports all of them Ready."""
    for manifest in manifests:
        client.create(codecs.from_dict(manifest))
    names = {m["metadata"]["name"] for m in manifests}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready = {n.metadata.name for n in client.list(Node) if n.metadata and _ready(n)}
        if names <= ready:
            return
        time.sleep(0.3)
    raise WorkFailed(UpdateError("NodeCreationFailure", "nodes did not become Ready", tuple(names)))


def group_nodes(client: Client, nodegroup: str) -> list[Node]:
    return list(client.list(Node, labels={NODEGROUP_LABEL: nodegroup}))


def image_of(node: Node) -> str:
    return str(((node.metadata and node.metadata.labels) or {}).get(IMAGE_LABEL, ""))


def _chunks(items: list[Node], size: int) -> Iterator[list[Node]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _evictable(client: Client, node: str) -> list[Pod]:
    pods = client.list(Pod, namespace="*", fields={"spec.nodeName": node})
    return [
        p
        for p in pods
        if p.metadata
        and not any(o.kind == "DaemonSet" for o in p.metadata.ownerReferences or [])
        and "kubernetes.io/config.mirror" not in (p.metadata.annotations or {})
        and not p.metadata.deletionTimestamp
    ]


def _evict(client: Client, pod: Pod) -> bool:
    """True when the eviction was accepted (or the pod is gone); False on a PDB's 429."""
    assert pod.metadata and pod.metadata.name and pod.metadata.namespace
    name, ns = pod.metadata.name, pod.metadata.namespace
    try:
        client.create(
            Pod.Eviction(metadata=ObjectMeta(name=name, namespace=ns)), name, namespace=ns
        )
    except ApiError as exc:
        if exc.status.code == 404:
            return True
        if exc.status.code == 429:
            return False
        raise
    return True


def drain(client: Client, nodegroup: str, nodes: list[str], force: bool, timeout: float) -> None:
    """Evict every pod from ``nodes`` (already cordoned) and wait until they are gone."""
    deadline = time.monotonic() + timeout
    while True:
        blocked = []
        for node in nodes:
            blocked += [p for p in _evictable(client, node) if not _evict(client, p)]
        if not blocked:
            break
        if time.monotonic() >= deadline:
            if not force:
                raise WorkFailed(
                    UpdateError(
                        "PodEvictionFailure",
                        f"Reached max retries while trying to evict pods from nodes in node "
                        f"group {nodegroup}",
                        tuple(nodes),
                    )
                )
            for pod in blocked:
                assert pod.metadata and pod.metadata.name
                client.delete(Pod, pod.metadata.name, namespace=pod.metadata.namespace)
            break
        time.sleep(1.0)
    while any(_evictable(client, n) for n in nodes) and time.monotonic() < deadline + 60:
        time.sleep(0.5)


def cordon(client: Client, name: str) -> None:
    client.patch(Node, name, {"spec": {"unschedulable": True}})


def delete_node(client: Client, name: str) -> None:
    try:
        client.delete(Node, name)
    except ApiError as exc:
        if exc.status.code != 404:
            raise


def roll(
    client: Client,
    nodegroup: str,
    image: str,
    new_nodes: list[dict[str, Any]],
    max_unavailable: int,
    force: bool,
    eviction_timeout: float,
) -> None:
    """Replace the group's nodes that are not on ``image`` by ``new_nodes``."""
    old = [n for n in group_nodes(client, nodegroup) if image_of(n) != image]
    create_nodes(client, new_nodes, timeout=120)
    for batch in _chunks(old, max(1, max_unavailable)):
        names = [n.metadata.name for n in batch if n.metadata and n.metadata.name]
        for name in names:
            cordon(client, name)
        drain(client, nodegroup, names, force, eviction_timeout)
        for name in names:
            delete_node(client, name)


def addon_manifest(addon: AddonType, version: str, region: str) -> dict[str, Any]:
    w = addon.workload
    labels = {"k8s-app": w.name, "eks.amazonaws.com/component": w.name}
    container = {
        "name": w.container,
        "image": f"{addon.image.format(region=region)}:{version}",
        "resources": {"limits": {"memory": "170Mi"}, "requests": {"cpu": "100m", "memory": "70Mi"}},
    }
    spec: dict[str, Any] = {
        "selector": {"matchLabels": {"k8s-app": w.name}},
        "template": {"metadata": {"labels": labels}, "spec": {"containers": [container]}},
    }
    if w.kind == "Deployment":
        spec["replicas"] = 2
    return {
        "apiVersion": "apps/v1",
        "kind": w.kind,
        "metadata": {"name": w.name, "namespace": "kube-system", "labels": labels},
        "spec": spec,
    }


_STEP_RE = re.compile(r'\.([^.\[]+)|\[([^=\]]+)="?([^"\]]*)"?\]')


def _drop(manifest: dict[str, Any], path: str) -> None:
    """Remove the field at a managed-fields path such as
    ``.spec.template.spec.containers[name="coredns"].resources.limits.memory``."""
    steps = list(_STEP_RE.finditer(path))
    node: Any = manifest
    for i, step in enumerate(steps):
        last = i == len(steps) - 1
        if step[1] is not None:
            if not isinstance(node, dict) or step[1] not in node:
                return
            if last:
                del node[step[1]]
                return
            node = node[step[1]]
        else:
            match = [x for x in node if isinstance(x, dict) and str(x.get(step[2])) == step[3]]
            if not match:
                return
            if last:
                node.remove(match[0])
                return
            node = match[0]


def _conflicts(exc: ApiError) -> list[str]:
    details = exc.status.details
    return [c.field for c in (details.causes if details else None) or [] if c.field]


def apply_addon(
    client: Client, addon: AddonType, version: str, region: str, resolve: str = "OVERWRITE"
) -> None:
    """Server-side apply the add-on's workload at ``version`` as field manager ``eks``."""
    manifest = addon_manifest(addon, version, region)
    try:
        client.apply(
            codecs.from_dict(manifest), field_manager=FIELD_MANAGER, force=resolve == "OVERWRITE"
        )
        return
    except ApiError as exc:
        if exc.status.code != 409:
            raise
        fields = _conflicts(exc)
        if resolve != "PRESERVE" or not fields:
            kind = f"{addon.workload.kind}.apps {addon.workload.name}"
            listed = "; ".join(f"{kind} - {f}" for f in fields) or exc.status.message
            raise WorkFailed(
                UpdateError(
                    "ConfigurationConflict",
                    "Conflicts found when trying to apply. Will not continue due to resolve "
                    f"conflicts mode. Conflicts: {listed}",
                    (addon.name,),
                )
            ) from exc
    for field in fields:
        _drop(manifest, field)
    client.apply(codecs.from_dict(manifest), field_manager=FIELD_MANAGER)

"""Rolling a node pool by surge: new nodes at the new kubelet first, then drain and delete the old.

Order, which keeps every workload schedulable and lets PDBs pace the evictions::

    1. create as many new nodes as the pool has old ones (the provider makes them)
    2. wait until they are Ready
    3. cordon every old node (pods evicted later land on new nodes only)
    4. one old node at a time: drain through the Eviction API, then delete it

A roll that stopped half-way is resumed by running it again: nodes already at the new version
count as new, and only the missing ones are created.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lightkube.resources.core_v1 import Node

from kubecurrent.execute._audit import Audit
from kubecurrent.execute._clock import Clock
from kubecurrent.execute._drain import Drainer
from kubecurrent.execute._errors import PermanentStepError
from kubecurrent.execute._kube import name_of
from kubecurrent.execute._provider import NodePoolProvider

__all__ = ["RollReport", "roll_pool"]


@dataclass
class RollReport:
    pool: str
    created: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    evicted: int = 0
    forced: list[str] = field(default_factory=list)


def _kubelet(node: Node) -> str:
    info = node.status.nodeInfo if node.status else None
    return (info.kubeletVersion if info else "").removeprefix("v")


def _ready(node: Node) -> bool:
    conditions = (node.status.conditions if node.status else None) or []
    return any(c.type == "Ready" and c.status == "True" for c in conditions)


def roll_pool(
    drainer: Drainer,
    provider: NodePoolProvider,
    audit: Audit,
    clock: Clock,
    pool: str,
    version: str,
    timeout: float,
) -> RollReport:
    """Replace every node of ``pool`` whose kubelet is not ``version``; stop at ``timeout``."""
    client, want = drainer.client, version.removeprefix("v")
    deadline = clock.deadline(timeout)
    nodes = list(client.list(Node, labels={provider.pool_label: pool}))
    if not nodes:
        raise PermanentStepError(
            f"node pool {pool} has no nodes labelled {provider.pool_label}={pool}",
            hint="check the pool name in the plan against `kubecurrent inventory`",
        )
    old = sorted(name_of(n) for n in nodes if _kubelet(n) != want)
    new = [name_of(n) for n in nodes if _kubelet(n) == want]
    report = RollReport(pool)
    for index in range(len(new), len(new) + max(0, len(old) - len(new))):
        name = provider.add_node(pool, want, index)
        report.created.append(name)
        audit.write("node.create", detail=f"{name} in pool {pool} with kubelet {want}")
    _wait_ready(drainer, clock, [*new, *report.created], deadline)
    for name in old:
        drainer.cordon(name)
    for name in old:
        drained = drainer.drain(name, deadline)
        report.evicted += len(drained.evicted)
        report.forced += drained.forced
        provider.remove_node(name)
        report.removed.append(name)
        audit.write("node.delete", detail=f"{name} of pool {pool} drained and deleted")
    return report


def _wait_ready(drainer: Drainer, clock: Clock, names: list[str], deadline: float) -> None:
    pending = set(names)
    while pending:
        pending = {n for n in pending if not _ready(drainer.client.get(Node, n))}
        if not pending:
            return
        if clock.monotonic() >= deadline:
            raise PermanentStepError(
                f"new nodes {', '.join(sorted(pending))} did not become Ready in time; the old "
                "nodes are untouched",
                hint="check the node provider (for a sandbox: logs/kwok.log), then run the "
                "upgrade again",
            )
        clock.sleep(0.5)

"""The fleet of a dashboard on a management cluster: the MemberClusters of its namespace.

``MemberFleet`` reads the namespace's MemberClusters and the kubeconfig in each one's Secret
(``KubeStore.member_kubeconfig``) at every collection, so a member applied later appears at the
next refresh. Each kubeconfig is written to a file only this process may read (mode 0600, in a
private temporary directory) that the collector uses; a member whose Secret is missing is a row
with that error, the others are collected. ``refs`` are the clusters the Upgrade page offers:
a rollout started there is recorded in the custom resources with the members' names, and the
controller reaches each one through its Secret.
"""

from __future__ import annotations

import asyncio
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kubecurrent.catalog import Catalog
from kubecurrent.collect.cluster import ClusterResult, ClusterTarget, CollectOptions, collect_fleet
from kubecurrent.errors import UsageError
from kubecurrent.kubestate import KubeStore
from kubecurrent.rollout import ClusterRef
from kubecurrent.textfile import write_atomic
from kubecurrent.web._fleet import Collector

__all__ = ["MemberFleet"]


def _labels(member: dict[str, Any]) -> dict[str, str]:
    return dict(member["metadata"].get("labels") or {})


def _timeout(member: dict[str, Any]) -> float:
    return float(member["spec"].get("timeoutSeconds", 120))


@dataclass
class MemberFleet:
    store: KubeStore
    folder: Path = field(
        default_factory=lambda: Path(tempfile.mkdtemp(prefix="kubecurrent-members-"))
    )

    def targets(self) -> tuple[list[ClusterTarget], list[ClusterResult]]:
        """The members to collect, and those that cannot be (their Secret is missing)."""
        found: list[ClusterTarget] = []
        failed: list[ClusterResult] = []
        for member in self.store.member_clusters():
            name, labels = member["metadata"]["name"], _labels(member)
            try:
                text, context = self.store.member_kubeconfig(name)
            except UsageError as exc:
                target = ClusterTarget(name, labels=labels)
                failed.append(ClusterResult(target, error=f"{exc.message}: {exc.hint}"))
                continue
            path = self.folder / f"{name}.kubeconfig"
            write_atomic(path, text, mode=0o600)
            found.append(ClusterTarget(name, path, context, labels, timeout=_timeout(member)))
        return found, failed

    def collector(self, catalog: Catalog, options: CollectOptions, concurrency: int) -> Collector:
        """Collects the members (read again each time), like ``kubecurrent inventory``."""

        async def collect() -> list[ClusterResult]:
            targets, failed = await asyncio.to_thread(self.targets)
            collected = await collect_fleet(targets, catalog, options, None, concurrency)
            return [*collected, *failed]

        return collect

    def refs(self) -> tuple[ClusterRef, ...]:
        """The members as the clusters a rollout started here takes (reached by the controller
        through their Secrets, so no kubeconfig is recorded)."""
        return tuple(
            ClusterRef(
                m["metadata"]["name"],
                context=m["spec"].get("context"),
                labels=_labels(m),
                timeout=_timeout(m),
            )
            for m in self.store.member_clusters()
        )

"""Wiring one cluster of a rollout: collect, plan, findings and the executor with its providers.

The rollout layer drives; this module gives it, per cluster, the same pieces ``kubecurrent
upgrade`` uses (so a rollout's steps behave exactly like a single-cluster upgrade).
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from lightkube import KubeConfig

from kubecurrent.analyze.cluster import check_inventory
from kubecurrent.catalog import Catalog
from kubecurrent.collect.cluster import ClusterTarget, CollectOptions, collect_cluster
from kubecurrent.collect.cluster import default_kubeconfig as default_path
from kubecurrent.execute import (
    Audit,
    Baseline,
    Clock,
    Executor,
    PromQLCheck,
    cloud_steps,
    connect_target,
)
from kubecurrent.model import MinorVersion
from kubecurrent.model.inventory import ClusterInventory
from kubecurrent.model.plan import ClusterPlan
from kubecurrent.plan import PlanPolicy, pin_patches, plan_cluster, resolve_target
from kubecurrent.rollout import ClusterRef
from kubecurrent.runner._setup import Setup, build_executor, health_gate
from kubecurrent.sandbox import offered_patches, recover_sandbox, sandbox_for_server

__all__ = ["RunSettings", "SandboxAwareRun"]


@dataclass(frozen=True)
class RunSettings:
    """What every cluster of a rollout shares (from the command line)."""

    catalog: Catalog
    today: dt.date
    provider: str = "auto"
    addon_chart: dict[str, str] = field(default_factory=dict)
    node_timeout: float = 300.0
    roll_timeout: float = 1800.0
    gate_timeout: float = 180.0
    helm_timeout: float = 300.0
    force_unsafe: bool = False
    promql: tuple[PromQLCheck, ...] = ()
    """PromQL checks from the command line (--prometheus-url/--health-query), for every cluster;
    the strategy's ``health:`` checks are added by the engine."""
    eks_force: bool = False
    eks_addon_conflicts: str = "PRESERVE"
    tell: object = None


@dataclass
class SandboxAwareRun:
    """A ``ClusterRun`` for a real cluster; a sandbox gets the sandbox provider (as upgrade)."""

    ref: ClusterRef
    settings: RunSettings

    @property
    def kubeconfig(self) -> Path:
        return self.ref.kubeconfig or default_path()

    def recover(self) -> str | None:
        if self.settings.provider == "none" or self.ref.cloud is not None:
            return None  # a cloud operation in progress is found and waited for by the provider
        return recover_sandbox(self._server())

    def target(self) -> ClusterTarget:
        return ClusterTarget(
            name=self.ref.name,
            kubeconfig=None if self.ref.cloud else self.kubeconfig,
            context=self.ref.context,
            labels=dict(self.ref.labels),
            timeout=self.ref.timeout,
            cloud=self.ref.cloud,
        )

    def inventory(self) -> ClusterInventory:
        options = CollectOptions(today=self.settings.today, read_metrics=False)
        return asyncio.run(collect_cluster(self.target(), self.settings.catalog, options))

    def plan(self, inventory: ClusterInventory, target: str) -> ClusterPlan:
        version = resolve_target(self.settings.catalog, target, self.settings.today)
        plan = plan_cluster(inventory, self.settings.catalog, version, PlanPolicy())
        if self.ref.cloud is not None:
            return cloud_steps(self.ref.cloud, plan)  # e.g. EKS chooses the patch release
        if self.settings.provider != "none" and sandbox_for_server(self._server()):
            plan = pin_patches(plan, offered_patches())  # the releases the sandbox can run
        return plan

    def _server(self) -> str:
        config = KubeConfig.from_file(self.kubeconfig).get(context_name=self.ref.context)
        return str(config.cluster.server) if config is not None else ""

    def findings(self, inventory: ClusterInventory, target: str) -> dict[str, int]:
        minor = MinorVersion.parse(".".join(target.split(".")[:2]))
        found = check_inventory(inventory, self.settings.catalog, minor, self.settings.today)
        return dict(Counter(str(f.severity) for f in found))

    def executor(self, plan: ClusterPlan, audit: Audit) -> Executor:
        s = self.settings
        setup = Setup(
            catalog=s.catalog,
            kubeconfig=self.kubeconfig,
            context=self.ref.context,
            yes=True,
            provider=s.provider,
            addon_chart=s.addon_chart,
            force_unsafe=s.force_unsafe,
            node_timeout=s.node_timeout,
            roll_timeout=s.roll_timeout,
            gate_timeout=s.gate_timeout,
            helm_timeout=s.helm_timeout,
            promql=s.promql,
            cloud=self.ref.cloud,
            eks_force=s.eks_force,
            eks_addon_conflicts=s.eks_addon_conflicts,
        )
        name = self.ref.name

        def tell(message: str) -> None:
            if callable(s.tell):
                s.tell(f"{name}: {message}")

        return build_executor(setup, plan, self.inventory, name, audit=audit, tell=tell)

    def health(self, audit: Audit, baseline: Baseline) -> None:
        kube = connect_target(self.target())
        s = self.settings
        health_gate(kube, Clock(), s.gate_timeout, s.promql, audit).wait(baseline, "the soak")
        audit.write("cluster.health", outcome="ok", detail="healthy after the soak")

"""Ways of upgrading beside the providers: whether a cluster gets a kubeadm runbook, and the
GitOps add-on action (add-on steps as commits to the repository a GitOps controller syncs)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from lightkube import KubeConfig

from kubecurrent.catalog import Catalog
from kubecurrent.execute import Audit, Clock, Kube, PermanentStepError
from kubecurrent.execute.gitops import Git, GitOpsAddons, HttpChartIndex
from kubecurrent.execute.kubeadm import is_kubeadm
from kubecurrent.model.inventory import ClusterInventory
from kubecurrent.model.plan import ClusterPlan
from kubecurrent.sandbox import sandbox_for_server

__all__ = ["gitops_addons", "server_of", "wants_runbook"]


def wants_runbook(provider: str, kube: Kube, server: str | None) -> bool:
    """``--provider kubeadm``, or ``auto`` on a cluster that is no sandbox and has kubeadm-config."""
    if provider == "kubeadm":
        return True
    if provider != "auto" or (server is not None and sandbox_for_server(server) is not None):
        return False
    return is_kubeadm(kube)


def server_of(kubeconfig: Any, context: str | None) -> str | None:
    single = KubeConfig.from_file(kubeconfig).get(context_name=context)
    return str(single.cluster.server) if single is not None else None


def gitops_addons(
    repo: Path | None,
    branch: str | None,
    timeout: float,
    catalog: Catalog,
    plan: ClusterPlan,
    observe: Callable[[], ClusterInventory],
    audit: Audit,
    clock: Clock,
    dry_run: bool,
    chart_index: bool = True,
) -> GitOpsAddons | None:
    """The GitOps add-on action, after refusing plans whose add-on steps have no usable pin.

    ``chart_index``: read chart repositories' index.yaml to translate add-on versions."""
    if repo is None:
        return None
    addons = GitOpsAddons(
        git=Git.open(repo),
        catalog=catalog,
        plan=plan,
        observe=observe,
        audit=audit,
        clock=clock,
        branch=branch,
        timeout=timeout,
        index=HttpChartIndex() if chart_index else None,
    )
    problems = addons.check(strict=not dry_run)
    if problems:
        raise PermanentStepError(
            f"cannot run the add-on steps of {plan.name} through {repo}: " + "; ".join(problems),
            hint="pin each add-on's chart version in the repository (or edit it by hand), then "
            "run again; `kubecurrent gitops propose --dry-run` shows what would change",
        )
    return addons

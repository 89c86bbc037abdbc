"""``kubecurrent upgrade`` modes beside execution: a kubeadm runbook, and GitOps add-on steps.

Kept apart from ``upgrade.py`` so that provider additions there stay small.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from lightkube import KubeConfig

from kubecurrent.catalog import Catalog
from kubecurrent.cli._types import SECONDS
from kubecurrent.execute import Audit, Clock, Kube, PermanentStepError
from kubecurrent.execute.gitops import Git, GitOpsAddons, HttpChartIndex
from kubecurrent.execute.kubeadm import (
    build_runbook,
    is_kubeadm,
    kubeadm_nodes,
    load_facts,
    render_markdown,
)
from kubecurrent.model import MinorVersion
from kubecurrent.model.inventory import ClusterInventory
from kubecurrent.model.plan import ClusterPlan
from kubecurrent.sandbox import sandbox_for_server

FC = TypeVar("FC", bound=Callable[..., Any])


def gitops_options(f: FC) -> FC:
    for option in reversed(
        [
            click.option(
                "--gitops-repo",
                type=click.Path(file_okay=False, exists=True),
                help="Add-on steps edit and commit this GitOps repository instead of running helm.",
            ),
            click.option(
                "--gitops-branch",
                help="Branch for the commits [default: kubecurrent/upgrade-CLUSTER-TARGET].",
            ),
            click.option(
                "--gitops-sync-timeout",
                type=SECONDS,
                default=600.0,
                show_default=True,
                help="Seconds to wait for the cluster to show a committed add-on version.",
            ),
            click.option(
                "--gitops-no-chart-index",
                is_flag=True,
                help="Do not read chart repositories' index.yaml to translate add-on versions "
                "into chart versions (pins numbered apart from the add-on are then refused).",
            ),
        ]
    ):
        f = option(f)
    return f


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


def print_runbook(plan: ClusterPlan, catalog: Catalog, kube: Kube, output: str) -> None:
    def patch_of(minor: str) -> str | None:
        release = catalog.release(MinorVersion.parse(minor))
        return str(release.latest_patch) if release else None

    book = build_runbook(plan, kubeadm_nodes(kube), load_facts(), patch_of)
    if output == "json":
        click.echo(json.dumps(book.to_json(), indent=2))
    else:
        click.echo(render_markdown(book), nl=False)


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

"""``kubecurrent upgrade`` modes beside execution: the GitOps flags and the kubeadm runbook
printed (the wiring of both is in ``kubecurrent.runner``)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

import click

from kubecurrent.catalog import Catalog
from kubecurrent.cli._types import SECONDS
from kubecurrent.execute import Kube
from kubecurrent.execute.kubeadm import (
    build_runbook,
    kubeadm_nodes,
    load_facts,
    render_markdown,
)
from kubecurrent.model import MinorVersion
from kubecurrent.model.plan import ClusterPlan

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


def print_runbook(plan: ClusterPlan, catalog: Catalog, kube: Kube, output: str) -> None:
    def patch_of(minor: str) -> str | None:
        release = catalog.release(MinorVersion.parse(minor))
        return str(release.latest_patch) if release else None

    book = build_runbook(plan, kubeadm_nodes(kube), load_facts(), patch_of)
    if output == "json":
        click.echo(json.dumps(book.to_json(), indent=2))
    else:
        click.echo(render_markdown(book), nl=False)

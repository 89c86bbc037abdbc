"""``kubecurrent inventory``: what each selected cluster runs, as a snapshot.

Exit codes: 0 every cluster collected; 1 none could be; 2 bad usage; 5 partial (some clusters
could not be collected; the others are printed and saved).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import click

from kubecurrent.analyze.report import fleet_page, to_html
from kubecurrent.catalog import extra_from_env, load_catalog
from kubecurrent.cli._app import EXIT_ERROR, EXIT_OK, GlobalOptions, output_option
from kubecurrent.cli._cloud_kubeconfig import write_cloud_kubeconfig
from kubecurrent.cli._clusters import (
    EXIT_PARTIAL,
    cluster_options,
    collect,
    report_failures,
    selection,
    summary,
)
from kubecurrent.cli._output import emit, simple_table
from kubecurrent.collect.cluster import ClusterResult, inventory_json
from kubecurrent.model.aks import AksCluster
from kubecurrent.model.clouds import ManagedCluster
from kubecurrent.model.gke import GkeCluster
from kubecurrent.model.inventory import ClusterInventory
from kubecurrent.model.managed import EksCluster
from kubecurrent.textfile import write_atomic


@click.command("inventory")
@cluster_options
@output_option("table", "json", "yaml", "html")
@click.option(
    "--save",
    type=click.Path(file_okay=False),
    help="Write one JSON snapshot per cluster into this directory "
    "(readable by `kubecurrent plan --inventory DIR`).",
)
@click.option(
    "--write-kubeconfig",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write a kubeconfig for the EKS, GKE and AKS clusters selected (mode 0600), one "
    "context per cluster, whose users run `aws eks get-token`, `gke-gcloud-auth-plugin` or "
    "`kubelogin get-token` (the clouds' exec plugins).",
)
@click.pass_context
def inventory(
    click_ctx: click.Context, /, save: str | None, write_kubeconfig: Path | None, **kw: Any
) -> None:
    """Collect a snapshot of each cluster: versions, node pools, add-ons, API usage, CRDs, ...

    \b
    Clusters: the current context, --context (repeatable), --all-contexts or --fleet FILE,
    or every Amazon EKS cluster of the account with --discover eks [--regions R,… |
    --all-regions] [--profile P]; they are read concurrently and read-only (see
    deploy/rbac/kubecurrent-reader.yaml).

    \b
    Exit codes: 0 every cluster collected
                1 no cluster could be collected
                2 bad usage
                5 partial: some clusters could not be collected (named on stderr)
    """
    opts: GlobalOptions = click_ctx.ensure_object(GlobalOptions)
    catalog = load_catalog(list(extra_from_env()))
    results = collect(selection(**kw), opts, catalog)
    inventories = [r.inventory for r in results if r.inventory is not None]
    if save:
        _save(Path(save), inventories)
    if write_kubeconfig is not None:
        write_cloud_kubeconfig(write_kubeconfig, results)
    if opts.output == "html":  # the fleet page, without findings (scan cluster judges)
        failed = [(r.target.name, r.error or "unknown") for r in results if not r.ok]
        newest = catalog.newest_release().version
        page = fleet_page(inventories, None, failed, newest, dt.date.today())
        click.echo(to_html(page), nl=False)
    else:
        data = {
            "clusters": summary(results),
            "inventories": [inventory_json(i) for i in inventories],
        }
        emit(opts.output, data, lambda: _table(results))
    report_failures(results)
    click_ctx.exit(_exit(results))


def _exit(results: list[ClusterResult]) -> int:
    ok = sum(1 for r in results if r.ok)
    if ok == len(results):
        return EXIT_OK
    return EXIT_PARTIAL if ok else EXIT_ERROR


def managed_note(m: ManagedCluster) -> str:
    """What the cloud says about a cluster, in one phrase for the table."""
    match m:
        case EksCluster():
            return (
                f"EKS {m.region} {m.platform_version}, {m.support_type} support, "
                f"{len(m.nodegroups)} node groups, {len(m.addons)} EKS add-ons"
            )
        case GkeCluster():
            return (
                f"GKE {m.location} {m.master_version}, channel {m.channel}, "
                f"{len(m.node_pools)} node pools"
            )
        case AksCluster():
            offered = ", ".join(m.offered()) or "none"
            return (
                f"AKS {m.location} {m.running_version}, {m.support_plan} plan, "
                f"{len(m.agent_pools)} agent pools, upgrades offered: {offered}"
            )


def _save(directory: Path, inventories: list[ClusterInventory]) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for inv in inventories:
        path = directory / f"{inv.name}.json"
        write_atomic(path, json.dumps(inventory_json(inv), indent=2) + "\n")


def _table(results: list[ClusterResult]) -> Any:
    rows: list[list[Any]] = []
    for r in results:
        inv = r.inventory
        if inv is None:
            cloud = r.target.cloud.provider if r.target.cloud is not None else "-"
            rows.append([r.target.name, cloud, "-", "-", "-", "-", "-", f"not scanned: {r.error}"])
            continue
        eol = f"{inv.end_of_life}{' (passed)' if inv.end_of_life_passed else ''}"
        pools = ", ".join(f"{p.name}={p.nodes}@{p.kubelet}" for p in inv.node_pools) or "-"
        addons = ", ".join(f"{a.name} {a.version}" for a in inv.addons) or "-"
        notes = f"{len(inv.api_evidence)} API uses, {inv.drain_blockers_total} drain blockers"
        if inv.limitations:
            notes += f", {len(inv.limitations)} unchecked"
        if inv.managed is not None:
            notes += f"; {managed_note(inv.managed)}"
        provider = inv.managed.provider if inv.managed is not None else "-"
        rows.append(
            [inv.name, provider, inv.server_version, eol, pools, addons, len(inv.cves), notes]
        )
    return simple_table(
        ["cluster", "provider", "version", "end of life", "pools", "add-ons", "cves", "notes"],
        rows,
    )

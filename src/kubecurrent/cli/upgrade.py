"""``kubecurrent upgrade``: plan one cluster's upgrade and carry it out, step by step.

Exit codes: 0 every step done (or skipped as already done), 1 a step failed or was refused (the
report says which and the cluster's state), 2 bad usage.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
from pathlib import Path
from typing import Any

import click

from kubecurrent.catalog import Catalog, extra_from_env, load_catalog
from kubecurrent.cli._app import GlobalOptions, err_console, output_option
from kubecurrent.cli._modes import gitops_options, print_runbook
from kubecurrent.cli._options import (
    ADDON_CHART,
    CATALOG_EXTRA,
    CONTEXT,
    EKS_ADDON_CONFLICTS,
    EKS_FORCE,
    KUBECONFIG,
    TODAY,
    promql_options,
)
from kubecurrent.cli._output import console, simple_table
from kubecurrent.cli._plan_file import load_cluster_plan
from kubecurrent.cli._types import SECONDS
from kubecurrent.cli._upgrade_ui import ask_step, print_report, probe_promql, tell
from kubecurrent.collect.clouds import GkeRef
from kubecurrent.collect.cluster import (
    ClusterTarget,
    CollectOptions,
    collect_cluster,
    kubeconfig_contexts,
)
from kubecurrent.collect.cluster import default_kubeconfig as default_path
from kubecurrent.collect.eks import EksRef, check_region
from kubecurrent.errors import UsageError
from kubecurrent.execute import AuditLog, ClusterApiProvider, cloud_steps, connect
from kubecurrent.model.inventory import ClusterInventory
from kubecurrent.model.plan import ClusterPlan
from kubecurrent.plan import PlanPolicy, pin_patches, plan_cluster, resolve_target
from kubecurrent.runner import (
    Setup,
    audit_path,
    build_executor,
    cluster_api,
    server_of,
    wants_runbook,
)
from kubecurrent.sandbox import offered_patches, sandbox_for_server


@click.command()
@KUBECONFIG
@CONTEXT
@output_option("markdown", "json", default="markdown")  # the kubeadm runbook's
@click.option(
    "--target",
    default="latest-supported",
    show_default=True,
    help="X.Y, X.Y.Z, latest or latest-supported.",
)
@click.option(
    "--plan",
    "plan_file",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="Run this plan (`kubecurrent plan -o json`) instead of planning.",
)
@click.option(
    "--dry-run", is_flag=True, help="Show the plan and what each step would do; change nothing."
)
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation before starting.")
@click.option("--step-by-step", is_flag=True, help="Ask before every step.")
@click.option(
    "--provider",
    type=click.Choice(["auto", "sandbox", "cluster-api", "kubeadm", "eks", "gke", "aks", "none"]),
    default="auto",
    show_default=True,
    help="Who upgrades the control plane and node pools (auto: a sandbox, or a Cluster API Cluster, is detected by its API server; an --eks-cluster by EKS, a --gke-cluster by GKE).",
)
@click.option(
    "--eks-cluster",
    metavar="REGION/NAME",
    help="An Amazon EKS cluster, reached and upgraded through the EKS API (instead of --context).",
)
@click.option(
    "--profile", "aws_profile", envvar="AWS_PROFILE", help="AWS profile for --eks-cluster."
)
@click.option(
    "--gke-cluster",
    metavar="PROJECT/LOCATION/NAME",
    help="A Google GKE cluster, reached and upgraded through the GKE API (instead of --context).",
)
@EKS_FORCE
@EKS_ADDON_CONFLICTS
@click.option(
    "--capi-cluster",
    metavar="NAMESPACE/NAME",
    help="The Cluster API Cluster of this cluster [default: the one whose controlPlaneEndpoint is the API server].",
)
@click.option(
    "--capi-kubeconfig",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="Kubeconfig of the Cluster API management cluster [default: --kubeconfig].",
)
@click.option(
    "--capi-context",
    help="Context of the management cluster [default: --context, or the current one of --capi-kubeconfig].",
)
@ADDON_CHART
@click.option(
    "--helm-binary",
    type=click.Path(dir_okay=False, path_type=Path),
    help="helm to run [default: the one `kubecurrent sandbox build` made].",
)
@click.option(
    "--force-unsafe",
    is_flag=True,
    help="Delete pods a PDB still protects when a drain times out (written to the audit log).",
)
@click.option(
    "--node-timeout",
    type=SECONDS,
    default=300.0,
    show_default=True,
    help="Seconds to drain one node.",
)
@click.option(
    "--roll-timeout",
    type=SECONDS,
    default=1800.0,
    show_default=True,
    help="Seconds for a whole node-pool roll.",
)
@click.option(
    "--gate-timeout",
    type=SECONDS,
    default=180.0,
    show_default=True,
    help="Seconds a health gate waits for the cluster to be healthy.",
)
@click.option(
    "--helm-timeout",
    type=SECONDS,
    default=300.0,
    show_default=True,
    help="Seconds helm waits for an add-on upgrade.",
)
@click.option(
    "--audit-log",
    type=click.Path(dir_okay=False, path_type=Path),
    help="JSON-lines audit file [default: ~/.local/state/kubecurrent/audit.jsonl].",
)
@gitops_options
@promql_options
@CATALOG_EXTRA
@TODAY
@click.pass_context
def upgrade(
    ctx: click.Context,
    /,
    target: str,
    plan_file: Path | None,
    today: dt.datetime | None,
    extra: tuple[str, ...],
    eks_cluster: str | None,
    aws_profile: str | None,
    gke_cluster: str | None,
    **flags: Any,
) -> None:
    """Upgrade one cluster to --target: plan (or --plan FILE), confirm, then run every step,
    verify it by collecting the cluster again, and pass a health gate before the next one.

    Providers: the sandbox (real control-plane swap, kwok node pools rolled by surge and drain);
    Cluster API (topology version, or KubeadmControlPlane then MachineDeployments, rolled by
    Cluster API itself); Amazon EKS with --eks-cluster REGION/NAME (UpdateClusterVersion, managed
    node groups and EKS add-ons through the EKS API, see docs/eks.md); Google GKE with
    --gke-cluster PROJECT/LOCATION/NAME (updateMaster, then each node pool, see docs/gke.md). Add-ons installed with Helm are upgraded with --reuse-values and rolled back on failure.
    Every action is written to the audit log.

    Health gates: nodes Ready, control plane healthy, workloads available, no new crash loops;
    with --prometheus-url and --health-query, every query must also hold (a non-empty result
    whose every value is non-zero) before the first step and after each one.
    """
    opts = ctx.ensure_object(GlobalOptions)
    context = opts.context
    catalog = load_catalog([*extra_from_env(), *map(Path, extra)])
    kubeconfig = Path(opts.kubeconfig) if opts.kubeconfig else default_path()
    day = today.date() if today else dt.date.today()
    if eks_cluster and gke_cluster:
        raise UsageError(
            "--eks-cluster and --gke-cluster name two clusters", hint="upgrade one at a time"
        )
    cloud = _eks_ref(eks_cluster, aws_profile) or _gke_ref(gke_cluster)
    name = cloud.name if cloud else _name(kubeconfig, context)
    setup = Setup(catalog=catalog, kubeconfig=kubeconfig, context=context, cloud=cloud, **flags)
    capi = cluster_api(setup, AuditLog(audit_path(setup), name))
    setup = dataclasses.replace(setup, capi=capi)
    collect = _collector(catalog, ClusterTarget(name, kubeconfig, context, cloud=cloud), day, capi)
    inventory = collect()
    if plan_file is not None:
        plan = load_cluster_plan(plan_file, inventory.name)
    else:
        plan = plan_cluster(inventory, catalog, resolve_target(catalog, target, day), PlanPolicy())
    if cloud is not None:
        plan = cloud_steps(cloud, plan)  # e.g. EKS chooses the patch release
    elif plan_file is None and _on_sandbox(flags["provider"], kubeconfig, context):
        plan = pin_patches(plan, offered_patches())  # the releases the sandbox can run
    if (
        capi is None
        and cloud is None
        and wants_runbook(
            flags["provider"], connect(kubeconfig, context), server_of(kubeconfig, context)
        )
    ):
        print_runbook(plan, catalog, connect(kubeconfig, context), opts.output)
        return
    _show(plan)
    if capi is not None:
        err_console().print(
            f"Cluster API: {capi.namespace}/{capi.cluster_name}; versions as its objects report",
            highlight=False,
        )
    confirm = ask_step if setup.step_by_step else (lambda _step: True)
    executor = build_executor(setup, plan, collect, inventory.name, tell=tell, confirm=confirm)
    if flags["dry_run"]:
        executor.preflight()
        probe_promql(setup.promql_checks())
        click.echo("dry run: nothing was changed")
        return
    if not flags["yes"] and not click.confirm(
        f"Upgrade {plan.name} with these {len(plan.steps)} steps?"
    ):
        raise click.Abort
    report = executor.run()
    print_report(report)
    if report.error is not None:
        raise report.error


def _name(kubeconfig: Path, context: str | None) -> str:
    return context or kubeconfig_contexts(kubeconfig)[1] or "cluster"


def _on_sandbox(provider: str, kubeconfig: Path, context: str | None) -> bool:
    return provider in ("auto", "sandbox") and bool(
        sandbox_for_server(server_of(kubeconfig, context) or "")
    )


def _eks_ref(text: str | None, profile: str | None) -> EksRef | None:
    if text is None:
        return None
    region, sep, name = text.partition("/")
    if not sep or not region or not name:
        raise UsageError(
            f"--eks-cluster {text!r}: write REGION/NAME",
            hint="e.g. --eks-cluster eu-west-1/prod (`aws eks list-clusters` names them)",
        )
    return EksRef(check_region(region), name, profile)


def _gke_ref(text: str | None) -> GkeRef | None:
    if text is None:
        return None
    parts = text.split("/")
    if len(parts) != 3 or not all(parts):
        raise UsageError(
            f"--gke-cluster {text!r}: write PROJECT/LOCATION/NAME",
            hint="e.g. --gke-cluster shop/europe-west1/web (`gcloud container clusters list` "
            "names them)",
        )
    return GkeRef(*parts)


def _collector(
    catalog: Catalog,
    target: ClusterTarget,
    day: dt.date,
    capi: ClusterApiProvider | None,
) -> Any:
    """Collects the cluster; for Cluster API, with the versions its objects report."""
    options = CollectOptions(today=day, read_metrics=False)

    def collect() -> ClusterInventory:
        inventory = asyncio.run(collect_cluster(target, catalog, options))
        return capi.observe(inventory) if capi is not None else inventory

    return collect


def _show(plan: ClusterPlan) -> None:
    rows = [[s.order, s.type, s.target, s.from_, s.to or "", s.why] for s in plan.steps]
    title = f"{plan.name}: {plan.from_version} → {plan.target} ({plan.status})"
    console().print(simple_table(["#", "type", "target", "from", "to", "why"], rows, title=title))
    for reason in plan.reasons:
        err_console().print(f"blocked: {reason}", highlight=False)

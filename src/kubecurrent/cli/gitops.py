"""``kubecurrent gitops propose``: a cluster's add-on steps as commits in the user's GitOps repo.

Exit codes: 0 every add-on step is committed (or was already in the repository), 3 some step
could not be edited (no pin, or pins that do not follow the add-on version and could not be
translated through the chart repository's index; the output says which), 1 an error (dirty work
tree, no git identity, ...), 2 bad usage.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import click
from rich.table import Table

from kubecurrent.catalog import extra_from_env, load_catalog
from kubecurrent.cli._app import GlobalOptions, err_console, output_option
from kubecurrent.cli._clusters import cluster_options, selection
from kubecurrent.cli._options import CATALOG_EXTRA, TODAY
from kubecurrent.cli._output import emit, simple_table
from kubecurrent.cli._plan_file import load_cluster_plan
from kubecurrent.cli.plan import _inventories
from kubecurrent.errors import UsageError
from kubecurrent.execute.gitops import Git, HttpChartIndex, Proposal, propose
from kubecurrent.model.plan import ClusterPlan
from kubecurrent.plan import PlanPolicy, plan_cluster, resolve_target

EXIT_REFUSED = 3


@click.group("gitops")
def gitops_group() -> None:
    """Move add-ons by editing your GitOps repository (Argo CD, Flux, Chart.yaml, kustomize)."""


@gitops_group.command()
@click.option(
    "--repo",
    required=True,
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    help="The GitOps repository (a git work tree).",
)
@click.option(
    "--plan",
    "plan_file",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="A plan from `kubecurrent plan -o json` instead of planning.",
)
@click.option("--cluster", help="The cluster to take from a plan or fleet with several.")
@click.option(
    "--fleet-spec",
    type=click.Path(dir_okay=False, path_type=Path),
    help="A hand-written fleet spec.",
)
@click.option(
    "--inventory",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    help="A directory of saved inventories.",
)
@cluster_options
@click.option("--target", default="latest-supported", show_default=True, help="X.Y, latest, ...")
@click.option("--branch", help="Branch to commit on [default: kubecurrent/upgrade-CLUSTER-TARGET].")
@click.option("--dry-run", is_flag=True, help="Print the diff; create no branch and no commit.")
@click.option(
    "--no-chart-index",
    is_flag=True,
    help="Do not read chart repositories' index.yaml to translate add-on versions into chart "
    "versions (pins numbered apart from the add-on are then left alone).",
)
@TODAY
@CATALOG_EXTRA
@output_option("table", "json")
@click.pass_context
def propose_cmd(
    ctx: click.Context,
    /,
    repo: Path,
    plan_file: Path | None,
    cluster: str | None,
    fleet_spec: Path | None,
    inventory: Path | None,
    target: str,
    branch: str | None,
    dry_run: bool,
    no_chart_index: bool,
    today: dt.datetime | None,
    extra: tuple[str, ...],
    **live: Any,
) -> None:
    """Edit the chart version of every add-on step of one cluster's plan in --repo and commit
    each step on a branch (never pushed); --dry-run prints the diff instead.

    Pins are found in Argo CD Applications/ApplicationSets (targetRevision), Flux HelmReleases
    (spec.chart.spec.version) and OCIRepositories (spec.ref.tag/semver), Chart.yaml
    dependencies and kustomize helmCharts. Only the version token changes. A pin in the
    chart's own numbering (ingress-nginx chart 4.x for controller 1.x) is moved to the chart
    carrying the planned version, read from the chart repository's index.yaml over HTTP(S).
    """
    opts = ctx.ensure_object(GlobalOptions)
    catalog = load_catalog([*extra_from_env(), *map(Path, extra)])
    if plan_file is not None:
        plan = load_cluster_plan(plan_file, cluster or "")
    else:
        clusters, _, _ = _inventories(opts, catalog, fleet_spec, inventory, selection(**live))
        chosen = [c for c in clusters if cluster in (None, c.name)]
        if len(chosen) != 1:
            names = ", ".join(c.name for c in clusters) or "none"
            raise UsageError(
                f"give exactly one cluster: found {names}", hint="choose one with --cluster NAME"
            )
        day = today.date() if today else dt.date.today()
        goal = resolve_target(catalog, target, day)
        plan = plan_cluster(chosen[0], catalog, goal, PlanPolicy())
    index = None if no_chart_index else HttpChartIndex()
    result = propose(Git.open(repo), plan, catalog, branch=branch, dry_run=dry_run, index=index)
    _print(opts.output, plan, result)
    if result.problems:
        ctx.exit(EXIT_REFUSED)


propose_cmd.name = "propose"


def _print(output: str, plan: ClusterPlan, result: Proposal) -> None:
    emit("json" if output == "json" else "table", result.to_json(), lambda: _table(plan, result))
    if output == "json":
        return
    for problem in result.problems:
        err_console().print(f"refused: {problem}", highlight=False, markup=False)
    if result.dry_run:
        click.echo(result.diff, nl=False)
        click.echo("dry run: no branch and no commit were made")
    elif result.commits:
        click.echo(f"{len(result.commits)} commit(s) on branch {result.branch} (not pushed)")
    else:
        click.echo(f"nothing to commit: branch {result.branch} already has every edit")


def _table(plan: ClusterPlan, result: Proposal) -> Table:
    rows = []
    for s in result.steps:
        commit = (s.commit or "")[:12] or ("dry run" if result.dry_run else "-")
        for e in s.edits:
            where = f"{e.pin.path}:{e.pin.line}"
            rows.append([s.step.order, s.step.target, where, e.pin.field, e.old, e.new, commit])
        for p in s.done:
            rows.append(
                [
                    s.step.order,
                    s.step.target,
                    f"{p.path}:{p.line}",
                    p.field,
                    "",
                    p.version,
                    "already",
                ]
            )
        if s.blocked:
            rows.append([s.step.order, s.step.target, "-", "-", s.step.from_, s.step.to, "refused"])
    title = f"{plan.name}: add-on steps in {result.repo} → branch {result.branch}"
    return simple_table(["step", "add-on", "file", "field", "old", "new", "commit"], rows, title)

"""``kubecurrent plan``: which order and which versions take each cluster to the target.

Exit codes: 0 every plan is ok, 3 at least one cluster is blocked, 2 bad input.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from kubecurrent.catalog import Catalog, extra_from_env, load_catalog
from kubecurrent.cli._app import GlobalOptions, output_option
from kubecurrent.cli._clusters import (
    EXIT_PARTIAL,
    Selection,
    cluster_options,
    collect,
    report_failures,
    selection,
)
from kubecurrent.cli._options import CATALOG_EXTRA, TODAY
from kubecurrent.cli._output import emit, simple_table, typed_json_bytes
from kubecurrent.collect.cluster import default_kubeconfig
from kubecurrent.collect.fleet_spec import load_fleet_spec, load_inventory_dir
from kubecurrent.errors import UsageError
from kubecurrent.gcpause import collector_paused, keep_to_the_end
from kubecurrent.model.inventory import ClusterInventory
from kubecurrent.model.plan import ClusterPlan, FleetPlan
from kubecurrent.plan import (
    PlanPolicy,
    hold_text,
    pin_patches,
    plan_fleet,
    render_html,
    render_markdown,
    resolve_target,
)
from kubecurrent.sandbox import offered_patches

if TYPE_CHECKING:
    from rich.table import Table

EXIT_BLOCKED = 3


def _pairs(
    _: click.Context, __: click.Parameter, values: tuple[str, ...]
) -> tuple[tuple[str, str], ...]:
    pairs = []
    for value in values:
        old, sep, new = value.partition("=")
        if not sep or not old or not new:
            raise click.BadParameter(f"{value!r}: write OLD=NEW, e.g. ingress-nginx=envoy-gateway")
        pairs.append((old, new))
    return tuple(pairs)


@click.command()
@click.option(
    "--fleet-spec",
    type=click.Path(dir_okay=False, path_type=Path),
    help="A hand-written fleet spec (YAML).",
)
@click.option(
    "--inventory",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    help="A directory of saved inventories, one cluster per file.",
)
@cluster_options
@click.option(
    "--target",
    default="latest-supported",
    show_default=True,
    help="X.Y, X.Y.Z, latest, or latest-supported (newest line not past end of life today).",
)
@click.option(
    "--node-strategy",
    type=click.Choice(["minimal", "lockstep"]),
    default="minimal",
    show_default=True,
    help="minimal: roll a pool only when skew requires it, and at the end; lockstep: every hop.",
)
@click.option(
    "--blue-green-after",
    type=click.IntRange(min=1),
    default=4,
    show_default=True,
    help="Price a new-cluster alternative for clusters more than N minors behind.",
)
@click.option(
    "--replace",
    multiple=True,
    callback=_pairs,
    help="OLD=NEW: replace add-on OLD by NEW when OLD has no release for the next hop (repeatable).",
)
@click.option(
    "--remove",
    multiple=True,
    help="Remove this add-on when it has no release for the next hop (repeatable).",
)
@TODAY
@CATALOG_EXTRA
@output_option("table", "markdown", "json", "html")
@click.pass_context
def plan(
    ctx: click.Context,
    /,
    fleet_spec: Path | None,
    inventory: Path | None,
    target: str,
    node_strategy: str,
    blue_green_after: int,
    replace: tuple[tuple[str, str], ...],
    remove: tuple[str, ...],
    today: dt.datetime | None,
    extra: tuple[str, ...],
    **live: Any,
) -> None:
    """Plan the upgrade of every cluster to --target: migrations, add-on moves, control-plane
    hops (one minor each), node-pool rolls and checks, each step with its reason.

    Clusters come from a fleet spec, saved inventories, or live clusters (the current
    kubeconfig context by default; --context, --all-contexts or --fleet FILE).

    Exit codes: 0 every plan is ok, 3 at least one cluster is blocked (the output says why and
    offers alternatives), 5 some clusters could not be read (the others are planned), 2 bad
    input.
    """
    opts = ctx.ensure_object(GlobalOptions)
    catalog = load_catalog([*extra_from_env(), *map(Path, extra)])
    clusters, unread, sandboxes = _inventories(
        opts, catalog, fleet_spec, inventory, selection(**live)
    )
    policy = PlanPolicy(
        node_strategy="lockstep" if node_strategy == "lockstep" else "minimal",
        blue_green_after=blue_green_after,
        replace=replace,
        remove=frozenset(remove),
    )
    day = today.date() if today else dt.date.today()

    def adjust(inv: ClusterInventory, plan: ClusterPlan) -> ClusterPlan:
        # A live sandbox can only run the patch releases it was built from.
        return pin_patches(plan, offered_patches()) if inv.name in sandboxes else plan

    with collector_paused():  # planning and printing only build objects (see gcpause)
        goal = resolve_target(catalog, target, day)
        result = plan_fleet(clusters, catalog, goal, policy, adjust)
        _print(opts.output, result)
        keep_to_the_end()  # the command ends here: no collector pass over the plans
    if unread:
        ctx.exit(EXIT_PARTIAL)
    if result.blocked:
        ctx.exit(EXIT_BLOCKED)


def _inventories(
    opts: GlobalOptions,
    catalog: Catalog,
    fleet_spec: Path | None,
    inventory: Path | None,
    live: Selection,
) -> tuple[list[ClusterInventory], int, set[str]]:
    """The clusters to plan, how many selected live clusters could not be read, and which of
    the live ones are sandboxes."""
    chosen = [x for x in (fleet_spec and "--fleet-spec", inventory and "--inventory") if x]
    if live.contexts or live.all_contexts or live.fleet:
        chosen.append("a live selector (--context, --all-contexts, --fleet)")
    if len(chosen) > 1:
        raise UsageError(
            f"give one source of clusters, not {' and '.join(chosen)}",
            hint="pick one of --fleet-spec, --inventory or the live selectors",
        )
    if fleet_spec or inventory:
        with collector_paused():  # reading builds objects only (see gcpause)
            if fleet_spec:
                found = load_fleet_spec(fleet_spec, catalog)
            else:
                assert inventory is not None
                found = load_inventory_dir(inventory, catalog)
            keep_to_the_end()  # they live until the command ends: no collector pass over them
        return found, 0, set()
    results = collect(live, opts, catalog)
    report_failures(results)
    found = [r.inventory for r in results if r.inventory is not None]
    sandboxes = {
        r.inventory.name
        for r in results
        if r.inventory is not None and _is_sandbox(r.target.kubeconfig, r.target.context)
    }
    return found, sum(not r.ok for r in results), sandboxes


def _is_sandbox(kubeconfig: Path | None, context: str | None) -> bool:
    from lightkube import KubeConfig  # live clusters only: a fleet spec plans without a client

    from kubecurrent.sandbox import sandbox_for_server

    try:
        config = KubeConfig.from_file(kubeconfig or default_kubeconfig()).get(context_name=context)
    except Exception:  # an unreadable kubeconfig was reported by the collector already
        return False
    return config is not None and sandbox_for_server(str(config.cluster.server)) is not None


def plan_json(result: FleetPlan) -> bytes:
    """``to_json(result.to_json())`` (``json.dumps(..., indent=2)``), byte for byte, written by
    msgspec from the plan's records (about ten times faster on a 1,000-cluster fleet; a plan's
    JSON holds no floats, ``model/plan.py``) and kept as bytes: the command writes them to
    standard output in one call, never decoded and encoded again."""
    return typed_json_bytes(result.to_records(), result.to_json)


def _print(output: str, result: FleetPlan) -> None:
    if output == "json":
        click.echo(plan_json(result))
    elif output == "markdown":
        click.echo(render_markdown(result), nl=False)
    elif output == "html":
        click.echo(render_html(result), nl=False)
    else:
        emit("table", result.to_json(), lambda: _table(result))


def _table(result: FleetPlan) -> Table:
    rows = []
    for c in result.clusters:
        t = c.totals
        path = " → ".join(c.path()) if c.steps else ("; ".join(c.reasons) or "at target")
        if c.holds:
            path += "; " + "; ".join(hold_text(h) for h in c.holds)
        rows.append(
            [
                c.name,
                c.provider or "-",
                c.status,
                c.from_version,
                c.target,
                t.hops,
                t.node_rolls,
                t.addon_moves,
                t.migrations,
                path,
            ]
        )
    t = result.totals
    rows.append(
        [
            "TOTAL",
            "",
            f"{len(result.blocked)} blocked",
            "",
            result.target,
            t.hops,
            t.node_rolls,
            t.addon_moves,
            t.migrations,
            "",
        ]
    )
    head = [
        "cluster",
        "provider",
        "status",
        "from",
        "target",
        "hops",
        "node rolls",
        "add-on moves",
        "migrations",
        "path / reason",
    ]
    return simple_table(head, rows)

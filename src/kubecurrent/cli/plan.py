"""``kubecurrent plan``: which order and which versions take each cluster to the target.

Exit codes: 0 every plan is ok, 3 at least one cluster is blocked, 2 bad input.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click
from rich.table import Table

from kubecurrent.catalog import Catalog, extra_from_env, load_catalog
from kubecurrent.cli._app import GlobalOptions, output_option
from kubecurrent.cli._output import emit, simple_table
from kubecurrent.collect.fleet_spec import load_fleet_spec, load_inventory_dir
from kubecurrent.errors import UsageError
from kubecurrent.model.inventory import ClusterInventory
from kubecurrent.model.plan import FleetPlan
from kubecurrent.plan import PlanPolicy, plan_fleet, render_html, render_markdown, resolve_target

EXIT_BLOCKED = 3
_LIVE_HINT = (
    "planning from live clusters arrives with the live inventory; for now describe the clusters "
    "in a fleet spec (--fleet-spec FILE) or point --inventory at saved inventories"
)


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
@click.option(
    "--all-contexts",
    is_flag=True,
    help="Every kubeconfig context (needs the live inventory; not yet).",
)
@click.option("--fleet", "fleet_name", help="A named fleet (needs the live inventory; not yet).")
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
@click.option(
    "--today",
    type=click.DateTime(["%Y-%m-%d"]),
    help="The date latest-supported is judged on (default: today).",
)
@click.option(
    "--catalog-extra",
    "extra",
    multiple=True,
    type=click.Path(dir_okay=False),
    help="Extra catalog file (repeatable).",
)
@output_option("table", "markdown", "json", "html")
@click.pass_context
def plan(
    ctx: click.Context,
    fleet_spec: Path | None,
    inventory: Path | None,
    all_contexts: bool,
    fleet_name: str | None,
    target: str,
    node_strategy: str,
    blue_green_after: int,
    replace: tuple[tuple[str, str], ...],
    remove: tuple[str, ...],
    today: dt.datetime | None,
    extra: tuple[str, ...],
) -> None:
    """Plan the upgrade of every cluster to --target: migrations, add-on moves, control-plane
    hops (one minor each), node-pool rolls and checks, each step with its reason.

    Exit codes: 0 every plan is ok, 3 at least one cluster is blocked (the output says why and
    offers alternatives), 2 bad input.
    """
    opts = ctx.ensure_object(GlobalOptions)
    catalog = load_catalog([*extra_from_env(), *map(Path, extra)])
    clusters = _inventories(opts, catalog, fleet_spec, inventory, all_contexts, fleet_name)
    policy = PlanPolicy(
        node_strategy="lockstep" if node_strategy == "lockstep" else "minimal",
        blue_green_after=blue_green_after,
        replace=replace,
        remove=frozenset(remove),
    )
    day = today.date() if today else dt.date.today()
    result = plan_fleet(clusters, catalog, resolve_target(catalog, target, day), policy)
    _print(opts.output, result)
    if result.blocked:
        ctx.exit(EXIT_BLOCKED)


def _inventories(
    opts: GlobalOptions,
    catalog: Catalog,
    fleet_spec: Path | None,
    inventory: Path | None,
    all_contexts: bool,
    fleet_name: str | None,
) -> list[ClusterInventory]:
    if fleet_spec and inventory:
        raise UsageError("give --fleet-spec or --inventory, not both", hint="pick one source")
    if fleet_spec:
        return load_fleet_spec(fleet_spec, catalog)
    if inventory:
        return load_inventory_dir(inventory, catalog)
    if all_contexts or fleet_name or opts.context:
        raise UsageError("plan cannot read live clusters yet", hint=_LIVE_HINT)
    raise UsageError("plan needs clusters to plan", hint=_LIVE_HINT)


def _print(output: str, result: FleetPlan) -> None:
    if output == "markdown":
        click.echo(render_markdown(result), nl=False)
    elif output == "html":
        click.echo(render_html(result), nl=False)
    else:
        emit("json" if output == "json" else "table", result.to_json(), lambda: _table(result))


def _table(result: FleetPlan) -> Table:
    rows = []
    for c in result.clusters:
        t = c.totals
        path = " → ".join(c.path()) if c.steps else ("; ".join(c.reasons) or "at target")
        rows.append(
            [
                c.name,
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

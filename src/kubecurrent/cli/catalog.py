"""``kubecurrent catalog``: show, check, export and update the knowledge kubecurrent relies on."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import click
import yaml
from rich.console import Console
from rich.table import Table

from kubecurrent.catalog import (
    Catalog,
    DirFetcher,
    Fetcher,
    HttpFetcher,
    SupportPhase,
    build,
    catalog_coverage,
    coverage_markdown,
    coverage_tables,
    data_dir,
    disagreements,
    export_catalog,
    extra_from_env,
    load_catalog,
    plan_update,
    staleness_warning,
)
from kubecurrent.cli._app import GlobalOptions, err_console, output_option
from kubecurrent.cli._options import CATALOG_EXTRA
from kubecurrent.cli._output import cell, console, emit, simple_table

SECTIONS = ("releases", "apis", "skew", "addons", "cves", "providers")

extra_option = CATALOG_EXTRA


def _load(extra: tuple[str, ...]) -> Catalog:
    return load_catalog([*extra_from_env(), *map(Path, extra)])


@click.group()
def catalog() -> None:
    """Show, check, export and update the catalog of versions, APIs, skew, add-ons and CVEs."""


def _rows(cat: Catalog, section: str) -> tuple[list[str], list[list[str]]]:
    if section == "releases":
        head = ["VERSION", "RELEASED", "END OF STANDARD SUPPORT", "END OF LIFE", "LATEST PATCH"]
        return head, [
            [
                str(r.version),
                str(r.released),
                str(r.end_of_standard_support),
                str(r.end_of_life),
                str(r.latest_patch).removeprefix("v"),
            ]
            for r in cat.releases
        ]
    if section == "apis":
        head = ["API VERSION", "KIND", "DEPRECATED", "REMOVED", "REPLACEMENT"]
        return head, [
            [
                a.api_version,
                a.kind,
                str(a.deprecated_in),
                str(a.removed_in or "-"),
                a.replacement or "none (see note)",
            ]
            for a in cat.apis
        ]
    if section == "skew":
        head = ["COMPONENT", "RELATIVE TO", "OLDER", "NEWER", "APPLIES"]
        return head, [
            [
                r.component,
                r.relative_to,
                str(r.max_older),
                str(r.max_newer),
                f"{r.applies_from}-{r.applies_until or ''}",
            ]
            for r in cat.skew
        ]
    if section == "addons":
        head = ["NAME", "CATEGORY", "STATUS", "NEWEST", "KUBERNETES"]
        return head, [
            [
                a.name,
                a.category,
                a.status,
                str(a.latest_release().version),
                f"{a.latest_release().kubernetes_min}-{a.latest_release().kubernetes_max}",
            ]
            for a in cat.addons
        ]
    if section == "providers":
        return _provider_rows(cat)
    head = ["CVE", "COMPONENT", "SEVERITY", "FIXED IN", "SUMMARY"]
    return head, [
        [c.id, c.component, c.severity, ", ".join(c.fixed_versions()) or "-", c.summary]
        for c in cat.cves
    ]


def _provider_rows(cat: Catalog) -> tuple[list[str], list[list[str]]]:
    """One row per provider minor; the prices of its phases in the last two columns."""
    head = [
        "PROVIDER",
        "VERSION",
        "AVAILABLE",
        "END OF STANDARD",
        "END OF EXTENDED",
        "USD/MONTH STD / EXT",
    ]
    rows = []
    for r in cat.provider_releases:
        prices = [
            cat.provider_price(r.provider, p)
            for p in (SupportPhase.STANDARD, SupportPhase.EXTENDED)
        ]
        monthly = " / ".join(f"{p.usd_per_cluster_month:.0f}" for p in prices if p is not None)
        rows.append(
            [
                r.provider,
                str(r.version),
                str(r.available),
                str(r.end_of_standard_support),
                str(r.end_of_extended_support) if r.has_extended_support else "none",
                monthly or "-",
            ]
        )
    return head, rows


def _data(cat: Catalog, section: str | None) -> Any:
    exported = export_catalog(cat)
    if section is None:
        return exported
    if section == "providers":
        return exported["providers"]
    if section in ("releases", "skew"):
        return exported["kubernetes"][section]
    return exported[section]


@catalog.command()
@click.argument("section", required=False, type=click.Choice(SECTIONS))
@output_option("table", "wide", "json", "yaml")
@extra_option
@click.pass_obj
def show(opts: GlobalOptions, section: str | None, extra: tuple[str, ...]) -> None:
    """Print the catalog in force (all sections, or one)."""
    cat = _load(extra)
    warning = staleness_warning(cat.meta, dt.date.today())
    if warning:
        err_console().print(f"[bold yellow]warning:[/] {warning}", markup=True, highlight=False)
    if opts.output in ("json", "yaml"):
        data = _data(cat, section)
        text = json.dumps(data, indent=2) if opts.output == "json" else yaml.safe_dump(data)
        click.echo(text.rstrip("\n"))
        return
    console = Console(highlight=False)
    for name in [section] if section else SECTIONS:
        head, rows = _rows(cat, name)
        table = Table(
            *head, title=f"{name} (verified {cat.meta.last_verified})", title_justify="left"
        )
        for row in rows:
            table.add_row(*(cell(v) for v in row))
        console.print(table)


@catalog.command()
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False))
@click.pass_context
def check(click_ctx: click.Context, files: tuple[str, ...]) -> None:
    """Validate the built-in catalog plus FILES; exit non-zero naming file, entry and problem.

    Also compares apis.yaml with upstream's generated API lifecycle (lifecycle.json) and lists
    every disagreement; one that apis.yaml does not explain (upstream_differs:) exits 1.
    """
    cat = _load(files)
    found = disagreements(cat)
    open_ones = [d for d in found if d.recorded is None]
    for d in found:
        head = "note" if d.recorded else "disagreement"
        why = f" (recorded: {d.recorded})" if d.recorded else ""
        click.echo(
            f"{head}: apis.yaml {d.entry}: {d.field} is {d.ours}, upstream says {d.upstream} "
            f"[{d.source}]{why}"
        )
    status = "ok" if not open_ones else f"{len(open_ones)} disagreement(s) with upstream"
    click.echo(
        f"catalog {status}: {len(cat.releases)} releases, {len(cat.apis)} APIs "
        f"({len(cat.lifecycle.apis)} kinds in upstream's lifecycle), {len(cat.skew)} skew "
        f"rules, {len(cat.addons)} add-ons, {len(cat.cves)} CVEs, "
        f"{len(cat.provider_releases)} provider releases"
    )
    if open_ones:
        err_console().print(
            "hint: fix apis.yaml to match upstream, or add upstream_differs: with a source "
            "saying why upstream is wrong",
            markup=False,
            highlight=False,
        )
        click_ctx.exit(1)


@catalog.command()
@output_option("json", "yaml", default="json")
@extra_option
@click.pass_obj
def export(opts: GlobalOptions, extra: tuple[str, ...]) -> None:
    """Print the whole catalog as JSON (use -o json; -o yaml also works)."""
    data = export_catalog(_load(extra))
    if opts.output == "yaml":
        click.echo(yaml.safe_dump(data, sort_keys=False).rstrip("\n"))
    else:
        click.echo(json.dumps(data, indent=2))


@catalog.command()
@output_option("table", "json", "yaml", "markdown")
@extra_option
@click.pass_obj
def coverage(opts: GlobalOptions, extra: tuple[str, ...]) -> None:
    """Entries per section, add-on coverage, unverified facts and add-on data gaps."""
    data = catalog_coverage(_load(extra))
    if opts.output == "markdown":
        click.echo(coverage_markdown(data), nl=False)
        return
    if opts.output in ("json", "yaml"):
        emit(opts.output, data)
        return
    out = console()
    for title, head, rows in coverage_tables(data):
        out.print(simple_table(head, rows, title=title))


@catalog.command()
@click.option(
    "--from-dir",
    type=click.Path(file_okay=False, exists=True),
    help="Read recorded upstream responses from DIR/<host>/<path> instead of the network.",
)
@click.option("--write", is_flag=True, help="Apply the proposed changes to the data files.")
@click.option(
    "--data-dir",
    "target",
    type=click.Path(file_okay=False, exists=True),
    help="Catalog data directory to update (default: the installed one).",
)
def update(from_dir: str | None, write: bool, target: str | None) -> None:
    """Refresh the catalog from upstream sources and print a unified diff for review."""
    root = Path(target) if target else data_dir()
    fetcher: Fetcher = DirFetcher(Path(from_dir)) if from_dir else HttpFetcher()
    result = plan_update(root, fetcher, dt.date.today())
    for note in result.notes:
        err_console().print(f"note: {note}", markup=False, highlight=False)
    diff = result.diff()
    click.echo(diff or "catalog is up to date with its sources", nl=not diff)
    if write and diff:
        written = result.apply(root)
        build(root)  # the proposal must still be a valid catalog; raises naming the entry
        err_console().print(f"wrote {', '.join(written)}", markup=False, highlight=False)

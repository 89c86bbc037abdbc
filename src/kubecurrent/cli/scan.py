"""``kubecurrent scan files``: which manifests, charts and overlays the target version refuses.

Exit codes: 0 nothing at or above ``--fail-on``; 1 an input could not be read or rendered (and
nothing reached the threshold); 2 bad usage; 3 deprecated APIs found (``--fail-on deprecated``);
4 removed APIs found.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any, TypeVar

import click
import yaml

from kubecurrent.analyze import Context
from kubecurrent.analyze.cluster import check_inventory, default_target, limitations
from kubecurrent.analyze.report import (
    ScanReport,
    fleet_page,
    to_html,
    to_junit,
    to_markdown,
    to_sarif,
)
from kubecurrent.catalog import Catalog, extra_from_env, load_catalog
from kubecurrent.cli._app import EXIT_ERROR, EXIT_OK, GlobalOptions, err_console, output_option
from kubecurrent.cli._clusters import (
    EXIT_PARTIAL,
    cluster_options,
    collect,
    report_failures,
    selection,
    summary,
)
from kubecurrent.cli._options import ADDON_VERSION, CATALOG_EXTRA, check_addon_names
from kubecurrent.cli._output import console, simple_table, to_json
from kubecurrent.cli._scan_run import render_options, resolve_target, scan, target_warning
from kubecurrent.collect.cluster import ClusterResult
from kubecurrent.collect.files import ChartDeps, Input, RenderOptions, discover
from kubecurrent.model import MinorVersion
from kubecurrent.model.findings import ScanError, Status

EXIT_DEPRECATED = 3
EXIT_REMOVED = 4
FC = TypeVar("FC", bound=Callable[..., object])
FORMATS = ("table", "wide", "json", "yaml", "markdown", "sarif", "junit")


def exit_code(report: ScanReport, fail_on: str) -> int:
    """Documented exit code for ``report`` under the ``--fail-on`` threshold."""
    if fail_on != "none" and report.count(Status.REMOVED):
        return EXIT_REMOVED
    if fail_on == "deprecated" and report.count(Status.DEPRECATED):
        return EXIT_DEPRECATED
    return EXIT_ERROR if report.errors else EXIT_OK


def _compose(*decorators: Callable[[FC], FC]) -> Callable[[FC], FC]:
    def wrap(f: FC) -> FC:
        for decorator in reversed(decorators):
            f = decorator(f)
        return f

    return wrap


target_options = _compose(
    click.option(
        "--target",
        help="Kubernetes minor to judge against, or 'next' (one above --from). "
        "Default: the newest minor in the catalog.",
    ),
    click.option("--from", "from_version", help="The clusters' current minor, for --target next."),
    CATALOG_EXTRA,
)
render_options_flags = _compose(
    click.option(
        "--values",
        "-f",
        "values",
        multiple=True,
        type=click.Path(dir_okay=False),
        help="Values file for every chart found (repeatable; default: the chart's own values).",
    ),
    click.option("--set", "sets", multiple=True, help="helm --set for every chart (repeatable)."),
    click.option(
        "--helm-binary",
        type=click.Path(dir_okay=False),
        help="helm to render charts with (default: the one `kubecurrent sandbox build` made, "
        "then helm on PATH).",
    ),
    click.option(
        "--kustomize-binary",
        type=click.Path(dir_okay=False),
        help="kustomize to render overlays with (default: as for helm).",
    ),
    click.option(
        "--chart-deps",
        type=click.Choice([d.value for d in ChartDeps]),
        default=ChartDeps.REQUIRE.value,
        show_default=True,
        help="A chart whose dependencies are missing from charts/: 'require' reports it (run "
        "`helm dependency build`); 'skip' renders it without them (their objects are not "
        "checked, and templates reading their values may render differently).",
    ),
    click.option(
        "--kustomize-enable-helm",
        is_flag=True,
        help="Pass --enable-helm to kustomize build (helmCharts in kustomizations), with the "
        "same helm as for charts.",
    ),
)


def run_scan(paths: tuple[str, ...], ctx: Context, opts: RenderOptions) -> ScanReport:
    inputs: list[Input] = []
    errors: list[ScanError] = []
    for item in discover(list(paths)):
        (inputs if isinstance(item, Input) else errors).append(item)  # type: ignore[arg-type]
    report = scan(inputs, ctx, opts)
    report.errors[:0] = errors
    return report


def context_for(
    target: str | None,
    from_version: str | None,
    extra: tuple[str, ...],
    addon_versions: dict[str, str] | None = None,
) -> Context:
    catalog = load_catalog([*extra_from_env(), *extra])
    check_addon_names(catalog, addon_versions or {})
    return Context.build(catalog, resolve_target(catalog, target, from_version), addon_versions)


@click.group("scan")
def scan_group() -> None:
    """Find what the target Kubernetes version will refuse."""


FAIL_ON = click.option(
    "--fail-on",
    type=click.Choice(["removed", "deprecated", "none"]),
    default="removed",
    show_default=True,
    help="Lowest status that makes the exit code non-zero (4 removed, 3 deprecated).",
)


@scan_group.command("files")
@click.argument("paths", nargs=-1, required=True)
@output_option(*FORMATS)
@target_options
@render_options_flags
@ADDON_VERSION
@FAIL_ON
@click.pass_context
def files(
    click_ctx: click.Context,
    paths: tuple[str, ...],
    target: str | None,
    from_version: str | None,
    extra: tuple[str, ...],
    values: tuple[str, ...],
    sets: tuple[str, ...],
    helm_binary: str | None,
    kustomize_binary: str | None,
    addon_versions: dict[str, str],
    chart_deps: str,
    kustomize_enable_helm: bool,
    fail_on: str,
) -> None:
    """Scan manifests, Helm charts and kustomize overlays under PATHS (``-`` reads stdin).

    \b
    Directories are walked; a directory with Chart.yaml is rendered with helm (its kubeVersion
    is checked against the target), one with a kustomization with kustomize. Every flag can be
    set as KUBECURRENT_SCAN_FILES_<FLAG>, e.g. KUBECURRENT_SCAN_FILES_TARGET=1.37.

    \b
    Exit codes: 0 clean (nothing at or above --fail-on)
                1 an input could not be read or rendered
                2 bad usage
                3 deprecated APIs found (with --fail-on deprecated)
                4 removed APIs found
    """
    opts: GlobalOptions = click_ctx.ensure_object(GlobalOptions)
    ctx = context_for(target, from_version, extra, addon_versions)
    warning = target_warning(ctx)
    if warning:
        err_console().print(f"warning: {warning}", markup=False, highlight=False)
    render = render_options(
        helm_binary, kustomize_binary, values, sets, chart_deps, kustomize_enable_helm
    )
    report = run_scan(paths, ctx, render)
    emit_report(report, opts.output)
    click_ctx.exit(exit_code(report, fail_on))


@scan_group.command("cluster")
@cluster_options
@output_option(*FORMATS, "html")
@click.option(
    "--target",
    help="Kubernetes minor to judge against (default: one above each cluster's control plane).",
)
@CATALOG_EXTRA
@FAIL_ON
@click.pass_context
def cluster(
    click_ctx: click.Context, /, target: str | None, extra: tuple[str, ...], fail_on: str, **kw: Any
) -> None:
    """Scan live clusters: API usage (who writes what), add-ons, skew, end of life, CVEs, drains.

    \b
    Clusters as for `kubecurrent inventory` (current context, --context, --all-contexts,
    --fleet FILE). What the credentials may not read is reported as "could not check".

    \b
    Exit codes: 0 clean (nothing at or above --fail-on)
                1 something could not be checked (and nothing reached the threshold)
                2 bad usage
                3 deprecated found (with --fail-on deprecated)
                4 removed found (also: add-ons unsupported at the target, node skew)
                5 partial: some clusters could not be scanned (takes precedence)
    """
    opts: GlobalOptions = click_ctx.ensure_object(GlobalOptions)
    catalog = load_catalog([*extra_from_env(), *extra])
    chosen = MinorVersion.parse(target) if target else None
    results = collect(selection(**kw), opts, catalog)
    today = dt.date.today()
    report = cluster_report(results, catalog, chosen, today)
    if opts.output == "html":
        click.echo(cluster_html(results, report, catalog, chosen, today), nl=False)
    elif opts.output in ("json", "yaml"):
        data = {**report.to_dict(), "clusters": summary(results)}
        click.echo(
            json.dumps(data, indent=2)
            if opts.output == "json"
            else yaml.safe_dump(data, sort_keys=False),
            nl=opts.output == "json",
        )
    else:
        emit_report(report, opts.output)
    report_failures(results)
    code = exit_code(report, fail_on)
    click_ctx.exit(EXIT_PARTIAL if any(not r.ok for r in results) else code)


def cluster_report(
    results: list[ClusterResult], catalog: Catalog, target: MinorVersion | None, today: dt.date
) -> ScanReport:
    newest = catalog.newest_release().version
    report = ScanReport(target=str(target) if target else "next minor of each cluster")
    for inv in (r.inventory for r in results if r.inventory is not None):
        at = target or default_target(inv, newest)
        report.documents += 1
        report.findings += check_inventory(inv, catalog, at, today)
        report.errors += limitations(inv)
    return report


def cluster_html(
    results: list[ClusterResult],
    report: ScanReport,
    catalog: Catalog,
    target: MinorVersion | None,
    today: dt.date,
) -> str:
    """The self-contained HTML page of a cluster scan (``-o html``)."""
    page = fleet_page(
        [r.inventory for r in results if r.inventory is not None],
        report,
        [(r.target.name, r.error or "unknown") for r in results if not r.ok],
        catalog.newest_release().version,
        today,
        target,
    )
    return to_html(page)


def emit_report(report: ScanReport, output: str) -> None:
    if output == "json":
        click.echo(to_json(report.to_dict()))
    elif output == "yaml":
        click.echo(yaml.safe_dump(report.to_dict(), sort_keys=False), nl=False)
    elif output == "sarif":
        click.echo(json.dumps(to_sarif(report), indent=2))
    elif output == "junit":
        click.echo(to_junit(report))
    elif output == "markdown":
        click.echo(to_markdown(report), nl=False)
    else:
        _table(report, wide=output == "wide")


def _table(report: ScanReport, wide: bool) -> None:
    head = ["status", "rule", "object", "location", "replacement"]
    if wide:
        head += ["removed in", "source", "fix"]
    rows = []
    for f in report.sorted_findings():
        row = [
            f.status.value,
            f.rule,
            f"{f.object.api_version} {f.object.label}",
            f"{f.location.file}:{f.location.line}",
            f.replacement or "-",
        ]
        if wide:
            row += [f.removed_in or "-", f.source.value, f.remediation]
        rows.append(row)
    out = console()
    if rows:
        out.print(simple_table(head, rows))
    removed, deprecated = report.count(Status.REMOVED), report.count(Status.DEPRECATED)
    out.print(
        f"target {report.target}: {report.documents} objects, {removed} removed, "
        f"{deprecated} deprecated, {len(report.errors)} unreadable, "
        f"{len(report.skipped)} skipped"
    )
    err = err_console()
    for s in report.skipped:
        if s.reason.is_note:
            err.print(f"note: {s.file}: {s.detail}", markup=False, highlight=False)
    for e in report.errors:
        where = f"{e.file}:{e.line}" if e.line else e.file
        err.print(f"[bold yellow]warning:[/] {where}: {e.message}", markup=True, highlight=False)

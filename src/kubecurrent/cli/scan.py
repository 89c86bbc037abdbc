"""``kubecurrent scan files`` and ``scan cluster``: what the target version refuses.

Exit codes: see ``_exit`` (one table, also the commands' ``--help`` and docs/exit-codes.md).
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click
import msgspec

from kubecurrent.analyze import Context
from kubecurrent.analyze.report import (
    TABLE_COLUMNS,
    WIDE_COLUMNS,
    ScanReport,
    display_path,
    summary_line,
    table_rows,
)
from kubecurrent.catalog import extra_from_env, load_lifecycle, load_scan_facts
from kubecurrent.cli._app import GlobalOptions, err_console, output_option
from kubecurrent.cli._clusters import (
    cluster_options,
    collect,
    report_failures,
    selection,
    summary,
)
from kubecurrent.cli._exit import CLUSTER_CODES, FILES_CODES, ExitCode, help_block, scan_exit_code
from kubecurrent.cli._options import (
    ADDON_VERSION,
    CATALOG_EXTRA,
    NO_HEADERS,
    ONLY_REMOVED,
    TODAY,
    check_addon_names,
)
from kubecurrent.cli._output import print_rows, scan_root, typed_json
from kubecurrent.cli._types import SECONDS
from kubecurrent.collect.files import ChartDeps, KustomizeRemote
from kubecurrent.display import visible, visible_line
from kubecurrent.model import MinorVersion
from kubecurrent.model.findings import ScanError, Status

if TYPE_CHECKING:
    from kubecurrent.catalog import Catalog
    from kubecurrent.collect.cluster import ClusterResult
    from kubecurrent.collect.files import Excluded, ExcludeRules, Input, RenderOptions

FC = TypeVar("FC", bound=Callable[..., object])
FORMATS = ("table", "wide", "json", "yaml", "csv", "markdown", "sarif", "junit")


class View(msgspec.Struct, frozen=True):
    """How the human formats show a report: paths relative to ``root``, header lines or not."""

    root: Path | None = None
    headers: bool = True
    notes: tuple[str, ...] = ()
    """More warnings to print before the summary (clusters that could not be scanned)."""


def exit_code(report: ScanReport, fail_on: str) -> ExitCode:
    """Documented exit code for ``report`` under the ``--fail-on`` threshold."""
    removed, deprecated = report.count(Status.REMOVED), report.count(Status.DEPRECATED)
    return scan_exit_code(removed, deprecated, len(report.errors), fail_on)


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
    click.option(
        "--kustomize-remote",
        type=click.Choice([r.value for r in KustomizeRemote]),
        default=KustomizeRemote.SKIP.value,
        show_default=True,
        help="An overlay naming remote bases or resources (git repositories, URLs): 'skip' "
        "does not build it and never touches the network (a note names the URLs; its own "
        "files are read as they are); 'fetch' lets kustomize fetch them.",
    ),
    click.option(
        "--kustomize-timeout",
        type=SECONDS,
        default=120.0,
        show_default=True,
        help="Seconds one kustomize build may take, fetching remote bases included.",
    ),
    click.option(
        "--render-cache/--no-render-cache",
        default=True,
        show_default=True,
        help="Keep helm and kustomize output (256 MiB at most, least recently used out first), "
        "found again by the content of every file a render may read, so a re-scan renders "
        "only what changed.",
    ),
    click.option(
        "--render-cache-dir",
        type=click.Path(file_okay=False),
        help="Where the render cache is kept (default: $KUBECURRENT_RENDER_CACHE_DIR, else "
        "render/ in kubecurrent's cache directory); a CI job can keep it between runs.",
    ),
)
DEBUG = click.option(
    "--debug",
    is_flag=True,
    help="Print a line per input on stderr: its time, its CPU and its helm/kustomize CPU.",
)
EXCLUDE = click.option(
    "--exclude",
    "exclude",
    multiple=True,
    metavar="GLOB",
    help="Pass over files and directories matching GLOB, relative to each PATH, as .gitignore "
    "matches ('testdata', 'test/e2e/**', '**/*_test.yaml'; a trailing / for directories only); "
    "counted as excluded (repeatable).",
)


def walking(
    paths: tuple[str, ...],
    exclude: ExcludeRules,
    errors: list[ScanError],
    excluded: list[Excluded],
) -> Iterator[Input]:
    """The inputs ``discover`` finds under ``paths``, as it finds them; its errors and what it
    excluded are appended to ``errors`` and ``excluded``."""
    from kubecurrent.collect.files import Excluded, Input, discover  # file scans only

    for item in discover(list(paths), exclude):
        if isinstance(item, Input):
            yield item
        elif isinstance(item, Excluded):
            excluded.append(item)
        else:
            errors.append(item)


def run_scan(
    paths: tuple[str, ...],
    ctx: Context,
    opts: RenderOptions,
    exclude: ExcludeRules | None = None,
    debug: bool = False,
) -> ScanReport:
    """Walk ``paths`` and scan what the walk finds while it goes on."""
    from kubecurrent.cli._scan_run import scan  # file scans only: readers, renderers, pool
    from kubecurrent.collect.files import ExcludeRules

    errors: list[ScanError] = []
    excluded: list[Excluded] = []
    found = walking(paths, exclude or ExcludeRules(), errors, excluded)
    report = scan(found, ctx, opts, stdin="-" in paths, debug=debug)
    report.errors[:0] = errors
    if report.summary is not None:
        report.summary.files.failed += len(errors)
        report.summary.excluded_directories += sum(e.directory for e in excluded)
        report.summary.excluded_files += sum(not e.directory for e in excluded)
    return report


def context_for(
    target: str | None,
    from_version: str | None,
    extra: tuple[str, ...],
    addon_versions: dict[str, str] | None = None,
) -> Context:
    from kubecurrent.cli._scan_run import resolve_target

    facts = load_scan_facts([*extra_from_env(), *extra])
    check_addon_names(facts, addon_versions or {})
    chosen = resolve_target(facts, target, from_version)
    return Context.from_facts(facts, load_lifecycle(), chosen, addon_versions)


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


FILES_HELP = """Scan manifests, Helm charts and kustomize overlays under PATHS (``-`` reads stdin).

\b
Directories are walked; a directory with Chart.yaml is rendered with helm (its kubeVersion
is checked against the target), one with a kustomization with kustomize. Tables show paths
relative to the directory the PATHS have in common. Every flag can be set as
KUBECURRENT_SCAN_FILES_<FLAG>, e.g. KUBECURRENT_SCAN_FILES_TARGET=1.37.

"""
CLUSTER_HELP = """Scan live clusters: API usage (who writes what), add-ons, skew, end of life, CVEs,
drains.

\b
Clusters as for `kubecurrent inventory` (current context, --context, --all-contexts,
--fleet FILE). What the credentials may not read is reported as "could not check".

"""


@scan_group.command("files", help=FILES_HELP + help_block(FILES_CODES))
@click.argument("paths", nargs=-1, required=True)
@output_option(*FORMATS)
@target_options
@render_options_flags
@EXCLUDE
@ADDON_VERSION
@FAIL_ON
@ONLY_REMOVED
@NO_HEADERS
@DEBUG
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
    kustomize_remote: str,
    kustomize_timeout: float,
    render_cache: bool,
    render_cache_dir: str | None,
    exclude: tuple[str, ...],
    fail_on: str,
    only_removed: bool,
    no_headers: bool,
    debug: bool,
) -> None:
    from kubecurrent.cli._scan_run import refuse_empty_paths, render_options, target_warning
    from kubecurrent.collect.files import ExcludeRules

    opts: GlobalOptions = click_ctx.ensure_object(GlobalOptions)
    refuse_empty_paths(paths, "scan")
    rules = ExcludeRules.parse(exclude)
    ctx = context_for(target, from_version, extra, addon_versions)
    warning = target_warning(ctx)
    if warning:
        err_console().print(f"warning: {warning}", markup=False, highlight=False)
    render = render_options(
        helm_binary,
        kustomize_binary,
        values,
        sets,
        chart_deps,
        kustomize_enable_helm,
        kustomize_remote,
        kustomize_timeout,
        render_cache,
        render_cache_dir,
    )
    report = run_scan(paths, ctx, render, rules, debug)
    shown = report.only_removed() if only_removed else report
    view = View(scan_root(paths), headers=not no_headers)
    emit_report(shown, opts.output, view)
    click_ctx.exit(exit_code(shown, fail_on))


@scan_group.command("cluster", help=CLUSTER_HELP + help_block(CLUSTER_CODES))
@cluster_options
@output_option(*FORMATS, "html")
@click.option(
    "--target",
    help="Kubernetes minor to judge against (default: one above each cluster's control plane).",
)
@CATALOG_EXTRA
@FAIL_ON
@ONLY_REMOVED
@NO_HEADERS
@TODAY
@click.pass_context
def cluster(
    click_ctx: click.Context,
    /,
    target: str | None,
    extra: tuple[str, ...],
    fail_on: str,
    only_removed: bool,
    no_headers: bool,
    today: dt.datetime | None,
    **kw: Any,
) -> None:
    from kubecurrent.catalog import load_catalog  # cluster scans only: the whole catalog
    from kubecurrent.cli._support import support_json, support_table

    opts: GlobalOptions = click_ctx.ensure_object(GlobalOptions)
    catalog = load_catalog([*extra_from_env(), *extra])
    chosen = MinorVersion.parse(target) if target else None
    results = collect(selection(**kw), opts, catalog)
    day = today.date() if today else dt.date.today()
    report = cluster_report(results, catalog, chosen, day)
    shown = report.only_removed() if only_removed else report
    if opts.output == "html":
        click.echo(cluster_html(results, report, catalog, chosen, day), nl=False)
    elif opts.output in ("json", "yaml"):
        data = {**shown.to_dict(), "clusters": summary(results)}
        data["support"] = support_json(results, catalog, day)
        click.echo(
            json.dumps(data, indent=2) if opts.output == "json" else _yaml_text(data),
            nl=opts.output == "json",
        )
    else:
        notes = tuple(
            f"not scanned: {r.target.name}: {r.error or 'unknown'}" for r in results if not r.ok
        )
        emit_report(shown, opts.output, View(headers=not no_headers, notes=notes))
        support_table(results, catalog, day)
    if opts.output not in ("table", "wide"):
        report_failures(results)
    code = exit_code(shown, fail_on)
    click_ctx.exit(ExitCode.PARTIAL if any(not r.ok for r in results) else code)


def cluster_report(
    results: list[ClusterResult], catalog: Catalog, target: MinorVersion | None, today: dt.date
) -> ScanReport:
    from kubecurrent.analyze.cluster import check_inventory, default_target, limitations

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
    from kubecurrent.analyze.cluster import fleet_support
    from kubecurrent.analyze.report import fleet_page, to_html

    invs = [r.inventory for r in results if r.inventory is not None]
    page = fleet_page(
        invs,
        report,
        [(r.target.name, r.error or "unknown") for r in results if not r.ok],
        catalog.newest_release().version,
        today,
        target,
        support=fleet_support(invs, catalog, today),
    )
    return to_html(page)


def emit_report(report: ScanReport, output: str, view: View | None = None) -> None:
    """``report`` in the ``output`` format on standard output (the writers of the formats not
    chosen are not imported). JSON and SARIF hold only strings, integers, booleans and nulls
    (``typed_json``)."""
    view = view or View()
    if output == "json":
        click.echo(typed_json(report.to_dict()))
    elif output == "yaml":
        click.echo(_yaml_text(report.to_dict()), nl=False)
    elif output == "csv":
        from kubecurrent.analyze.report import to_csv

        click.echo(to_csv(report, headers=view.headers), nl=False)
    elif output == "sarif":
        from kubecurrent.analyze.report import to_sarif

        click.echo(typed_json(to_sarif(report)))
    elif output == "junit":
        from kubecurrent.analyze.report import to_junit

        click.echo(to_junit(report))
    elif output == "markdown":
        from kubecurrent.analyze.report import to_markdown

        click.echo(to_markdown(report), nl=False)
    else:
        _table(report, output == "wide", view)


def _yaml_text(data: dict[str, Any]) -> str:
    import yaml  # only when YAML is asked for

    return yaml.safe_dump(data, sort_keys=False)


def _table(report: ScanReport, wide: bool, view: View) -> None:
    """The findings, then the notes and warnings (stderr), then the summary line (stdout;
    stderr with --no-headers, so that stdout holds only rows)."""
    rows = table_rows(report, wide, view.root)
    if rows:
        columns = WIDE_COLUMNS if wide else TABLE_COLUMNS
        print_rows(columns, rows, view.headers, wrap=not wide)
    err = functools.cache(err_console)  # rich only when something goes to stderr
    for s in (s for s in report.skipped if s.reason.is_note):
        where = display_path(s.file, view.root) + (f":{s.line}" if s.line else "")
        err().print(visible_line(f"note: {where}: {s.detail}"), markup=False, highlight=False)
    for e in report.errors:
        where = display_path(e.file, view.root) + (f":{e.line}" if e.line else "")
        err().print("[bold yellow]warning:[/] ", markup=True, highlight=False, end="")
        err().print(visible(f"{where}: {e.message}"), markup=False, highlight=False)
    for note in view.notes:
        err().print("[bold yellow]warning:[/] ", markup=True, highlight=False, end="")
        err().print(note, markup=False, highlight=False)
    relative = f" (paths relative to {view.root})" if rows and view.root else ""
    line = summary_line(report) + relative
    if view.headers:
        click.echo(line)
    else:
        err().print(line, markup=False, highlight=False)

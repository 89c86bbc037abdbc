"""``kubecurrent rehearse``: replay a cluster's own objects through every hop to the target on
real API servers (a local twin), and hand over the evidence.

Exit codes: 0 every hop reached and nothing refused; 4 something was refused or could not be
read back at some hop; 1 the rehearsal stopped before the target (a twin upgrade failed);
2 bad usage.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import click

from kubecurrent.cli._app import GlobalOptions, err_console, interruptible, output_option
from kubecurrent.cli._options import TIMEOUT, global_flags
from kubecurrent.cli._output import console, simple_table
from kubecurrent.cli._scan_run import render_options
from kubecurrent.cli._types import COUNT
from kubecurrent.errors import UsageError
from kubecurrent.model import MinorVersion

if TYPE_CHECKING:
    from kubecurrent.rehearse import Manifest

EXIT_REFUSED = 4
EXIT_STOPPED = 1


def _names(_: click.Context, __: click.Parameter, value: str | None) -> frozenset[str]:
    return frozenset(v.strip() for v in (value or "").split(",") if v.strip())


@click.command(
    epilog="\b\nExit codes:\n  0  every hop reached, nothing refused\n  1  stopped before the "
    "target (a twin upgrade failed)\n  2  bad usage\n  4  refused or unreadable at some hop"
)
@click.option("--target", help="The Kubernetes minor to rehearse up to (1.37).")
@click.option(
    "--plan",
    "plan_file",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="Walk the control-plane hops of this plan (`kubecurrent plan -o json`) instead of "
    "--target: the cluster's plan (the only one, or the one of --name / the context).",
)
@click.option(
    "--manifests",
    multiple=True,
    type=click.Path(exists=True, path_type=Path),
    help="Files, directories, charts or overlays also applied (server-side dry run) at every "
    "hop, charts rendered for that hop's version. Repeatable.",
)
@click.option(
    "--namespaces",
    callback=_names,
    help="Only these namespaces (comma-separated) and cluster-wide objects.",
)
@click.option(
    "--kinds",
    callback=_names,
    help="Only these kinds or resources (comma-separated: Deployment,configmaps); namespaces "
    "and CRDs are always copied.",
)
@click.option(
    "--webhooks",
    type=click.Choice(["ignore", "fail"]),
    default="ignore",
    show_default=True,
    help="Admission and conversion webhooks' backends do not run in the twin: ignore them "
    "(reported with what they gate) or keep their failure policy (refusals show).",
)
@click.option(
    "--report",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the evidence to this file: .md (Markdown), .html or .json.",
)
@click.option(
    "--name",
    help="The cluster's name in the evidence [default: the context]: the name the fleet file "
    "gives it, so `rollout start --rehearsal FILE` matches it.",
)
@click.option("--workers", type=COUNT, default=8, show_default=True, help="Requests at once.")
@TIMEOUT
@output_option("table", "markdown", "json")
@global_flags
@click.pass_obj
def rehearse(
    g: GlobalOptions,
    target: str | None,
    plan_file: Path | None,
    manifests: tuple[Path, ...],
    namespaces: frozenset[str],
    kinds: frozenset[str],
    webhooks: str,
    report: Path | None,
    name: str | None,
    workers: int,
    timeout: float,
) -> None:
    """Rehearse the upgrade of one cluster on a twin built from its own objects.

    Reads every object the credentials may read (Secrets' data never copied: placeholders of
    the same keys), starts a local control plane at the cluster's minor with the cluster's
    extra API versions, loads the copy, and walks every control-plane hop to --target through
    the real upgrade path. At each hop the twin's API server is asked to read every object
    back, to accept it again (dry run), to accept it through the API version its writers used,
    and to accept --manifests. The cluster itself is only read.
    """
    from kubecurrent import rehearse as rh
    from kubecurrent.catalog import extra_from_env, load_catalog
    from kubecurrent.collect.cluster import ClusterTarget, connection, kubeconfig_contexts

    if (target is None) == (plan_file is None):
        raise UsageError(
            "give --target X.Y or --plan FILE (one of them)",
            hint="e.g. `kubecurrent rehearse --context prod --target 1.37`",
        )
    if report is not None and report.suffix not in (".md", ".json", ".html"):
        raise UsageError(
            f"--report {report}: unknown format", hint="name a .md, .html or .json file"
        )
    kubeconfig = Path(g.kubeconfig) if g.kubeconfig else None
    contexts, current = kubeconfig_contexts(kubeconfig)
    context = g.context or current
    if not context or context not in contexts:
        raise UsageError(
            f"no kubeconfig context {context!r}" if context else "no current kubeconfig context",
            hint="choose one with --context (see `kubectl config get-contexts`)",
        )
    minor = (
        MinorVersion.parse(target)
        if target is not None
        else _plan_target(plan_file, name or context)
    )
    catalog = load_catalog(extra=extra_from_env())
    opts = rh.RehearseOptions(
        target=minor,
        namespaces=namespaces,
        kinds=frozenset(k.lower() for k in kinds),
        webhooks=rh.WebhookMode(webhooks),
        workers=workers,
        manifests=_manifests(manifests) if manifests else None,
        builtin_groups=frozenset(catalog.lifecycle.groups()),
    )
    progress = err_console()
    interruptible()  # SIGTERM too: the twin is stopped and removed on the way out
    source = rh.Kube(
        connection(ClusterTarget(name=context, kubeconfig=kubeconfig, context=context)),
        f"cluster {context}",
        timeout=timeout,
    )
    try:
        result = rh.rehearse(
            source,
            name or context,
            opts,
            lambda start, extra: rh.Twin(rh.twin_name(), start, extra),
            lambda line: progress.print(line, markup=False, highlight=False),
        )
    finally:
        source.close()
    result.manifests = tuple(str(p) for p in manifests)
    if report is not None:
        render = {".json": rh.render_json, ".html": rh.render_html}.get(
            report.suffix, rh.render_markdown
        )
        text = render(result)
        from kubecurrent.textfile import write_atomic

        write_atomic(report, text)
    if g.output == "json":
        click.echo(rh.render_json(result), nl=False)
    elif g.output == "markdown":
        click.echo(rh.render_markdown(result), nl=False)
    else:
        _table(result)
    if result.interrupted:
        raise SystemExit(EXIT_STOPPED)
    if not result.ok():
        raise SystemExit(EXIT_REFUSED)


def _plan_target(path: Path | None, cluster: str) -> MinorVersion:
    """The last control-plane hop of the cluster's plan (each hop is one minor, walked in
    order from the cluster's own minor, as the plan does)."""
    from kubecurrent.cli._plan_file import load_cluster_plan

    assert path is not None
    plan = load_cluster_plan(path, cluster)
    if plan.status == "blocked":
        raise UsageError(
            f"{path}: the plan of {plan.name} is blocked: {'; '.join(plan.reasons)}",
            hint="resolve what blocks it, or rehearse with --target to see what the API "
            "servers say anyway",
        )
    hops = [s.to for s in plan.steps if s.type == "control-plane" and s.to]
    if not hops:
        raise UsageError(
            f"{path}: the plan of {plan.name} has no control-plane hop",
            hint="nothing to rehearse: the cluster is at the plan's target already",
        )
    return MinorVersion.parse(".".join(hops[-1].removeprefix("v").split(".")[:2]))


def _manifests(paths: tuple[Path, ...]) -> Callable[[MinorVersion], Iterator[Manifest]]:
    from kubecurrent.collect.files import Document, Excluded, discover, read_input
    from kubecurrent.model.findings import ScanError
    from kubecurrent.rehearse import Manifest

    base = render_options(None, None, (), ())
    told: set[str] = set()

    def at(minor: MinorVersion) -> Iterator[Manifest]:
        import dataclasses

        opts = dataclasses.replace(base, kube_version=f"{minor}.0")
        for inp in discover([str(p) for p in paths]):
            if isinstance(inp, Excluded):
                continue
            items = [inp] if isinstance(inp, ScanError) else read_input(inp, opts)
            for item in items:
                if isinstance(item, Document):
                    yield Manifest(item.data, f"{item.file}:{item.line}")
                elif isinstance(item, ScanError) and item.message not in told:
                    told.add(item.message)
                    err_console().print(
                        f"warning: {item.file}: {item.message}", markup=False, highlight=False
                    )

    return at


def _table(r: object) -> None:
    from kubecurrent.display import visible_line
    from kubecurrent.rehearse import Rehearsal

    assert isinstance(r, Rehearsal)
    out = console()
    out.print(
        f"Rehearsal of {visible_line(r.cluster)} ({r.source_version}) to {r.target}: "
        f"{r.objects} objects copied; {r.start_note}",
        markup=False,
        highlight=False,
    )
    rows = [
        [h.version, h.accepted, len(h.refused()), len(h.warned()), len(h.unreadable()), h.seconds]
        for h in r.hops
    ]
    out.print(simple_table(["hop", "accepted", "refused", "warned", "unreadable", "seconds"], rows))
    problems = [
        [h.version, str(o.verdict), str(o.check), visible_line(str(o.ref)), visible_line(o.message)]
        for h in r.hops
        for o in h.outcomes
    ]
    problems += [
        ["load", "refused", "load", visible_line(str(o.ref)), visible_line(o.message)]
        for o in r.load_refused
    ]
    if problems:
        out.print(simple_table(["hop", "verdict", "check", "object", "API server says"], problems))
    unread = [n for n in r.not_copied if n.reason.startswith("cannot list")]
    for n in unread:
        out.print(f"not copied: {n.what}: {visible_line(n.reason)}", markup=False, highlight=False)
    if r.interrupted:
        out.print(f"stopped: {visible_line(r.interrupted)}", markup=False, highlight=False)

"""Shared by ``inventory`` and ``scan cluster``: which clusters, how to read them, progress.

Exit code 5 ("partial") means at least one selected cluster could not be collected; the
others were, and their results are printed. The cluster client (lightkube, httpx) is imported
only when clusters are read, so that commands which merely offer these options start fast.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO, TypeVar

import click

from kubecurrent.cli._app import err_console
from kubecurrent.cli._options import KUBECONFIG, GlobalOptions
from kubecurrent.cli._types import COUNT, SECONDS
from kubecurrent.errors import ClusterError, UsageError

if TYPE_CHECKING:
    from kubecurrent.catalog import Catalog
    from kubecurrent.collect.clouds import CloudSelector
    from kubecurrent.collect.cluster import ClusterResult, ClusterTarget, FleetWorkers

EXIT_PARTIAL = 5
FC = TypeVar("FC", bound=Callable[..., Any])


@dataclass(frozen=True)
class Selection:
    contexts: tuple[str, ...]
    all_contexts: bool
    fleet: str | None
    pool_label: str | None
    no_secrets: bool
    helm_all_revisions: bool
    no_metrics: bool
    audit_log: str | None
    timeout: float
    concurrency: int
    workers: int | None = None
    discover: str | None = None
    regions: str | None = None
    all_regions: bool = False
    profile: str | None = None
    projects: str | None = None
    subscriptions: str | None = None


DISCOVER_KEYS = ("discover", "regions", "all_regions", "profile", "projects", "subscriptions")
"""The ``Selection`` fields the discovery options fill."""


def cluster_options(f: FC) -> FC:
    options = [
        KUBECONFIG,
        click.option(
            "--context",
            "contexts",
            multiple=True,
            help="Kubeconfig context to read (repeatable; default: the current one).",
        ),
        click.option("--all-contexts", is_flag=True, help="Every context in the kubeconfig."),
        click.option(
            "--fleet",
            type=click.Path(dir_okay=False, exists=True),
            help="Fleet file naming clusters (see docs/cluster-scan.md).",
        ),
        *discover_options(),
        click.option("--pool-label", help="Node label naming node pools (before built-ins)."),
        click.option("--no-secrets", is_flag=True, help="Do not read Helm release Secrets."),
        click.option(
            "--helm-all-revisions",
            is_flag=True,
            help="Check every Helm release revision, not only the latest deployed.",
        ),
        click.option("--no-metrics", is_flag=True, help="Do not read the API server's /metrics."),
        click.option(
            "--audit-log",
            type=click.Path(dir_okay=False, exists=True),
            help="Audit log (JSON lines) of the cluster; single cluster only.",
        ),
        click.option(
            "--timeout",
            type=SECONDS,
            default=120.0,
            show_default=True,
            help="Seconds for collecting one cluster (a fleet file sets its own).",
        ),
        click.option(
            "--concurrency",
            type=COUNT,
            default=8,
            show_default=True,
            help="Clusters collected at the same time.",
        ),
        click.option(
            "--workers",
            type=click.IntRange(min=0),
            default=None,
            help="Worker processes reading a fleet (Linux), each one cluster at a time; 0: "
            "read in this process [default: one per cluster read at once with 3 or more "
            "cores, none on fewer].",
        ),
    ]
    for option in reversed(options):
        f = option(f)
    return f


def discover_options() -> list[Callable[[FC], FC]]:
    """``--discover eks,gke,aks`` with each cloud's scope: ``--regions``, ``--all-regions`` and
    ``--profile`` (EKS), ``--projects`` (GKE), ``--subscriptions`` (AKS)."""
    return [
        click.option(
            "--discover",
            envvar="KUBECURRENT_DISCOVER",
            help="Find the clusters through cloud APIs, comma-separated: eks (every Amazon EKS "
            "cluster of the account in --regions), gke (every GKE cluster of --projects), aks "
            "(every AKS cluster of --subscriptions); see docs/clouds.md.",
        ),
        click.option(
            "--regions",
            envvar="KUBECURRENT_REGIONS",
            help="EKS: regions to discover in, comma-separated [default: the AWS profile's "
            "region].",
        ),
        click.option(
            "--all-regions",
            is_flag=True,
            help="EKS: discover in every region EKS is offered in (botocore's list, no AWS call).",
        ),
        click.option(
            "--profile",
            envvar="AWS_PROFILE",
            help="EKS: AWS profile of the credentials to discover and connect with.",
        ),
        click.option(
            "--projects",
            envvar="KUBECURRENT_GKE_PROJECTS",
            help="GKE: Google Cloud projects to discover in (every location), comma-separated.",
        ),
        click.option(
            "--subscriptions",
            envvar="KUBECURRENT_AKS_SUBSCRIPTIONS",
            help="AKS: Azure subscriptions to discover in (every resource group), comma-separated.",
        ),
    ]


def selection(**kw: Any) -> Selection:
    return Selection(**{k: kw[k] for k in Selection.__dataclass_fields__ if k in kw})


def _split(text: str | None) -> tuple[str, ...]:
    return tuple(p.strip() for p in (text or "").split(",") if p.strip())


def selectors(sel: Selection) -> list[CloudSelector]:
    """The clouds ``--discover`` names, each with its scope; bad combinations are refused."""
    from kubecurrent.collect.clouds import PROVIDERS, AksSelector, EksSelector, GkeSelector

    clouds = _split(sel.discover)
    unknown = [c for c in clouds if c not in PROVIDERS]
    if unknown:
        raise UsageError(
            f"--discover {sel.discover}: unknown cloud {unknown[0]!r}",
            hint="give a comma-separated list of eks, gke, aks",
        )
    stray = [
        (flag, cloud)
        for flag, given, cloud in (
            ("--regions", sel.regions, "eks"),
            ("--all-regions", sel.all_regions, "eks"),
            ("--projects", sel.projects, "gke"),
            ("--subscriptions", sel.subscriptions, "aks"),
        )
        if given and cloud not in clouds
    ]
    if stray:
        flag, cloud = stray[0]
        raise UsageError(f"{flag} goes with --discover {cloud}", hint=f"add --discover {cloud}")
    out: list[CloudSelector] = []
    if "eks" in clouds:
        out.append(EksSelector(_split(sel.regions), sel.all_regions, sel.profile))
    if "gke" in clouds:
        if not _split(sel.projects):
            raise UsageError(
                "--discover gke needs the projects to look in",
                hint="pass --projects P,… (`gcloud projects list` names them)",
            )
        out.append(GkeSelector(_split(sel.projects)))
    if "aks" in clouds:
        if not _split(sel.subscriptions):
            raise UsageError(
                "--discover aks needs the subscriptions to look in",
                hint="pass --subscriptions S,… (`az account list` names them)",
            )
        out.append(AksSelector(_split(sel.subscriptions)))
    return out


def discovered(sel: Selection, known: list[ClusterTarget]) -> list[ClusterTarget]:
    """The clusters ``--discover`` finds; a region, project or subscription that cannot be
    listed is reported and the others go on."""
    chosen = selectors(sel)
    if not chosen:
        return []
    from kubecurrent.collect.clouds import CloudRef, discover, title_of
    from kubecurrent.collect.cluster import cloud_targets

    found: list[CloudRef] = []
    failed = 0
    for selector in chosen:
        title = title_of(selector.provider)
        try:
            result = discover(selector)
        except ClusterError as exc:  # the whole cloud failed (no credentials...): others go on
            err_console().print(
                f"not discovered: {title}: {exc.message}" + (f" ({exc.hint})" if exc.hint else ""),
                markup=False,
                highlight=False,
            )
            failed += 1
            continue
        for scope, reason in result.failed:
            err_console().print(
                f"not discovered: {title} in {scope}: {reason}", markup=False, highlight=False
            )
        failed += len(result.failed)
        found += result.clusters
    if failed and not found and not known:
        raise ClusterError(
            "no cluster could be listed in any region, project or subscription asked",
            hint="see the reasons above",
        )
    return cloud_targets(found, known=known)


def targets(sel: Selection, opts: GlobalOptions) -> list[ClusterTarget]:
    from kubecurrent.collect.cluster import ClusterTarget, kubeconfig_contexts, load_fleet_file

    kubeconfig = Path(opts.kubeconfig) if opts.kubeconfig else None
    audit = Path(sel.audit_log) if sel.audit_log else None
    if sel.fleet:
        found = load_fleet_file(Path(sel.fleet), kubeconfig)
        found += discovered(sel, found)
    elif sel.discover:
        found = discovered(sel, [])
    else:
        names, current = kubeconfig_contexts(kubeconfig)
        chosen = list(sel.contexts) or ([opts.context] if opts.context else [])
        if sel.all_contexts:
            chosen = names
        if not chosen:
            if not current:
                raise UsageError(
                    "the kubeconfig has no current context",
                    hint="pass --context NAME or --all-contexts",
                )
            chosen = [current]
        missing = [c for c in chosen if c not in names]
        if missing:
            raise UsageError(
                f"no such kubeconfig context: {', '.join(missing)}",
                hint=f"known: {', '.join(names)}",
            )
        found = [ClusterTarget(name=c, kubeconfig=kubeconfig, context=c) for c in chosen]
    if audit is not None:
        if len(found) != 1:
            raise UsageError(
                "--audit-log reads one cluster's log",
                hint="select one cluster, or set auditLog per cluster in the fleet file",
            )
        found = [ClusterTarget(**{**found[0].__dict__, "audit_log": audit})]
    if sel.fleet:  # the fleet file's timeouts (default 120 s) apply
        return found
    return [ClusterTarget(**{**t.__dict__, "timeout": sel.timeout}) for t in found]


def collect(sel: Selection, opts: GlobalOptions, catalog: Catalog) -> list[ClusterResult]:
    """Every selected cluster's result; a fleet is read in worker processes (every core) when
    there are several clusters and cores, else in this process."""
    import asyncio
    from contextlib import nullcontext

    from kubecurrent.collect.cluster import CollectOptions, collect_fleet

    chosen = targets(sel, opts)
    copts = CollectOptions(
        pool_label=sel.pool_label,
        read_secrets=not sel.no_secrets,
        all_helm_revisions=sel.helm_all_revisions,
        read_metrics=not sel.no_metrics,
    )
    pool: AbstractContextManager[FleetWorkers | None] = nullcontext()
    if len(chosen) > 1:  # one cluster is read here: the worker pool is not even loaded
        from kubecurrent.collect.cluster import FleetWorkers, fleet_workers

        count = fleet_workers(len(chosen), sel.concurrency, asked=sel.workers)
        pool = FleetWorkers(catalog, copts, count) if count else nullcontext()
    # The workers are forked before the progress bar starts its thread.
    with (
        pool as workers,
        progress(chosen) as tell,
    ):
        if workers is not None:
            return workers.collect(chosen, tell)
        return asyncio.run(collect_fleet(chosen, catalog, copts, tell, sel.concurrency))


def may_draw(environ: Mapping[str, str], stderr: TextIO) -> bool:
    """Whether a progress bar could be drawn on ``stderr``: a terminal, or an environment
    variable rich reads to decide it (``TTY_COMPATIBLE``, ``FORCE_COLOR``). When not, rich is
    not imported at all (measured: 2.1 MiB of a cluster scan's peak memory)."""
    if environ.get("TTY_COMPATIBLE") or "FORCE_COLOR" in environ:
        return True  # rich decides
    isatty = getattr(stderr, "isatty", None)
    return bool(isatty and isatty())


def _silent(target: ClusterTarget, what: str) -> None:
    """Progress nobody sees."""


@contextmanager
def progress(chosen: list[ClusterTarget]) -> Iterator[Callable[[ClusterTarget, str], None]]:
    """A spinner per cluster on stderr, or ``_silent`` where none could be drawn."""
    if not may_draw(os.environ, sys.stderr):
        yield _silent
        return
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    console = err_console()
    columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
    with Progress(
        *columns, console=console, transient=True, disable=not console.is_terminal
    ) as bar:
        tasks = {t.name: bar.add_task(f"{t.name}: waiting", total=1) for t in chosen}

        def tell(t: ClusterTarget, what: str) -> None:
            bar.update(
                tasks[t.name],
                description=f"{t.name}: {what}",
                completed=0 if what == "started" else 1,
            )

        yield tell


def report_failures(results: list[ClusterResult]) -> None:
    failed = [r for r in results if not r.ok]
    if not failed:
        return
    err = err_console()
    for r in failed:
        err.print(
            f"[bold yellow]not scanned:[/] {r.target.name}: {r.error}", markup=True, highlight=False
        )
    done = len(results) - len(failed)
    err.print(
        f"{done} of {len(results)} clusters collected; not scanned: "
        f"{', '.join(r.target.name for r in failed)}",
        highlight=False,
    )


def summary(results: list[ClusterResult]) -> list[dict[str, Any]]:
    return [
        {
            "cluster": r.target.name,
            "context": r.target.context,
            **(r.target.cloud.to_json() if r.target.cloud else {}),
            "labels": dict(r.target.labels),
            "scanned": r.ok,
            **({"reason": r.error} if r.error else {}),
        }
        for r in results
    ]

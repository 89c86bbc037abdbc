"""``kubecurrent demo``: the whole story on its embedded default, a local sandbox fleet.

It builds any missing binaries, brings the demo fleet up at its old versions (recreating it if
an earlier demo already upgraded it), prints each cluster's state next to what the catalog says
about its version, then seeds workloads and an add-on, scans, plans, rolls the fleet out to
Kubernetes 1.37 in two waves with a canary, writes the change record and scans again
(``cli/_demo_story.py``). It ends with where the HTML reports are.
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import Any

import click
from rich.console import Console

from kubecurrent import sandbox as sb
from kubecurrent.catalog import load_catalog
from kubecurrent.cli._app import GlobalOptions, interruptible, output_option
from kubecurrent.cli._demo_story import TARGET, Story, demo_dir
from kubecurrent.cli._options import FLEET_FILE, TIMEOUT
from kubecurrent.cli._output import emit, simple_table
from kubecurrent.model import KubeVersion
from kubecurrent.sandbox import _fleet
from kubecurrent.sandbox._build import cached_paths


def _ensure_fleet(path: Path | None, timeout: float, console: Console) -> _fleet.FleetSpec:
    spec = sb.load_spec(path)
    _build_missing(spec, console)
    states = {c.name: sb.load(c.name) for c in spec.clusters}
    fresh = all(
        s is not None
        and s.phase() == "running"
        and str(KubeVersion.parse(s.version).minor_version) == c.version
        for c, s in zip(spec.clusters, states.values(), strict=True)
    )
    if fresh:
        console.print(f"fleet {spec.name} is already running at its starting versions; reusing it")
        return spec
    for name, state in states.items():  # stale leftovers, or a fleet an earlier demo upgraded
        if state is not None:
            sb.down(name)
    started = time.monotonic()
    with console.status(f"starting the {spec.name} fleet ({len(spec.clusters)} sandboxes)..."):
        _fleet.up(
            spec,
            timeout,
            lambda s: console.print(
                f"  {s.name}: Kubernetes {s.version} at {s.server} "
                f"({time.monotonic() - started:.0f}s)"
            ),
        )
    console.print(f"fleet {spec.name} up in {time.monotonic() - started:.1f}s")
    return spec


def _build_missing(spec: _fleet.FleetSpec, console: Console) -> None:
    """Build the binaries the fleet and its rollout need (each only once, then cached)."""
    minors = sorted({c.version for c in spec.clusters} | {"1.36", TARGET}, key=KubeVersion.parse)
    low = KubeVersion.parse(minors[0]).minor_version
    high = KubeVersion.parse(TARGET).minor_version
    path = [str(low.offset(i)) for i in range(low.distance(high) + 1)]
    for component in sb.all_components(path):
        if cached_paths(component) is not None:
            continue
        with console.status(f"building {component.key} {component.version} (first run only)..."):
            for _result in sb.build(component, lambda _b, _d, _t: None):
                pass


def _cluster_row(spec: _fleet.ClusterSpec, today: dt.date) -> dict[str, Any]:
    catalog = load_catalog()
    report = sb.status(sb.require(spec.name))
    version = KubeVersion.parse(report.get("served_version", report["version"]))
    release = catalog.release(version.minor_version)
    newest = catalog.newest_release()
    pools = {
        name: {"nodes": f"{p['ready']}/{p['total']}", "kubelet": sorted(p["kubelet"])}
        for name, p in report.get("live_nodes", {}).items()
    }
    return {
        "name": spec.name,
        "labels": spec.labels,
        "version": str(version),
        "minors_behind_newest": version.minor_version.distance(newest.version),
        "end_of_life": str(release.end_of_life) if release else None,
        "days_to_end_of_life": (release.end_of_life - today).days if release else None,
        "pools": pools,
        "memory_mib": report["memory_mib"],
    }


@click.command()
@FLEET_FILE
@click.option("--down", is_flag=True, help="Stop the demo fleet instead.")
@click.option(
    "--fleet-only",
    is_flag=True,
    help="Only bring the fleet up and show it (no scan, plan, rollout).",
)
@TIMEOUT
@output_option()
@click.pass_obj
def demo(
    opts: GlobalOptions, path: Path | None, down: bool, fleet_only: bool, timeout: float
) -> None:
    """The whole story on a local sandbox fleet: up, seed, scan, plan, roll out, report.

    Stop the fleet with --down.
    """
    interruptible()
    console = Console(stderr=True, highlight=False)
    if down:
        for name in _fleet.down(sb.load_spec(path).name):
            console.print(f"sandbox {name} stopped and removed")
        return
    spec = _ensure_fleet(path, timeout, console)
    today = dt.datetime.now(dt.UTC).date()
    rows = [_cluster_row(c, today) for c in spec.clusters]

    def table() -> Any:
        lines = []
        for r in rows:
            first = [
                r["name"],
                ",".join(f"{k}={v}" for k, v in r["labels"].items()),
                r["version"],
                r["minors_behind_newest"],
                f"{r['end_of_life']} ({r['days_to_end_of_life']} days)",
                r["memory_mib"],
            ]
            for i, (pool, p) in enumerate(r["pools"].items()):
                lines.append(
                    [
                        *(first if i == 0 else [""] * len(first)),
                        pool,
                        p["nodes"],
                        ",".join(p["kubelet"]),
                    ]
                )
        return simple_table(
            (
                "cluster",
                "labels",
                "control plane",
                "behind newest",
                "end of life",
                "MiB",
                "node pool",
                "ready",
                "kubelet",
            ),
            lines,
            title=f"fleet {spec.name}",
        )

    emit(opts.output, rows, table)
    console.print(f"kubeconfig with a context per cluster: {_fleet.kubeconfig_path(spec.name)}")
    if not fleet_only:
        started = time.monotonic()
        reports = Story(spec, demo_dir(), console).run()
        console.rule(f"the story took {time.monotonic() - started:.0f}s; reports")
        for what, where in reports.items():
            console.print(f"  {what:<24} {where}")
    console.print("stop the fleet with: kubecurrent demo --down")

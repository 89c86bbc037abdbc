"""``kubecurrent demo``: the main job on its embedded default, a local sandbox fleet.

Today it brings the demo fleet up (or finds it running) and prints each cluster's state next to
what the catalog says about its version; scanning, planning and rolling out join as they land.
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
from kubecurrent.cli._options import FLEET_FILE, TIMEOUT
from kubecurrent.cli._output import emit, simple_table
from kubecurrent.model import KubeVersion
from kubecurrent.sandbox import _fleet


def _ensure_fleet(path: Path | None, timeout: float, console: Console) -> _fleet.FleetSpec:
    spec = sb.load_spec(path)
    states = {name: sb.load(name) for name in (c.name for c in spec.clusters)}
    if all(s is not None and s.phase() == "running" for s in states.values()):
        console.print(f"fleet {spec.name} is already running; reusing it")
        return spec
    for name, state in states.items():  # half-started or stale leftovers of an earlier run
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
@TIMEOUT
@output_option()
@click.pass_obj
def demo(opts: GlobalOptions, path: Path | None, down: bool, timeout: float) -> None:
    """Bring up a local sandbox fleet and show its state (stop it with --down)."""
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
    console.print("stop the fleet with: kubecurrent demo --down")

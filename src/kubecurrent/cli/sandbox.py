"""``kubecurrent sandbox``: build and run real local Kubernetes control planes."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from kubecurrent import sandbox as sb
from kubecurrent.cli._app import GlobalOptions, interruptible, output_option
from kubecurrent.cli._options import FLEET_FILE, TIMEOUT
from kubecurrent.cli._output import cell, emit, simple_table
from kubecurrent.sandbox import _fleet

_NAME = click.option("--name", required=True, help="Sandbox name (a kubeconfig context name).")


def _stderr() -> Console:
    return Console(stderr=True, highlight=False)


@click.group()
def sandbox() -> None:
    """Build and run local Kubernetes control planes for rehearsals, demos and tests."""


@sandbox.command()
@click.option(
    "--version",
    "versions",
    multiple=True,
    metavar="X.Y",
    help=f"Kubernetes minor to build (repeatable; default: {', '.join(sb.DEFAULT_BUILD)}).",
)
@click.option(
    "--with",
    "extra",
    multiple=True,
    type=click.Choice(["prometheus", "hydra"]),
    help="Also build this on-demand component (repeatable): prometheus, for PromQL health gates; "
    "hydra, the OpenID Connect provider of the single sign-on tests.",
)
@click.option("--force", is_flag=True, help="Rebuild even when the cache holds the binaries.")
def build(versions: tuple[str, ...], extra: tuple[str, ...], force: bool) -> None:
    """Build kube-apiserver, controller-manager, scheduler, etcd, kwok, helm and kustomize.

    Binaries come from the Go module proxy and are cached per version; a second run only
    checks the cache. `--with prometheus` adds Prometheus (HTTP API only, no web UI assets);
    `--with hydra` adds Ory Hydra (built with cgo: needs a C compiler), for the single sign-on tests.
    """
    console = _stderr()
    with Progress(
        TextColumn("{task.description:<28}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("packages"),
        TimeElapsedColumn(),
        console=console,
    ) as progress:
        tasks: dict[str, Any] = {}

        def report(binary: str, done: int, total: int) -> None:
            if binary not in tasks:
                tasks[binary] = progress.add_task(binary, total=total or None)
            progress.update(tasks[binary], completed=done, total=total or None)

        for component in sb.all_components(list(versions) or None, extra):
            for result in sb.build(component, report, force=force):
                label = f"{result.binary} {result.component.version}"
                verb = "cached" if result.cached else f"built in {result.seconds:.0f}s"
                progress.console.print(f"{label:<34} {verb:<16} {result.path}")


@sandbox.command()
@_NAME
@click.option(
    "--version",
    default="1.36",
    show_default=True,
    metavar="X.Y",
    help="Kubernetes minor of the control plane.",
)
@click.option(
    "--nodes",
    type=int,
    default=None,
    help="Nodes in the 'default' pool at the control-plane version [default: 3 "
    "when no --pool is given].",
)
@click.option(
    "--pool",
    "pools",
    multiple=True,
    metavar="NAME=COUNT@KUBELET_VERSION",
    help="A simulated node pool, e.g. workers=3@1.34.2 (repeatable).",
)
@TIMEOUT
@output_option()
@click.pass_obj
def up(
    opts: GlobalOptions,
    name: str,
    version: str,
    nodes: int | None,
    pools: tuple[str, ...],
    timeout: float,
) -> None:
    """Start a sandbox: etcd, kube-apiserver, controller-manager, scheduler and kwok nodes."""
    interruptible()
    release = sb.release_of(version)
    parsed = [sb.parse_pool(p, release) for p in pools]
    if nodes is None and not parsed:
        nodes = 3
    if nodes:
        parsed.insert(0, sb.parse_pool(f"default={nodes}", release))
    started = time.monotonic()
    with _stderr().status(f"starting sandbox {name} (Kubernetes {version})..."):
        state = sb.up(sb.UpOptions(name, version, tuple(parsed), timeout=timeout))
    _stderr().print(
        f"sandbox {name} is up at {state.server} ({state.version}) in "
        f"{time.monotonic() - started:.1f}s"
    )
    emit(opts.output, sb.summary(state), lambda: _summary_table([sb.summary(state)]))


@sandbox.command()
@_NAME
@click.pass_obj
def down(opts: GlobalOptions, name: str) -> None:
    """Stop everything ``up`` started for the sandbox and delete its run directory."""
    state = sb.down(name)
    _stderr().print(f"sandbox {state.name} stopped and removed")


def _summary_table(rows: list[dict[str, Any]]) -> Any:
    return simple_table(
        ("name", "fleet", "phase", "version", "nodes", "server"),
        [
            (r["name"], r["fleet"] or "-", r["phase"], r["version"], r["nodes"], r["server"])
            for r in rows
        ],
    )


@sandbox.command(name="list")
@output_option()
@click.pass_obj
def list_(opts: GlobalOptions) -> None:
    """List sandboxes; stale ones (nothing running) are shown as such."""
    rows = [sb.summary(s) for s in (sb.load(n) for n in sb.names()) if s is not None]
    if not rows and opts.output not in ("json", "yaml"):
        _stderr().print("no sandboxes; start one with `kubecurrent sandbox up --name NAME`")
        return
    emit(opts.output, rows, lambda: _summary_table(rows))


@sandbox.command()
@_NAME
@output_option()
@click.pass_obj
def status(opts: GlobalOptions, name: str) -> None:
    """Show a sandbox's components, memory, served version and nodes per pool."""
    report = sb.status(sb.require(name))

    def table() -> Any:
        t = simple_table(
            ("component", "pid", "alive", "rss MiB", "log"),
            [
                (c, v["pid"], v["alive"], v["rss_mib"], v["log"])
                for c, v in report["components"].items()
            ],
            title=f"{name}: {report['phase']}, {report.get('served_version', report['version'])}, "
            f"{report['memory_mib']} MiB, {report['server']}",
        )
        for pool, live in report.get("live_nodes", {}).items():
            t.add_row(
                cell(f"pool {pool}"),
                cell(""),
                cell(f"{live['ready']}/{live['total']} ready"),
                cell(""),
                cell(", ".join(f"{k} x{v}" for k, v in live["kubelet"].items())),
            )
        return t

    emit(opts.output, report, table)


@sandbox.command()
@_NAME
@click.option("--user", default=None, help="Mint a kubeconfig for this user instead of admin.")
@click.option("--group", "groups", multiple=True, help="Group of --user (repeatable).")
def kubeconfig(name: str, user: str | None, groups: tuple[str, ...]) -> None:
    """Print the path of a kubeconfig for the sandbox (admin, or a minted --user) as the last line."""
    if user is None:
        sb.require(name)
        path = sb.run_dir(name) / "kubeconfig"
    else:
        path = sb.mint_user(name, user, groups)
    click.echo(str(path))


@sandbox.command()
@_NAME
@click.option("--version", required=True, metavar="X.Y", help="The next Kubernetes minor.")
@TIMEOUT
@click.pass_obj
def upgrade(opts: GlobalOptions, name: str, version: str, timeout: float) -> None:
    """Restart the control plane on the next minor's binaries over the same data."""
    interruptible()
    started = time.monotonic()
    with _stderr().status(f"upgrading sandbox {name} to {version}..."):
        state = sb.upgrade(name, version, timeout)
    _stderr().print(
        f"sandbox {name} now serves {sb.server_version(state)} ({time.monotonic() - started:.1f}s)"
    )


@sandbox.group()
def fleet() -> None:
    """Several sandboxes at once, from a fleet file, with one kubeconfig for all."""


@fleet.command(name="up")
@FLEET_FILE
@TIMEOUT
@output_option()
@click.pass_obj
def fleet_up(opts: GlobalOptions, path: Path | None, timeout: float) -> None:
    """Start every sandbox of a fleet file and write its merged kubeconfig."""
    interruptible()
    spec = sb.load_spec(path)
    started = time.monotonic()
    console = _stderr()
    with console.status(f"starting fleet {spec.name} ({len(spec.clusters)} sandboxes)..."):
        states = _fleet.up(
            spec,
            timeout,
            lambda s: console.print(
                f"  {s.name} up at {s.server} ({s.version}) after {time.monotonic() - started:.0f}s"
            ),
        )
    console.print(
        f"fleet {spec.name}: {len(states)} sandboxes in {time.monotonic() - started:.1f}s;"
        f" kubeconfig: {_fleet.kubeconfig_path(spec.name)}"
    )
    rows = [sb.summary(s) for s in states]
    emit(opts.output, rows, lambda: _summary_table(rows))


@fleet.command(name="down")
@click.option("--fleet", "fleet_name", default="demo", show_default=True)
def fleet_down(fleet_name: str) -> None:
    """Stop every sandbox of the fleet."""
    for stopped in _fleet.down(fleet_name):
        _stderr().print(f"sandbox {stopped} stopped and removed")


@fleet.command(name="kubeconfig")
@click.option("--fleet", "fleet_name", default="demo", show_default=True)
def fleet_kubeconfig(fleet_name: str) -> None:
    """Print the path of the fleet's kubeconfig (one context per sandbox) as the last line."""
    click.echo(str(_fleet.write_kubeconfig(fleet_name)))

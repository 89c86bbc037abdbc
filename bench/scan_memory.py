#!/usr/bin/env python3
"""Where a cluster scan's memory goes before it reads a single object: resident memory after
each group of modules ``kubecurrent scan cluster`` loads, in the order it loads them, then the
catalog it reads.

Each group is imported in this one fresh interpreter, so a group's figure is what it adds over
the groups above it (a module two groups share counts in the first). The figures are the
floor under bench/scan_cluster.py's peak RSS; the rest of that peak is the connection and the
pages being read. ``--with-terminal`` adds what a progress bar on a terminal loads (rich).

``--kubeconfig`` goes on to read that cluster the way the scan does, phase by phase: the TLS
context (and how many certificates it trusts), the first request (the HTTP stack loads then),
the collection (every list), the findings and the JSON. Each line also shows the peak so far
(VmHWM): the collection's peak is the one that matters.
Not a test: ``.venv/bin/python bench/scan_memory.py [--kubeconfig FILE [--context NAME]]``.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import importlib
from collections.abc import Callable
from functools import partial
from pathlib import Path

GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("standard library (asyncio, ssl, json, ...)", ("asyncio", "ssl", "json", "dataclasses")),
    ("click, msgspec", ("click", "msgspec")),
    ("pydantic (import)", ("pydantic",)),
    ("pydantic (first model class)", ("kubecurrent.model._snapshot",)),
    (
        "inventory models (pydantic)",
        ("kubecurrent.model.managed", "kubecurrent.model.clouds", "kubecurrent.model.inventory"),
    ),
    ("findings (msgspec)", ("kubecurrent.model.findings",)),
    ("yaml (lightkube reads the kubeconfig with it)", ("yaml",)),
    ("httpx2", ("httpx2",)),
    ("lightkube", ("lightkube",)),
    ("catalog modules", ("kubecurrent.catalog._load", "kubecurrent.catalog._facts")),
    (
        "Document (no file reader, renderer or walk)",
        ("kubecurrent.collect.files._types",),
    ),
    ("analyze", ("kubecurrent.analyze", "kubecurrent.analyze.cluster")),
    (
        "report rows (other formats load when asked)",
        ("kubecurrent.analyze.report._rows",),
    ),
    (
        "collect.cluster",
        ("kubecurrent.collect.cluster._collect", "kubecurrent.collect.cluster._fleet"),
    ),
    ("cli (scan, clusters)", ("kubecurrent.cli.scan", "kubecurrent.cli._clusters")),
    # Loaded by the first request: httpcore2 imports its sync and async halves, h2 (with hpack,
    # hyperframe), anyio and truststore whether or not HTTP/2 is used.
    (
        "HTTP stack (httpcore2, h2, anyio; 1st request)",
        ("httpcore2", "anyio._backends._asyncio", "anyio.streams.tls"),
    ),
)
TERMINAL = ("rich (progress bar on a terminal)", ("rich.console", "rich.progress"))


def resident_mib(field: str = "VmRSS") -> float:
    """This process's resident memory now (VmRSS) or its peak so far (VmHWM), in MiB."""
    with Path("/proc/self/status").open() as status:
        for line in status:
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} in /proc/self/status (Linux only)")


def _imports(modules: tuple[str, ...]) -> None:
    for name in modules:
        importlib.import_module(name)


def _catalog() -> None:
    from kubecurrent.catalog import load_catalog

    load_catalog()


def steps(with_terminal: bool) -> list[tuple[str, Callable[[], None]]]:
    groups = [*GROUPS, TERMINAL] if with_terminal else list(GROUPS)
    out: list[tuple[str, Callable[[], None]]] = []
    for label, modules in groups:
        out.append((label, partial(_imports, modules)))
        if label == "catalog modules":
            out.append(("catalog data (load_catalog)", _catalog))
    return out


def show(label: str, before: float) -> float:
    now = resident_mib()
    peak = resident_mib("VmHWM")
    print(f"{label:48s} {now:6.1f} MiB  +{now - before:4.1f}  (peak {peak:5.1f})")
    return now


async def live(kubeconfig: Path, context: str | None, before: float) -> float:
    """The scan's phases against one cluster (see the module doc); returns VmRSS at the end."""
    from lightkube.config.client_adapter import verify_cluster

    from kubecurrent.analyze.cluster import check_inventory, default_target
    from kubecurrent.catalog import load_catalog
    from kubecurrent.cli._output import typed_json
    from kubecurrent.collect.cluster import ClusterTarget, CollectOptions, collect_cluster
    from kubecurrent.collect.cluster import connection as connect
    from kubecurrent.collect.cluster._api import ClusterApi  # the scan's own client

    target = ClusterTarget(name="bench", kubeconfig=kubeconfig, context=context)
    conn = connect(target)
    config = conn.config
    ctx = verify_cluster(config.cluster, config.user, config.abs_file, trust_env=False)
    trusted = ctx.cert_store_stats()["x509_ca"]
    before = show(f"TLS context ({trusted} CA certificates trusted)", before)
    api = ClusterApi(conn)
    await api.get_json("/version")
    await api.close()
    before = show("first request (connection, TLS handshake)", before)
    catalog = load_catalog()
    inventory = await collect_cluster(target, catalog, CollectOptions())
    before = show("collection (every list)", before)
    at = default_target(inventory, catalog.newest_release().version)
    findings = check_inventory(inventory, catalog, at, dt.date.today())
    text = typed_json(findings)
    before = show(f"findings ({len(findings)}) as JSON ({len(text)} B)", before)
    del text
    return before


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--with-terminal", action="store_true", help="add rich (a terminal's bar)")
    ap.add_argument("--kubeconfig", type=Path, help="then read this cluster, phase by phase")
    ap.add_argument("--context", help="the kubeconfig's context (default: its current one)")
    args = ap.parse_args()
    before = start = resident_mib()
    print(f"{'interpreter':48s} {start:6.1f} MiB")
    for label, step in steps(args.with_terminal):
        step()
        before = show(label, before)
    print(f"{'total before connecting':48s} {before:6.1f} MiB")
    if args.kubeconfig:
        asyncio.run(live(args.kubeconfig, args.context, before))
        print(f"{'peak (VmHWM)':48s} {resident_mib('VmHWM'):6.1f} MiB")


if __name__ == "__main__":
    main()

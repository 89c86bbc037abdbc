#!/usr/bin/env python3
"""Where a cluster scan's memory goes before it reads a single object: resident memory after
each group of modules ``kubecurrent scan cluster`` loads, in the order it loads them, then the
catalog it reads.

Each group is imported in this one fresh interpreter, so a group's figure is what it adds over
the groups above it (a module two groups share counts in the first). The figures are the
floor under bench/scan_cluster.py's peak RSS; the rest of that peak is the connection and the
pages being read. ``--with-terminal`` adds what a progress bar on a terminal loads (rich).
Not a test: ``.venv/bin/python bench/scan_memory.py``.
"""

from __future__ import annotations

import argparse
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
)
TERMINAL = ("rich (progress bar on a terminal)", ("rich.console", "rich.progress"))


def resident_mib() -> float:
    """This process's resident memory now (VmRSS), in MiB."""
    with Path("/proc/self/status").open() as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status (Linux only)")


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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--with-terminal", action="store_true", help="add rich (a terminal's bar)")
    args = ap.parse_args()
    before = start = resident_mib()
    print(f"{'interpreter':48s} {start:6.1f} MiB")
    for label, step in steps(args.with_terminal):
        step()
        now = resident_mib()
        print(f"{label:48s} {now:6.1f} MiB  +{now - before:4.1f}")
        before = now
    print(f"{'total before connecting':48s} {before:6.1f} MiB")


if __name__ == "__main__":
    main()

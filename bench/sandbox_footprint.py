#!/usr/bin/env python3
"""Measure what sandboxes cost on this machine: start time and idle memory.

1. One sandbox (Kubernetes 1.36, 3 kwok nodes): start time, then resident memory per component
   after it has idled for --idle seconds.
2. A 3-sandbox fleet (the embedded demo fleet): start time and total resident memory.

Runs in a private sandbox home and removes everything it started. Not a test: it prints figures.
Usage: .venv/bin/python bench/sandbox_footprint.py [--idle 30]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

from kubecurrent import sandbox as sb
from kubecurrent.sandbox import _fleet, _process

MIB = 1024 * 1024


def memory(names: list[str]) -> dict[str, float]:
    total: dict[str, float] = {}
    for name in names:
        for component, record in sb.require(name).processes.items():
            total[component] = total.get(component, 0.0) + _process.rss_bytes(record) / MIB
    return total


def one(idle: float) -> None:
    started = time.monotonic()
    sb.up(sb.UpOptions("bench-one", "1.36", (sb.parse_pool("default=3", sb.release_of("1.36")),)))
    print(f"one sandbox (1.36, 3 nodes): up in {time.monotonic() - started:.1f}s")
    time.sleep(idle)
    per = memory(["bench-one"])
    for component, mib in per.items():
        print(f"  {component:<24} {mib:7.1f} MiB")
    print(f"  {'total':<24} {sum(per.values()):7.1f} MiB (after {idle:.0f}s idle)")
    sb.down("bench-one")


def fleet(idle: float) -> None:
    spec = sb.load_spec(None)
    started = time.monotonic()
    states = _fleet.up(spec, 300, lambda s: None)
    elapsed = time.monotonic() - started
    time.sleep(idle)
    per = memory([s.name for s in states])
    print(
        f"fleet {spec.name} ({len(states)} sandboxes): up in {elapsed:.1f}s, "
        f"{sum(per.values()):.0f} MiB total after {idle:.0f}s idle"
    )
    _fleet.down(spec.name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--idle", type=float, default=30.0, help="seconds to idle before measuring")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kubecurrent-bench-") as home:
        os.environ["KUBECURRENT_SANDBOX_HOME"] = home
        one(args.idle)
        fleet(args.idle)


if __name__ == "__main__":
    main()

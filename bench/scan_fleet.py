#!/usr/bin/env python3
"""Benchmark: ``kubecurrent scan cluster`` over a 5-sandbox fleet vs its largest cluster alone.

Starts five sandboxes (Kubernetes 1.36 and 1.37, kwok nodes) in a private
``KUBECURRENT_SANDBOX_HOME``, fills them with different numbers of objects (the mix of
bench/scan_cluster.py), writes a fleet file naming all five and one naming only the largest,
and times ``kubecurrent scan cluster --fleet`` on each, interleaved (wall time, peak RSS).
Clusters are read concurrently, so the fleet should take at most 1.5x the largest alone.
Not a test: ``.venv/bin/python bench/scan_fleet.py [--largest 20000] [--repeat 5]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import yaml

from kubecurrent import sandbox as sb

sys.path.insert(0, str(Path(__file__).parent))
from scan_cluster import Run, fill, measure, prepare  # a sibling script

NODES = 10
SHARES = (0.1, 0.2, 0.3, 0.5, 1.0)  # of --largest, per cluster


def start(names: list[str], largest: int) -> None:
    for i, (name, share) in enumerate(zip(names, SHARES, strict=True)):
        version = ("1.36", "1.37")[i % 2]
        pool = sb.parse_pool(f"workers={NODES}", sb.release_of(version))
        began = time.monotonic()
        sb.up(sb.UpOptions(name, version, (pool,), timeout=600))
        kubeconfig = sb.run_dir(name) / "kubeconfig"
        prepare(kubeconfig)
        objects = int(largest * share)
        print(f"{name} ({version}): up in {time.monotonic() - began:.0f}s, {objects} objects")
        fill(kubeconfig, 0, objects - NODES, workers=32, nodes=NODES)


def fleet_file(path: Path, names: list[str]) -> Path:
    clusters = [
        {"name": n, "kubeconfig": str(sb.run_dir(n) / "kubeconfig"), "context": n} for n in names
    ]
    path.write_text(yaml.safe_dump({"defaults": {"timeout": 1800}, "clusters": clusters}))
    return path


def scan(fleet: Path) -> Run:
    kc = str(Path(sys.executable).with_name("kubecurrent"))
    run = measure([kc, "scan", "cluster", "--fleet", str(fleet), "-o", "json", "--fail-on", "none"])
    if run.exit not in (0, 1):
        print(f"  scan failed (exit {run.exit}): {run.stderr.strip()[-600:]}")
    return run


def report(together: list[Run], alone: list[Run], largest: int) -> None:
    for label, runs in (("5 clusters together", together), (f"largest alone ({largest})", alone)):
        walls = ", ".join(f"{r.wall:.2f}" for r in runs)
        print(
            f"{label}: median {statistics.median(r.wall for r in runs):.2f}s, "
            f"min {min(r.wall for r in runs):.2f}s (runs: {walls}), "
            f"{max(r.peak_mib for r in runs):.0f} MiB peak RSS"
        )
    for name, pick in (("median", statistics.median), ("min", min)):
        ratio = pick(r.wall for r in together) / pick(r.wall for r in alone)
        verdict = "within" if ratio <= 1.5 else "OVER"
        print(f"ratio together/alone ({name}): {ratio:.2f}x ({verdict} the 1.5x target)")
    print(f"load average during the scans: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--largest", type=int, default=20_000, help="objects in the largest cluster")
    ap.add_argument("--repeat", type=int, default=5, help="runs of each scan")
    args = ap.parse_args()
    names = [f"fleet-{i}" for i in range(len(SHARES))]
    with tempfile.TemporaryDirectory(prefix="kubecurrent-bench-") as home:
        os.environ["KUBECURRENT_SANDBOX_HOME"] = home
        try:
            start(names, args.largest)
            every = fleet_file(Path(home) / "all.yaml", names)
            largest = fleet_file(Path(home) / "largest.yaml", names[-1:])
            together: list[Run] = []
            alone: list[Run] = []
            for _ in range(args.repeat):  # interleaved, so drifting load hits both alike
                together.append(scan(every))
                alone.append(scan(largest))
            report(together, alone, args.largest)
        finally:
            for name in names:
                if sb.load(name) is not None:
                    sb.down(name)


if __name__ == "__main__":
    main()

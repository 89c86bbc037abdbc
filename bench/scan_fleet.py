#!/usr/bin/env python3
"""Benchmark: ``kubecurrent scan cluster`` over a 5-sandbox fleet vs its largest cluster alone.

Starts five sandboxes (Kubernetes 1.36 and 1.37, kwok nodes) in a private
``KUBECURRENT_SANDBOX_HOME``, fills them with different numbers of objects (the mix of
bench/scan_cluster.py), writes a fleet file naming all five and one naming only the largest,
and times ``kubecurrent scan cluster --fleet`` on each, interleaved (wall time, CPU, peak RSS;
median and min), and the CPU the five sandboxes' processes (API servers, etcd, controllers,
kwok) spent during each run: on one machine they share the cores with the scan. Clusters are
read concurrently, so the fleet should take at most 1.5x the largest alone. The peer, kubent (built by bench/build_peers.sh), reads one cluster a time: it
is run over the five clusters one after another in the same rounds, as its users would.
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
from harness import Run, kubecurrent, load, measure, peer  # sibling scripts
from scan_cluster import TARGET, fill, prepare

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


def sandbox_cpu(names: list[str]) -> float:
    """CPU seconds (user + system) the sandboxes' processes have used so far."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for name in names:
        state = sb.load(name)
        for record in state.processes.values() if state else ():
            try:
                fields = Path(f"/proc/{record.pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue  # a process that has exited
            total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
    return total


def scan(fleet: Path, names: list[str], servers: list[float]) -> Run:
    """One scan; the sandboxes' CPU during it is appended to ``servers``."""
    before = sandbox_cpu(names)
    run = measure(
        [kubecurrent(), "scan", "cluster", "--fleet", str(fleet), "-o", "json", "--fail-on", "none"]
    )
    servers.append(sandbox_cpu(names) - before)
    if run.exit not in (0, 1):
        print(f"  scan failed (exit {run.exit}): {run.stderr.strip()[-600:]}")
    return run


def kubent_each(binary: Path, names: list[str]) -> Run:
    """kubent over every cluster, one after another: the summed wall and CPU, the highest peak."""
    args = ["-o", "json", "-t", f"{TARGET}.0"]
    runs = [
        measure([str(binary), "--kubeconfig", str(sb.run_dir(n) / "kubeconfig"), *args])
        for n in names
    ]
    return Run(
        sum(r.wall for r in runs),
        max(r.peak_mib for r in runs),
        max(r.exit for r in runs),
        "",
        "",
        sum(r.cpu for r in runs),
    )


def report(
    together: list[Run],
    alone: list[Run],
    largest: int,
    kubent: list[Run],
    servers: dict[str, list[float]],
) -> None:
    rows = [
        ("5 clusters together", together, servers["together"]),
        (f"largest alone ({largest})", alone, servers["alone"]),
    ]
    if kubent:
        rows.append(("kubent, 5 clusters one by one", kubent, servers["kubent"]))
    for label, runs, cpu in rows:
        walls = ", ".join(f"{r.wall:.2f}" for r in runs)
        print(
            f"{label}: median {statistics.median(r.wall for r in runs):.2f}s, "
            f"min {min(r.wall for r in runs):.2f}s (runs: {walls}), "
            f"CPU median {statistics.median(r.cpu for r in runs):.2f}s, "
            f"{max(r.peak_mib for r in runs):.0f} MiB peak RSS; "
            f"sandboxes' CPU median {statistics.median(cpu):.2f}s"
        )
    for name, pick in (("median", statistics.median), ("min", min)):
        ratio = pick(r.wall for r in together) / pick(r.wall for r in alone)
        verdict = "within" if ratio <= 1.5 else "OVER"
        print(f"ratio together/alone ({name}): {ratio:.2f}x ({verdict} the 1.5x target)")
    if kubent:
        ratio = statistics.median(r.wall for r in together) / statistics.median(
            r.wall for r in kubent
        )
        print(f"ratio kubecurrent (5 together) / kubent (5 one by one): {ratio:.2f}x median wall")
    print(load())


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
            kubent: list[Run] = []
            servers: dict[str, list[float]] = {"together": [], "alone": [], "kubent": []}
            binary = peer("kubent")
            for _ in range(args.repeat):  # interleaved, so drifting load hits all alike
                together.append(scan(every, names, servers["together"]))
                alone.append(scan(largest, names, servers["alone"]))
                if binary is not None:
                    before = sandbox_cpu(names)
                    kubent.append(kubent_each(binary, names))
                    servers["kubent"].append(sandbox_cpu(names) - before)
            report(together, alone, args.largest, kubent, servers)
        finally:
            for name in names:
                if sb.load(name) is not None:
                    sb.down(name)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Benchmark: ``kubecurrent scan cluster`` over a 5-sandbox fleet vs its largest cluster alone.

Starts five sandboxes (Kubernetes 1.36 and 1.37, kwok nodes) in a private
``KUBECURRENT_SANDBOX_HOME``, fills them with different numbers of objects (the mix of
bench/scan_cluster.py), writes a fleet file naming all five and one naming only the largest,
and times ``kubecurrent scan cluster --fleet`` on each, interleaved (wall time, CPU, peak RSS;
median and min). Clusters are read concurrently, so the fleet should take at most 1.5x the
largest alone. The peer, kubent (built by bench/build_peers.sh), reads one cluster a time: it is
run over the five clusters one after another in the same rounds, as its users would.

On one machine the sandboxes share the cores with the scan, so the CPU their processes spend
during each run is reported too, in total (the figure earlier sessions printed) and per process
kind (kube-apiserver, etcd, kube-controller-manager, kube-scheduler, kwok). Before the runs the
sandboxes are watched idle for ``--idle`` seconds: their background rate (controllers, kwok's
heartbeats, the servers' own loops) times a run's wall is the part of that run's sandbox CPU
the scan did not cause; the rest is the cost of the scan's requests.

``--keep`` leaves the sandboxes running (their home is printed) and ``--home DIR`` times scans
against sandboxes a ``--keep`` run left in DIR, without starting or filling any: two versions of
kubecurrent can then be compared on the very same clusters. ``--output DIR`` writes each kind
of run's last JSON output there (``together.json``, ``alone.json``) to compare them.
Not a test: ``.venv/bin/python bench/scan_fleet.py [--largest 20000] [--repeat 5]
[--keep | --home DIR] [--output DIR]``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
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


CpuByKind = dict[str, float]
"""CPU seconds per process kind."""


def sandbox_cpu(names: list[str]) -> CpuByKind:
    """CPU seconds (user + system) the sandboxes' processes have used so far, per process kind
    (the sandbox's name for it: kube-apiserver, etcd, ...), summed over the sandboxes."""
    tick = os.sysconf("SC_CLK_TCK")
    used: defaultdict[str, float] = defaultdict(float)
    for name in names:
        state = sb.load(name)
        for kind, record in state.processes.items() if state else ():
            try:
                fields = Path(f"/proc/{record.pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue  # a process that has exited
            used[kind] += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
    return dict(used)


def since(before: CpuByKind, names: list[str]) -> CpuByKind:
    """The CPU each process kind used since ``before`` was read."""
    return {kind: cpu - before.get(kind, 0.0) for kind, cpu in sandbox_cpu(names).items()}


def idle_rate(names: list[str], seconds: float) -> CpuByKind:
    """CPU seconds per second each process kind uses while nothing scans: the background."""
    before = sandbox_cpu(names)
    time.sleep(seconds)
    return {kind: cpu / seconds for kind, cpu in since(before, names).items()}


@dataclass
class Timed:
    """The runs of one kind of command and the sandboxes' CPU during each (per process kind)."""

    runs: list[Run] = field(default_factory=list)
    servers: list[CpuByKind] = field(default_factory=list)

    def time(self, work: Callable[[], Run], names: list[str]) -> Run:
        before = sandbox_cpu(names)
        run = work()
        self.servers.append(since(before, names))
        self.runs.append(run)
        return run


def scan(fleet: Path) -> Run:
    run = measure(
        [kubecurrent(), "scan", "cluster", "--fleet", str(fleet), "-o", "json", "--fail-on", "none"]
    )
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


def report(rows: list[tuple[str, Timed]], background: CpuByKind) -> None:
    for label, timed in rows:
        runs = timed.runs
        walls = ", ".join(f"{r.wall:.2f}" for r in runs)
        total = statistics.median(sum(used.values()) for used in timed.servers)
        print(
            f"{label}: median {statistics.median(r.wall for r in runs):.2f}s, "
            f"min {min(r.wall for r in runs):.2f}s (runs: {walls}), "
            f"CPU median {statistics.median(r.cpu for r in runs):.2f}s, "
            f"{max(r.peak_mib for r in runs):.0f} MiB peak RSS; "
            f"sandboxes' CPU median {total:.2f}s"
        )
        wall = statistics.median(r.wall for r in runs)
        for kind in sorted(background):
            during = statistics.median(used.get(kind, 0.0) for used in timed.servers)
            idle = background[kind] * wall
            print(
                f"    {kind:<24} {during:5.2f}s during the run "
                f"(background {idle:4.2f}s at the idle rate, requests {during - idle:5.2f}s)"
            )
    (_, together), (_, alone) = rows[:2]
    for name, pick in (("median", statistics.median), ("min", min)):
        ratio = pick(r.wall for r in together.runs) / pick(r.wall for r in alone.runs)
        verdict = "within" if ratio <= 1.5 else "OVER"
        print(f"ratio together/alone ({name}): {ratio:.2f}x ({verdict} the 1.5x target)")
    if len(rows) > 2:
        kubent = rows[2][1]
        ratio = statistics.median(r.wall for r in together.runs) / statistics.median(
            r.wall for r in kubent.runs
        )
        print(f"ratio kubecurrent (5 together) / kubent (5 one by one): {ratio:.2f}x median wall")
    print(load())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--largest", type=int, default=20_000, help="objects in the largest cluster")
    ap.add_argument("--repeat", type=int, default=5, help="runs of each scan")
    ap.add_argument(
        "--idle", type=float, default=10.0, help="seconds the idle sandboxes are watched"
    )
    ap.add_argument("--keep", action="store_true", help="leave the sandboxes running")
    ap.add_argument("--home", type=Path, help="time scans on the sandboxes --keep left here")
    ap.add_argument("--output", type=Path, help="write each kind of run's last JSON output here")
    args = ap.parse_args()
    names = [f"fleet-{i}" for i in range(len(SHARES))]
    home = args.home or Path(tempfile.mkdtemp(prefix="kubecurrent-bench-"))
    os.environ["KUBECURRENT_SANDBOX_HOME"] = str(home)
    try:
        if args.home is None:
            start(names, args.largest)
        elif any(sb.load(n) is None for n in names):
            raise SystemExit(f"{home}: no bench fleet there (start one with --keep)")
        measure_fleet(names, home, args)
    finally:
        if args.keep or args.home is not None:
            print(
                f"sandboxes left running: --home {home} (stop each: KUBECURRENT_SANDBOX_HOME={home} "
                "kubecurrent sandbox down --name fleet-N)"
            )
        else:
            for name in names:
                if sb.load(name) is not None:
                    sb.down(name)
            shutil.rmtree(home, ignore_errors=True)


def measure_fleet(names: list[str], home: Path, args: argparse.Namespace) -> None:
    every = fleet_file(home / "all.yaml", names)
    largest = fleet_file(home / "largest.yaml", names[-1:])
    background = idle_rate(names, args.idle)
    together, alone, kubent = Timed(), Timed(), Timed()
    binary = peer("kubent")
    for _ in range(args.repeat):  # interleaved, so drifting load hits all alike
        together.time(lambda: scan(every), names)
        alone.time(lambda: scan(largest), names)
        if binary is not None:
            kubent.time(lambda: kubent_each(binary, names), names)
    rows = [("5 clusters together", together), (f"largest alone ({args.largest})", alone)]
    if binary is not None:
        rows.append(("kubent, 5 clusters one by one", kubent))
    report(rows, background)
    if args.output is not None:
        args.output.mkdir(parents=True, exist_ok=True)
        (args.output / "together.json").write_text(together.runs[-1].stdout)
        (args.output / "alone.json").write_text(alone.runs[-1].stdout)


if __name__ == "__main__":
    main()

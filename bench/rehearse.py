#!/usr/bin/env python3
"""Benchmark: ``kubecurrent rehearse --target 1.37`` of a 20,000-object cluster at 1.35.

Starts a "production" sandbox (Kubernetes 1.35, 100 kwok nodes) in a private
``KUBECURRENT_SANDBOX_HOME`` and fills it with the same realistic mix as bench/scan_cluster.py
(Pods bound to nodes, ConfigMaps, Deployments, custom resources of a CRD half written through
its deprecated version), then runs the whole ``kubecurrent rehearse`` command in a fresh
process: wall time, peak RSS of the kubecurrent process itself (sampled), peak RSS of the
twin's processes together (etcd, API server, controller-manager, scheduler), and each hop's
time from the JSON evidence.

No peer rehearses an upgrade (pluto, kubent and kubepug only compare API lists), so the figures
are absolute; for scale, kubent's scan of the same cluster is timed too when it is built
(bench/build_peers.sh).
Not a test: ``.venv/bin/python bench/rehearse.py [--objects 20000]``.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import tempfile
import time
from pathlib import Path

import psutil

from kubecurrent import sandbox as sb

sys.path.insert(0, str(Path(__file__).parent))
from harness import kubecurrent, load, measure, peer  # a sibling script
from scan_cluster import NODES, fill, prepare  # the same realistic mix

NAME = "bench-production"
VERSION = "1.35"
TARGET = "1.37"


def rehearse(kubeconfig: Path) -> None:
    cmd = [kubecurrent(), "--kubeconfig", str(kubeconfig), "rehearse", "--target", TARGET]
    # Files, not pipes: the command must never block writing while the bench waits for it.
    with tempfile.TemporaryFile("w+") as out_file, tempfile.TemporaryFile("w+") as err_file:
        began = time.perf_counter()
        proc = psutil.Popen([*cmd, "-o", "json"], stdout=out_file, stderr=err_file, text=True)
        own, twin = watch(proc)
        wall = time.perf_counter() - began
        out_file.seek(0)
        err_file.seek(0)
        out, err = out_file.read(), err_file.read()
    if not out.strip():
        raise SystemExit(f"rehearse failed (exit {proc.returncode}):\n{err[-3000:]}")
    data = json.loads(out)
    print(f"kubecurrent rehearse {VERSION} -> {TARGET}: exit {proc.returncode}, {wall:.0f}s wall")
    print(
        f"  objects copied: {data['objects']}; not copied: "
        + ", ".join(f"{n['what']} ({n['count'] or 'all'})" for n in data["not_copied"][:8])
    )
    for hop in data["hops"]:
        print(
            f"  hop {hop['version']}: {hop['accepted']} accepted, {hop['read_back']} listed "
            f"back, {len(hop['outcomes'])} refusals/warnings listed, {hop['seconds']}s"
        )
    print(f"  peak RSS: kubecurrent {own / 2**20:.0f} MiB; twin processes {twin / 2**20:.0f} MiB")
    print(f"  {load()}", flush=True)


def watch(proc: psutil.Popen) -> tuple[int, int]:
    """Peak RSS of the command itself and of its children together, sampled until it exits."""
    own, twin = 0, 0
    try:
        while proc.poll() is None:
            try:
                own = max(own, proc.memory_info().rss)
                kids = [c for c in proc.children(recursive=True) if c.is_running()]
                twin = max(twin, sum(c.memory_info().rss for c in kids))
            except psutil.Error:
                pass
            time.sleep(0.2)
    finally:
        if proc.poll() is None:  # the bench was interrupted: the command stops its twin
            proc.terminate()
            proc.wait(timeout=120)
    return own, twin


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main() -> None:
    signal.signal(signal.SIGTERM, _interrupt)  # so that `finally` stops the sandboxes
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--objects", type=int, default=20_000)
    ap.add_argument("--workers", type=int, default=32, help="concurrent creates while filling")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="kubecurrent-bench-") as home:
        os.environ["KUBECURRENT_SANDBOX_HOME"] = home
        pool = sb.parse_pool(f"workers={NODES}", sb.release_of(VERSION))
        sb.up(sb.UpOptions(NAME, VERSION, (pool,), timeout=600))
        try:
            kubeconfig = sb.run_dir(NAME) / "kubeconfig"
            prepare(kubeconfig)
            fill(kubeconfig, 0, args.objects - NODES, args.workers)
            rehearse(kubeconfig)
            kubent = peer("kubent")
            if kubent is not None:
                run = measure([str(kubent), "--kubeconfig", str(kubeconfig), "-o", "json"])
                print(f"  for scale: kubent scan of the same cluster {run.wall:.1f}s")
        finally:
            sb.down(NAME)


if __name__ == "__main__":
    main()

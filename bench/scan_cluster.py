#!/usr/bin/env python3
"""Benchmark: ``kubecurrent scan cluster`` against a sandbox holding 100,000 objects.

Starts a sandbox (Kubernetes 1.36, kwok nodes) in a private ``KUBECURRENT_SANDBOX_HOME``, fills
it in two stages (to --small objects, then to --objects) with Pods bound to the kwok nodes,
ConfigMaps, Deployments (0 replicas) and custom resources of a bench CRD whose old version is
marked deprecated, all created server-side with lightkube's AsyncClient. After each stage it
times ``kubecurrent scan cluster`` (wall time and peak RSS of the child, via GNU time), so the
two peak-memory figures show whether memory grows with the object count.

The peers, kubent and pluto (``detect-all-in-cluster``), built from source by
bench/build_peers.sh into ~/.cache/kubecurrent/bench/, scan the same cluster in the same stage,
interleaved with ours; medians and minimums of --scans runs, CPU time, peak RSS and the ratios
are printed with the load average.

``--floor`` adds bench/client_floor.py to the interleaved runs, twice: a process that reads the
same cluster metadata-only with kubecurrent's HTTP stack and none of its code, and one that does
it with the standard library's ``http.client`` alone. Their peak RSS over kubent's is the lowest
memory ratio a scan built on that stack (or on a hand-written transport) can reach.
Not a test: ``.venv/bin/python bench/scan_cluster.py [--objects 100000] [--small 10000]
[--scans 3] [--floor]``.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import pstats
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from lightkube import AsyncClient, KubeConfig, codecs
from lightkube.core.exceptions import ApiError
from lightkube.generic_resource import create_global_resource, create_namespaced_resource

from kubecurrent import sandbox as sb

sys.path.insert(0, str(Path(__file__).parent))
from harness import Runs, interleave, kubecurrent, load, peer, ratio  # a sibling script

NAME = "bench-scan"
VERSION = "1.36"
TARGET = "1.37"
NODES = 100
NAMESPACES = 20
GROUP = "bench.kubecurrent.dev"
# Share of each kind in every stage (nodes come from the sandbox's pool).
MIX = (("Pod", 0.15), ("ConfigMap", 0.45), ("Deployment", 0.10), ("Widget", 0.30))
PEERS = ("kubent", "pluto")
Widget = create_namespaced_resource(GROUP, "v1", "Widget", "widgets")
OldWidget = create_namespaced_resource(GROUP, "v1beta1", "Widget", "widgets")
CRD = create_global_resource(
    "apiextensions.k8s.io", "v1", "CustomResourceDefinition", "customresourcedefinitions"
)


def crd_manifest() -> dict[str, Any]:
    schema = {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}}
    version = {"served": True, "schema": schema}
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"widgets.{GROUP}"},
        "spec": {
            "group": GROUP,
            "scope": "Namespaced",
            "names": {"plural": "widgets", "singular": "widget", "kind": "Widget"},
            "versions": [
                {**version, "name": "v1", "storage": True},
                {**version, "name": "v1beta1", "storage": False, "deprecated": True},
            ],
        },
    }


def manifest(kind: str, i: int, nodes: int = NODES) -> Any:
    ns = f"bench-{i % NAMESPACES}"
    meta: dict[str, Any] = {
        "name": f"{kind.lower()}-{i}",
        "namespace": ns,
        "labels": {"bench": "scan"},
    }
    if kind == "ConfigMap":
        return codecs.from_dict(
            {"apiVersion": "v1", "kind": kind, "metadata": meta, "data": {"k": "v" * 64}}
        )
    if kind == "Pod":
        container = {"name": "app", "image": f"registry.example/app:{i % 7}.0"}
        spec: dict[str, Any] = {"nodeName": f"workers-{i % nodes}", "containers": [container]}
        return codecs.from_dict({"apiVersion": "v1", "kind": kind, "metadata": meta, "spec": spec})
    if kind == "Deployment":
        labels = {"app": meta["name"]}
        template = {
            "metadata": {"labels": labels},
            "spec": {"containers": [{"name": "app", "image": "registry.example/app:1.0"}]},
        }
        spec = {
            "replicas": 0,
            "selector": {"matchLabels": labels},
            "template": template,
        }
        return codecs.from_dict(
            {"apiVersion": "apps/v1", "kind": kind, "metadata": meta, "spec": spec}
        )
    cls, version = (OldWidget, "v1beta1") if i % 2 else (Widget, "v1")  # half: deprecated one
    body = {"apiVersion": f"{GROUP}/{version}", "kind": "Widget"}
    return cls.from_dict({**body, "metadata": meta, "spec": {"size": i % 10}})


def plan(start: int, stop: int) -> Iterator[tuple[str, int]]:
    """(kind, index) for objects start..stop of the whole run, in the fixed mix."""
    for kind, share in MIX:
        lo, hi = int(start * share), int(stop * share)
        for i in range(lo, hi):
            yield kind, i


async def create_all(
    kubeconfig: Path, items: list[tuple[str, int]], workers: int, nodes: int
) -> int:
    client = AsyncClient(KubeConfig.from_file(kubeconfig), field_manager="kubecurrent-bench")
    queue: asyncio.Queue[tuple[str, int]] = asyncio.Queue()
    for item in items:
        queue.put_nowait(item)
    failures = 0

    async def worker() -> None:
        nonlocal failures
        while not queue.empty():
            kind, i = queue.get_nowait()
            try:
                await client.create(manifest(kind, i, nodes))
            except ApiError as exc:
                if exc.status.code != 409:  # already there from an earlier stage: fine
                    failures += 1

    await asyncio.gather(*(worker() for _ in range(workers)))
    await client.close()
    return failures


def fill(kubeconfig: Path, start: int, stop: int, workers: int, nodes: int = NODES) -> None:
    items = list(plan(start, stop))
    began = time.monotonic()
    failures = asyncio.run(create_all(kubeconfig, items, workers, nodes))
    took = time.monotonic() - began
    print(
        f"  created {len(items)} objects in {took:.0f}s ({len(items) / took:.0f}/s, "
        f"{failures} failed)",
        flush=True,
    )


def peer_command(name: str, binary: Path, kubeconfig: Path) -> list[str]:
    if name == "kubent":
        return [str(binary), "--kubeconfig", str(kubeconfig), "-o", "json", "-t", f"{TARGET}.0"]
    return [  # pluto reads $KUBECONFIG
        str(binary),
        "detect-all-in-cluster",
        "-o",
        "json",
        "--target-versions",
        f"k8s=v{TARGET}.0",
    ]


FLOOR = "client floor"
"""The label of bench/client_floor.py's runs (``STDLIB_FLOOR``: with ``--stdlib``)."""
STDLIB_FLOOR = "stdlib floor"


def scan(
    kubeconfig: Path, objects: int, peers: dict[str, Path], repeat: int, floor: bool = False
) -> Runs:
    """Ours and every peer ``repeat`` times, interleaved (and the client floor when ``floor``);
    our runs are returned."""
    ours = [
        kubecurrent(), "--kubeconfig", str(kubeconfig), "scan", "cluster", "-o", "json",
        "--target", TARGET, "--timeout", "3600", "--fail-on", "none",
    ]  # fmt: skip
    commands = {"kubecurrent": ours}
    commands.update(
        {name: peer_command(name, binary, kubeconfig) for name, binary in peers.items()}
    )
    if floor:
        script = [sys.executable, str(Path(__file__).with_name("client_floor.py"))]
        commands[FLOOR] = [*script, str(kubeconfig)]
        commands[STDLIB_FLOOR] = [*script, "--stdlib", str(kubeconfig)]
    env = {**os.environ, "KUBECONFIG": str(kubeconfig)}  # pluto reads $KUBECONFIG
    results = interleave(commands, repeat, env=env, warmup=False)
    mine = results["kubecurrent"]
    try:
        found = json.loads(mine.last.stdout)["findings"]
    except (ValueError, KeyError):
        print(f"  kubecurrent failed (exit {mine.last.exit}): {mine.last.stderr.strip()[-800:]}")
        return mine
    print(f"  @ {objects} objects:")
    for runs in results.values():
        print("    " + runs.line())
    rules = Counter(f"{f['rule']} ({f['source']})" for f in found)
    print(f"    our findings: {', '.join(f'{r} x{n}' for r, n in sorted(rules.items()))}")
    for name in peers:
        print("    " + ratio(mine, results[name]))
    for label in (FLOOR, STDLIB_FLOOR) if floor else ():
        seen = json.loads(results[label].last.stdout or "{}").get("objects")
        print(f"    {label} read {seen} objects")
        for name in peers:
            print("    " + ratio(results[label], results[name]))
    print(f"    {load()}", flush=True)
    return mine


def profile(kubeconfig: Path, top: int) -> None:
    """Our scan once more under cProfile: where the client spends its CPU (internal time)."""
    with tempfile.TemporaryDirectory(prefix="kubecurrent-profile-") as tmp:
        script, out = Path(tmp) / "scan.py", Path(tmp) / "scan.prof"
        script.write_text(
            "import sys\nfrom kubecurrent.cli import main\n"
            f"sys.argv = ['kubecurrent', '--kubeconfig', {str(kubeconfig)!r}, 'scan', "
            f"'cluster', '-o', 'json', '--target', {TARGET!r}, '--timeout', '3600', "
            "'--fail-on', 'none']\nmain()\n"
        )
        subprocess.run(
            [sys.executable, "-m", "cProfile", "-o", str(out), str(script)],
            capture_output=True,
            check=False,
        )
        stats = io.StringIO()
        pstats.Stats(str(out), stream=stats).sort_stats("tottime").print_stats(top)
    lines = [ln for ln in stats.getvalue().splitlines() if ln.strip()]
    print("    profile of our scan (top functions by internal time):")
    for line in lines[2:]:
        print("      " + line[:150])


def prepare(kubeconfig: Path) -> None:
    async def go() -> None:
        client = AsyncClient(KubeConfig.from_file(kubeconfig), field_manager="kubecurrent-bench")
        for n in range(NAMESPACES):
            ns = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": f"bench-{n}"}}
            await client.create(codecs.from_dict(ns))
        await client.create(CRD.from_dict(crd_manifest()))
        await client.close()

    asyncio.run(go())
    time.sleep(5)  # let the CRD's API become served


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--objects", type=int, default=100_000, help="objects in the last stage")
    ap.add_argument("--small", type=int, default=10_000, help="objects in the first stage")
    ap.add_argument("--workers", type=int, default=48, help="concurrent create requests")
    ap.add_argument("--scans", type=int, default=3, help="scans per stage (median reported)")
    ap.add_argument(
        "--profile", type=int, default=25, help="after each stage, our top N functions (0: none)"
    )
    ap.add_argument(
        "--floor", action="store_true", help="also run bench/client_floor.py (see the doc)"
    )
    args = ap.parse_args()
    peers = {n: b for n in PEERS if (b := peer(n)) is not None}
    if not peers:
        print("no peer available: kubecurrent's own figures only")
    with tempfile.TemporaryDirectory(prefix="kubecurrent-bench-") as home:
        os.environ["KUBECURRENT_SANDBOX_HOME"] = home
        began = time.monotonic()
        pool = sb.parse_pool(f"workers={NODES}", sb.release_of(VERSION))
        sb.up(sb.UpOptions(NAME, VERSION, (pool,), timeout=600))
        print(
            f"sandbox {NAME} ({VERSION}, {NODES} kwok nodes) up in {time.monotonic() - began:.0f}s"
        )
        try:
            kubeconfig = sb.run_dir(NAME) / "kubeconfig"
            prepare(kubeconfig)
            figures: dict[int, Runs] = {}
            done = 0
            for stage in sorted({args.small, args.objects}):  # one stage when they are equal
                print(
                    f"stage: {stage} objects ({NODES} nodes + pods, configmaps, deployments, CRs)"
                )
                fill(kubeconfig, done, stage - NODES, args.workers)
                done = stage - NODES
                figures[stage] = scan(kubeconfig, stage, peers, args.scans, args.floor)
                if args.profile:
                    profile(kubeconfig, args.profile)
            small, big = figures[args.small], figures[args.objects]
            print(  # (once when the stages are one: then 1.00x)
                f"kubecurrent peak RSS: {small.peak:.0f} MiB at {args.small} objects, "
                f"{big.peak:.0f} MiB at {args.objects} objects "
                f"({big.peak / small.peak:.2f}x for {args.objects / args.small:.0f}x the objects)"
            )
            print(f"total bench time {time.monotonic() - began:.0f}s")
        finally:
            sb.down(NAME)


if __name__ == "__main__":
    main()

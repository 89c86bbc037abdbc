"""Benchmark: the whole ``kubecurrent plan --fleet-spec FILE -o json`` on a 1,000-cluster spec.

Writes a seeded fleet spec to disk (control planes 1.24 to one below the target, two to four node
pools up to the skew limit behind, up to 20 add-ons each on a release that runs on the cluster's
minor, a few objects in deprecated APIs), then times the command in a fresh process (wall, CPU,
peak RSS; median and min of --repeat runs). There is no peer tool that plans; the goal is <= 2 s.
Exit 3 is expected: with seed 6, the 1.24 clusters running external-snapshotter 6.0 are blocked
(the catalog knows no release running on both 1.24 and 1.25), and the bench prints why.
Not a test: ``.venv/bin/python bench/plan_fleet.py [--clusters 1000] [--repeat 3]
[--target 1.34.13]``; ``--keep FILE`` leaves the spec there for profiling.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).parent))
from harness import interleave, kubecurrent, load  # a sibling script

from kubecurrent.catalog import Addon, Catalog, load_catalog

OLD_APIS = (
    ("batch/v1beta1", "CronJob"),
    ("policy/v1beta1", "PodDisruptionBudget"),
    ("autoscaling/v2beta2", "HorizontalPodAutoscaler"),
)


def _addon_at(addon: Addon, minor: int, rng: random.Random) -> dict[str, str] | None:
    fits = [r for r in addon.releases if r.kubernetes_min.minor <= minor <= r.kubernetes_max.minor]
    if not fits:
        return None
    return {"name": addon.name, "version": str(rng.choice(fits).version)}


def _cluster(i: int, catalog: Catalog, rng: random.Random, target: int) -> dict[str, Any]:
    minor = rng.randint(24, target - 1)
    pools = [
        {"name": f"pool-{p}", "kubelet": f"1.{minor - rng.randint(0, 2)}.3", "nodes": 10}
        for p in range(rng.randint(2, 4))
    ]
    reach = [x for x in catalog.addons if x.latest_release().kubernetes_max.minor >= target]
    addons = [a for a in (_addon_at(x, minor, rng) for x in reach) if a][:20]
    spec: dict[str, Any] = {
        "name": f"cluster-{i:04d}",
        "kubernetes": f"1.{minor}.2",
        "nodePools": pools,
        "addons": addons,
    }
    if rng.random() < 0.3:
        api, kind = rng.choice(OLD_APIS)
        spec["apiUsage"] = [{"apiVersion": api, "kind": kind, "count": rng.randint(1, 9)}]
    return spec


def write_spec(path: Path, clusters: int, seed: int, target_minor: int) -> int:
    """Write the fleet spec; the number of add-ons in it."""
    catalog = load_catalog()
    rng = random.Random(seed)  # noqa: S311 - a reproducible fleet, not a secret
    fleet = [_cluster(i, catalog, rng, target_minor) for i in range(clusters)]
    path.write_text(yaml.safe_dump({"clusters": fleet}, sort_keys=False))
    return sum(len(c["addons"]) for c in fleet)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clusters", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--target", default="1.34.13", help="target release (default 1.34.13)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="write the spec here and keep it")
    args = parser.parse_args()
    minor = int(args.target.split(".")[1])
    with tempfile.TemporaryDirectory(prefix="kubecurrent-bench-") as tmp:
        spec = args.keep or Path(tmp) / "fleet.yaml"
        addons = write_spec(spec, args.clusters, args.seed, minor)
        size = spec.stat().st_size / 1024 / 1024
        print(f"fleet spec: {args.clusters} clusters, {addons} add-ons, {size:.1f} MiB on disk")
        cmd = [
            kubecurrent(), "plan", "--fleet-spec", str(spec), "--target", args.target,
            "--replace", "ingress-nginx=envoy-gateway", "-o", "json",
        ]  # fmt: skip
        runs = interleave({"kubecurrent plan": cmd}, args.repeat)["kubecurrent plan"]
        print("  " + runs.line())
        codes = {r.exit for r in runs.runs}
        if not codes <= {0, 3}:  # 3 is `plan`'s documented "at least one cluster is blocked"
            sys.exit(f"kubecurrent plan failed (exit {sorted(codes)}): {runs.last.stderr}")
        out = json.loads(runs.last.stdout)
        blocked = [c for c in out["clusters"] if c["status"] == "blocked"]
        print(
            f"  planned {len(out['clusters'])} clusters, {len(blocked)} blocked (exit 3 when "
            f"any is); goal <= 2 s: {'met' if runs.wall <= 2 else 'NOT met'} "
            f"(median {runs.wall:.2f}s)"
        )
        for reason, count in Counter(r for c in blocked for r in c["reasons"]).most_common(3):
            print(f"  blocked x{count}: {reason}")
        print(f"  {load()}")


if __name__ == "__main__":
    main()

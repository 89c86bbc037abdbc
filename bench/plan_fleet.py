"""Plan a 1,000-cluster fleet with 20 add-ons each and print the wall time (target: <= 2 s).

Run: .venv/bin/python bench/plan_fleet.py [--clusters N] [--seed S]
The fleet is random but seeded: control planes 1.24-1.35, two to four node pools up to the
skew limit behind, and up to 20 add-ons each (those the catalog can take to the target,
default 1.36.6; with --target 1.34.13 all 20 slots fill) on a release that runs on the cluster's minor; ingress-nginx is replaced by envoy-gateway.
"""

from __future__ import annotations

import argparse
import random
import time

from kubecurrent.catalog import Addon, Catalog, load_catalog
from kubecurrent.model import KubeVersion
from kubecurrent.model.inventory import ClusterInventory, InstalledAddon, NodePool
from kubecurrent.plan import PlanPolicy, plan_fleet


def _addon_at(addon: Addon, minor: int, rng: random.Random) -> InstalledAddon | None:
    fits = [r for r in addon.releases if r.kubernetes_min.minor <= minor <= r.kubernetes_max.minor]
    if not fits:
        return None
    return InstalledAddon(name=addon.name, version=str(rng.choice(fits).version))


def _cluster(i: int, catalog: Catalog, rng: random.Random, target: int) -> ClusterInventory:
    minor = rng.randint(24, target - 1)
    pools = [
        NodePool(name=f"pool-{p}", kubelet=KubeVersion(1, minor - rng.randint(0, 2), 3), nodes=10)
        for p in range(rng.randint(2, 4))
    ]
    reach = [x for x in catalog.addons if x.latest_release().kubernetes_max.minor >= target]
    addons = [a for a in (_addon_at(x, minor, rng) for x in reach) if a][:20]
    return ClusterInventory(
        name=f"cluster-{i:04d}",
        control_plane=KubeVersion(1, minor, 2),
        node_pools=tuple(pools),
        addons=tuple(addons),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clusters", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--target", default="1.36.6", help="target release (default 1.36.6)")
    args = parser.parse_args()
    catalog = load_catalog()
    rng = random.Random(args.seed)  # noqa: S311 - a reproducible fleet, not a secret
    target = KubeVersion.parse(args.target)
    fleet = [_cluster(i, catalog, rng, target.minor) for i in range(args.clusters)]
    addons = sum(len(c.addons) for c in fleet)
    policy = PlanPolicy(replace=(("ingress-nginx", "envoy-gateway"),))
    start = time.perf_counter()
    result = plan_fleet(fleet, catalog, target, policy)
    elapsed = time.perf_counter() - start
    t = result.totals
    print(
        f"planned {len(fleet)} clusters ({addons} add-ons) to {result.target} in {elapsed:.2f} s: "
        f"{len(result.blocked)} blocked, {len(result.groups)} distinct paths, {t.hops} hops, "
        f"{t.node_rolls} node rolls, {t.addon_moves} add-on moves"
    )


if __name__ == "__main__":
    main()

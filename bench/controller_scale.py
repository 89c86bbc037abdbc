#!/usr/bin/env python3
"""Measure the orchestration layer alone: one FleetUpgrade of --members member clusters driven
by 1, 2 and 4 controller replicas on a sandbox management cluster.

The per-cluster runner is ``InstantCluster``, a test double whose two steps complete at once
(no cluster behind it), so what is measured is the controller: Leases, the KubeStore's reads
and writes, the engine's waves and claims. The replicas are ``Controller`` objects in this
process (threads: they share one interpreter, so more replicas spread the work but not the
CPU). Prints, per replica count: rollout wall time, KubeStore API requests per cluster (Lease
traffic aside), and the largest object written.

Runs in a private sandbox home and removes everything it started. Not a test: it prints figures.
Usage: .venv/bin/python bench/controller_scale.py [--members 1000] [--replicas 1 2 4]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import threading
import time
from dataclasses import dataclass

from lightkube import Client
from lightkube.models.meta_v1 import ObjectMeta
from lightkube.resources.core_v1 import Namespace, Secret

from kubecurrent import sandbox as sb
from kubecurrent.controller import Controller, Coordinator, LeaseSettings
from kubecurrent.errors import UsageError
from kubecurrent.execute import Audit, Baseline, Clock, Executor, RetryPolicy
from kubecurrent.kubestate import FleetUpgrade, KubeStore, MemberCluster, install_crds
from kubecurrent.model.inventory import ClusterInventory, NodePool
from kubecurrent.model.plan import ClusterPlan, Step
from kubecurrent.rollout import ClusterRef, ClusterRun, RunnerFactory, RunnerSettings

FROM, TO = "1.36.3", "1.37.2"


class _Gate:
    def baseline(self) -> Baseline:
        return Baseline()

    def wait(self, baseline: Baseline, after: str) -> None:
        pass


@dataclass
class InstantCluster:
    """Test double of ``ClusterRun``: versions in ``versions``; both steps complete at once."""

    name: str
    versions: dict[str, tuple[str, str]]

    def recover(self) -> str | None:
        return None

    def inventory(self) -> ClusterInventory:
        cp, kubelet = self.versions.get(self.name, (FROM, FROM))
        pools = (NodePool(name="pool", kubelet=kubelet, nodes=1),)
        return ClusterInventory(name=self.name, control_plane=cp, node_pools=pools)

    def plan(self, inventory: ClusterInventory, target: str) -> ClusterPlan:
        kinds = (("control-plane", "control-plane"), ("node-pool", "pool"))
        steps = tuple(
            Step.model_validate(
                {"order": i, "type": t, "target": n, "to": TO, "from": FROM}
                | {"why": "w", "without": "x", "hop": 0}
            )
            for i, (t, n) in enumerate(kinds, 1)
        )
        return ClusterPlan(name=self.name, status="ok", from_version=FROM, target=TO, steps=steps)

    def findings(self, inventory: ClusterInventory, target: str) -> dict[str, int]:
        return {}

    def executor(self, plan: ClusterPlan, audit: Audit) -> Executor:
        def control_plane(step: Step, _inv: ClusterInventory) -> str:
            self.versions[self.name] = (TO, self.versions.get(self.name, (FROM, FROM))[1])
            return "upgraded"

        def node_pool(step: Step, _inv: ClusterInventory) -> str:
            self.versions[self.name] = (self.versions.get(self.name, (FROM, FROM))[0], TO)
            return "rolled"

        return Executor(
            plan=plan,
            actions={"control-plane": control_plane, "node-pool": node_pool},
            collect=self.inventory,
            gate=_Gate(),
            audit=audit,
            retry=RetryPolicy(attempts=1),
            clock=Clock(),
        )

    def health(self, audit: Audit, baseline: Baseline) -> None:
        pass


@dataclass
class InstantRunners:
    """Test double of ``RunnerSource``: every member is an ``InstantCluster``."""

    versions: dict[str, tuple[str, str]]

    def record(self) -> RunnerSettings:
        return RunnerSettings()

    def factory(self, recorded: RunnerSettings | None) -> RunnerFactory:
        def make(ref: ClusterRef) -> ClusterRun:
            return InstantCluster(ref.name, self.versions)

        return make


def populate(client: Client, namespace: str, members: int, concurrency: int) -> None:
    client.create(Namespace(metadata=ObjectMeta(name=namespace)))
    install_crds(client, "kubecurrent-bench")
    client.create(
        Secret(metadata=ObjectMeta(name="kc", namespace=namespace), stringData={"kubeconfig": "x"})
    )
    for i in range(members):
        client.create(
            MemberCluster(
                metadata=ObjectMeta(name=f"m-{i:04d}", namespace=namespace),
                spec={"kubeconfigSecretRef": {"name": "kc"}},
            )
        )
    strategy = {"waves": [{"name": "all", "concurrency": concurrency}]}
    client.create(
        FleetUpgrade(
            metadata=ObjectMeta(name="scale", namespace=namespace),
            spec={"target": "1.37", "strategy": strategy},
        )
    )


def measure(client: Client, members: int, replicas: int, concurrency: int) -> None:
    namespace = f"bench-{replicas}"
    populate(client, namespace, members, concurrency)
    versions: dict[str, tuple[str, str]] = {}
    settings = LeaseSettings(namespace=namespace)  # the controller's defaults
    ctls = [
        Controller(
            KubeStore(client, namespace, f"k8s://bench/{namespace}"),
            Coordinator(client, f"r{i}", settings),
            f"r{i}",
            interval=0.5,
            runners=InstantRunners(versions),
        )
        for i in range(replicas)
    ]
    stop = threading.Event()
    started = time.monotonic()
    threads = [threading.Thread(target=c.run, args=(stop,), daemon=True) for c in ctls]
    for thread in threads:
        thread.start()
    watch = KubeStore(client, namespace, "k8s://bench")
    while True:
        try:
            state = watch.rollout("scale").state
            if state.finished:
                break
        except UsageError:
            pass  # not recorded yet
        time.sleep(1.0)
    wall = time.monotonic() - started
    stop.set()
    for thread in threads:
        thread.join(60)
    upgraded = sum(1 for v in versions.values() if v == (TO, TO))
    requests = sum(c.store.requests for c in ctls)
    largest = max(c.store.largest_write for c in ctls)
    print(
        f"{replicas} replica(s): {members} members ({upgraded} upgraded, rollout {state.value}) "
        f"in {wall:.1f}s; "
        f"{requests / members:.1f} KubeStore API requests per cluster; "
        f"largest object written {largest / 1024:.1f} KiB",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--replicas", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--concurrency", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kubecurrent-bench-") as home:
        os.environ["KUBECURRENT_SANDBOX_HOME"] = home
        sb.up(sb.UpOptions("bench-mgmt", "1.36", ()))
        try:
            client = sb.admin_client("bench-mgmt")
            for replicas in args.replicas:
                measure(client, args.members, replicas, args.concurrency)
        finally:
            sb.down("bench-mgmt")


if __name__ == "__main__":
    main()

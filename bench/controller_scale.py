#!/usr/bin/env python3
"""Measure the orchestration layer alone: one FleetUpgrade of --members member clusters driven
by 1, 2 and 4 controller replicas on a sandbox management cluster (a real kube-apiserver and
etcd, started here).

The per-cluster runner is ``InstantCluster``, a test double whose two steps complete at once
(no cluster behind it), so what is measured is the controller: Leases, the KubeStore's reads
and writes (its ClusterUpgrade mirror included), the engine's waves and claims. Each replica is
a process of its own (``--replica``, wired as ``kubecurrent controller`` wires one, with the
test double as its runners); ``--threads`` runs them as threads of this process instead.
Prints, per replica count: rollout wall time (from starting the replicas to the rollout done),
KubeStore API requests per cluster by verb and resource (shard and leader Leases aside), the
largest object written, and checks that every cluster is done with each step run exactly once.

``--smoke`` is the correctness check for CI (20 members, 2 replica processes; no timing): it
exits non-zero when a cluster is not done or a step did not run exactly once.

Runs in a private sandbox home and removes everything it started. Not a test: it prints figures.
Usage: .venv/bin/python bench/controller_scale.py [--members 1000] [--replicas 1 2 4]
       [--concurrency 50] [--threads] [--smoke]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

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
from kubecurrent.rollout import ClusterRef, ClusterRun, ClusterState, RunnerFactory, RunnerSettings

sys.path.insert(0, str(Path(__file__).parent))
from harness import load  # sibling script

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
    actions: list[tuple[str, str]]
    """Every step action run in this process, as (cluster, step type)."""

    def recover(self) -> str | None:
        return None

    def inventory(self) -> ClusterInventory:
        cp, kubelet = self.versions.get(self.name, (FROM, FROM))
        pools = (NodePool(name="pool", kubelet=kubelet, nodes=1),)
        return ClusterInventory(name=self.name, control_plane=cp, node_pools=pools)

    def plan(self, inventory: ClusterInventory, target: str) -> ClusterPlan:
        kinds = (("control-plane", "control-plane"), ("node-pool", "pool"))
        steps = tuple(
            Step.read(
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
            self.actions.append((self.name, step.type))
            self.versions[self.name] = (TO, self.versions.get(self.name, (FROM, FROM))[1])
            return "upgraded"

        def node_pool(step: Step, _inv: ClusterInventory) -> str:
            self.actions.append((self.name, step.type))
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
    actions: list[tuple[str, str]]

    def record(self) -> RunnerSettings:
        return RunnerSettings()

    def factory(self, recorded: RunnerSettings | None) -> RunnerFactory:
        def make(ref: ClusterRef) -> ClusterRun:
            return InstantCluster(ref.name, self.versions, self.actions)

        return make


MGMT = "bench-mgmt"


def populate(client: Client, namespace: str, members: int, concurrency: int) -> None:
    client.create(Namespace(metadata=ObjectMeta(name=namespace)))
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


def declare(client: Client, namespace: str, concurrency: int) -> None:
    strategy = {"waves": [{"name": "all", "concurrency": concurrency}]}
    client.create(
        FleetUpgrade(
            metadata=ObjectMeta(name="scale", namespace=namespace),
            spec={"target": "1.37", "strategy": strategy},
        )
    )


def replica(client: Client, namespace: str, identity: str) -> Controller:
    """One replica as ``kubecurrent controller`` wires it, with the test double as runners."""
    return Controller(
        KubeStore(client, namespace, f"k8s://bench/{namespace}", mirror=True),
        Coordinator(client, identity, LeaseSettings(namespace=namespace)),  # the defaults
        identity,
        interval=0.5,
        runners=InstantRunners({}, []),
    )


@dataclass
class Tally:
    """What a replica did: its store's requests by verb and resource, its largest write, the
    step actions it ran."""

    calls: Counter[str]
    largest: int
    actions: list[tuple[str, str]]
    cpu: float = 0.0
    """CPU seconds (user + system) of the replica's process; 0 for a thread."""

    @classmethod
    def of(cls, ctl: Controller, cpu: float = 0.0) -> Tally:
        assert isinstance(ctl.runners, InstantRunners)
        calls, actions = Counter(ctl.store.calls), list(ctl.runners.actions)
        return cls(calls, ctl.store.largest_write, actions, cpu)

    def dump(self) -> str:
        data = {"calls": self.calls, "largest": self.largest, "actions": self.actions}
        return json.dumps(data | {"cpu": self.cpu})

    @classmethod
    def load(cls, text: str) -> Tally:
        data = json.loads(text)
        actions = [(a, b) for a, b in data["actions"]]
        return cls(Counter(data["calls"]), int(data["largest"]), actions, float(data["cpu"]))


def run_replica(namespace: str, identity: str, out: str) -> None:
    """``--replica``: run one replica until SIGTERM, then write its ``Tally`` to ``out``."""
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    ctl = replica(sb.admin_client(MGMT), namespace, identity)
    ctl.run(stop)
    ctl.wait_drivers(30)
    Path(out).write_text(Tally.of(ctl, time.process_time()).dump())


def wait_done(client: Client, namespace: str) -> str:
    watch = KubeStore(client, namespace, f"k8s://bench/{namespace}")
    while True:
        try:
            state = watch.rollout("scale").state
            if state.finished:
                return state.value
        except UsageError:
            pass  # not recorded yet
        time.sleep(0.5)


def in_processes(namespace: str, replicas: int, folder: str) -> tuple[float, str, list[Tally]]:
    client = sb.admin_client(MGMT)
    outs = [str(Path(folder) / f"{namespace}-r{i}.json") for i in range(replicas)]
    started = time.monotonic()
    procs = [
        subprocess.Popen(
            [sys.executable, __file__, "--replica", namespace, f"r{i}", out],
            stderr=subprocess.DEVNULL,
        )
        for i, out in enumerate(outs)
    ]
    try:
        state = wait_done(client, namespace)
        wall = time.monotonic() - started
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        for proc in procs:
            proc.wait(120)
    return wall, state, [Tally.load(Path(out).read_text()) for out in outs]


def in_threads(namespace: str, replicas: int) -> tuple[float, str, list[Tally]]:
    client = sb.admin_client(MGMT)
    ctls = [replica(client, namespace, f"r{i}") for i in range(replicas)]
    stop = threading.Event()
    started = time.monotonic()
    threads = [threading.Thread(target=c.run, args=(stop,), daemon=True) for c in ctls]
    for thread in threads:
        thread.start()
    state = wait_done(client, namespace)
    wall = time.monotonic() - started
    stop.set()
    for thread in threads:
        thread.join(60)
    for ctl in ctls:
        ctl.wait_drivers(30)
        ctl.store.close()
    return wall, state, [Tally.of(c) for c in ctls]


def measure(args: argparse.Namespace, replicas: int, folder: str) -> list[str]:
    """One rollout with ``replicas`` replicas; its line of the table; the problems found."""
    client = sb.admin_client(MGMT)
    namespace = f"bench-{replicas}"
    members = args.members
    populate(client, namespace, members, args.concurrency)
    declare(client, namespace, args.concurrency)
    if args.threads:
        wall, state, tallies = in_threads(namespace, replicas)
    else:
        wall, state, tallies = in_processes(namespace, replicas, folder)
    calls: Counter[str] = Counter()
    runs: Counter[tuple[str, str]] = Counter()
    for tally in tallies:
        calls.update(tally.calls)
        runs.update(tally.actions)
    largest = max(t.largest for t in tallies)
    records = KubeStore(client, namespace, "k8s://bench").clusters("scale")
    problems = [f"{r.name} is {r.state.value}" for r in records if r.state is not ClusterState.DONE]
    if len(records) != members:
        problems.append(f"the rollout has {len(records)} clusters, not {members}")
    expected = {(f"m-{i:04d}", t) for i in range(members) for t in ("control-plane", "node-pool")}
    problems += [
        f"{c} step {t} ran {runs[(c, t)]} times" for c, t in sorted(expected) if runs[(c, t)] != 1
    ]
    problems += [f"{c} step {t} ran but was not planned" for c, t in runs if (c, t) not in expected]
    requests = sum(calls.values())
    print(
        f"{replicas} replica(s) as {'threads' if args.threads else 'processes'}: "
        f"{members} members, rollout {state} in {wall:.1f}s; "
        f"{requests / members:.1f} KubeStore API requests per cluster; "
        f"largest object written {largest / 1024:.1f} KiB; "
        f"{sum(runs.values())} step actions ({'ok' if not problems else 'NOT OK'})"
        + (f"; replicas' CPU {sum(t.cpu for t in tallies):.1f}s" if not args.threads else ""),
        flush=True,
    )
    for what, count in calls.most_common():
        print(f"    {what:36} {count / members:7.2f} per cluster", flush=True)
    return [f"{replicas} replica(s): {p}" for p in problems]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--replicas", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument(
        "--threads", action="store_true", help="replicas as threads of this process"
    )
    parser.add_argument("--smoke", action="store_true", help="20 members, 2 replicas: correctness")
    parser.add_argument(
        "--replica", nargs=3, metavar=("NAMESPACE", "IDENTITY", "OUT"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.replica:
        run_replica(*args.replica)
        return 0
    if args.smoke:
        args.members, args.replicas, args.concurrency = 20, [2], 10
    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix="kubecurrent-bench-") as home:
        os.environ["KUBECURRENT_SANDBOX_HOME"] = home
        sb.up(sb.UpOptions(MGMT, "1.36", ()))
        try:
            install_crds(sb.admin_client(MGMT), "kubecurrent-bench")
            for replicas in args.replicas:
                problems += measure(args, replicas, home)
        finally:
            sb.down(MGMT)
    print(f"{load()}", flush=True)
    for problem in problems[:20]:
        print(f"PROBLEM: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

"""Three controller replicas as processes share one rollout's clusters; replicas are SIGKILLed
at random points and replaced; every member ends at the target with every step run once.

The management cluster is the session sandbox; the replicas are ``replica_proc`` processes
(``Controller`` wired as ``kubecurrent controller`` wires it); the members are its
``FileCluster`` test doubles (a JSON file each, every step action logged with its pid), each
step taking ``STEP_SECONDS`` so that kills land in the middle of steps.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from lightkube import Client
from lightkube.models.meta_v1 import ObjectMeta
from lightkube.resources.coordination_v1 import Lease
from lightkube.resources.core_v1 import Secret
from lightkube.types import PatchType

from kubecurrent.errors import UsageError
from kubecurrent.kubestate import FleetUpgrade, KubeStore, MemberCluster, install_crds
from kubecurrent.rollout import ClusterState, Entity, RolloutState, StepState, WaveState
from tests.integration.conftest import SessionSandbox, wait_for
from tests.integration.controller.replica_proc import TO, read_member

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[3]
MEMBERS = {"dev-1": "dev", **{f"prod-{i}": "prod" for i in range(1, 11)}}
KILLS = 10
BUDGET = 150.0
"""Seconds of the test spent killing replicas, at most."""


def start(
    cluster: SessionSandbox, namespace: str, identity: str, folder: Path
) -> subprocess.Popen[bytes]:
    log = (folder.parent / f"{identity}.log").open("wb")
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.integration.controller.replica_proc",
            str(cluster.kubeconfig),
            namespace,
            identity,
            str(folder),
        ],
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        env=os.environ.copy(),
    )


def state(store: KubeStore) -> RolloutState | None:
    """The rollout's state; None until the lead replica has recorded the FleetUpgrade."""
    try:
        return store.rollout("to-137").state
    except UsageError:
        return None


def held_by(client: Client, namespace: str, identity: str) -> list[str]:
    """The Leases ``identity`` holds (its member Lease aside)."""
    return [
        lease.metadata.name
        for lease in client.list(Lease, namespace=namespace)
        if lease.spec
        and lease.spec.holderIdentity == identity
        and lease.metadata
        and lease.metadata.name
        and "-member-" not in lease.metadata.name
    ]


def test_replicas_killed_at_random_points_leave_every_member_at_the_target_once(
    cluster: SessionSandbox, namespace: str, tmp_path: Path
) -> None:
    admin = cluster.client()
    install_crds(admin, "kubecurrent-tests")
    for name, env in MEMBERS.items():
        admin.create(
            Secret(
                metadata=ObjectMeta(name=f"{name}-kc", namespace=namespace),
                stringData={"kubeconfig": "x"},
            )
        )
        admin.create(
            MemberCluster(
                metadata=ObjectMeta(name=name, namespace=namespace, labels={"env": env}),
                spec={"kubeconfigSecretRef": {"name": f"{name}-kc"}},
            )
        )
    admin.create(
        FleetUpgrade(
            metadata=ObjectMeta(name="to-137", namespace=namespace),
            spec={
                "target": "1.37",
                "strategy": {
                    "waves": [
                        {"name": "canary", "select": {"env": "dev"}, "count": 1},
                        {"name": "rest", "approval": True, "concurrency": 2},
                    ]
                },
            },
        )
    )
    folder = tmp_path / "members"
    folder.mkdir()
    store = KubeStore(admin, namespace, f"k8s://sandbox/{namespace}")
    procs = {f"r{i}": start(cluster, namespace, f"r{i}", folder) for i in range(3)}
    seed = int.from_bytes(os.urandom(4), "big")
    rng = random.Random(seed)  # noqa: S311 - kill points, not secrets; the seed is printed
    takeovers: list[tuple[str, int, float]] = []
    try:
        wait_for(
            lambda: state(store) is RolloutState.WAITING_APPROVAL,
            "the canary wave to finish and the gate to hold",
            timeout=90,
        )
        assert read_member(folder, "dev-1")["calls"] != []  # the canary ran
        assert all(read_member(folder, n)["calls"] == [] for n in MEMBERS if n != "dev-1")
        admin.patch(
            FleetUpgrade,
            "to-137",
            [{"op": "add", "path": "/spec/approvals", "value": [{"wave": "rest", "by": "olga"}]}],
            namespace=namespace,
            patch_type=PatchType.JSON,
        )
        began, born = time.monotonic(), len(procs)
        while (
            len(takeovers) < KILLS
            and time.monotonic() - began < BUDGET
            and store.rollout("to-137").state is not RolloutState.DONE
        ):
            time.sleep(rng.uniform(0.3, 3.0))
            victim = rng.choice(sorted(procs))
            held = held_by(admin, namespace, victim)
            if not held:  # just started, holds nothing yet: a kill would show no takeover
                continue
            procs.pop(victim).send_signal(signal.SIGKILL)
            died = time.monotonic()
            fresh = f"r{born}"
            born += 1
            procs[fresh] = start(cluster, namespace, fresh, folder)
            wait_for(
                lambda v=victim: not held_by(admin, namespace, v),
                f"the Leases of killed replica {victim} to be taken over",
                timeout=30,
                interval=0.1,
            )
            takeovers.append((victim, len(held), time.monotonic() - died))
        wait_for(
            lambda: store.rollout("to-137").state is RolloutState.DONE,
            "the rollout to finish",
            timeout=120,
        )
    finally:
        for proc in procs.values():
            proc.send_signal(signal.SIGTERM)
        for proc in procs.values():
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
    print(f"\nseed {seed}; {len(takeovers)} replicas SIGKILLed; takeover of their Leases:")
    for victim, count, took in takeovers:
        print(f"  {victim} ({count} Leases): {took:.1f}s")
    assert len(takeovers) >= 3, f"only {len(takeovers)} kills landed before the rollout ended"
    # a 4 s lease, 0.5 s rounds; a replica's rounds lag on a loaded machine (2 cores shared)
    assert all(took < 4.0 + 11.0 for _, _, took in takeovers), takeovers

    for name in MEMBERS:
        member = read_member(folder, name)
        assert (member["controlPlane"], member["kubelet"]) == (TO, TO), name
        assert sorted(order for order, _pid in member["calls"]) == [1, 2], (name, member)
    assert [w.state for w in store.waves("to-137")] == [WaveState.DONE, WaveState.DONE]
    assert {c.state for c in store.clusters("to-137")} == {ClusterState.DONE}
    assert {s.state for s in store.steps("to-137")} == {StepState.DONE}
    done = [
        e.ref
        for e in store.journal("to-137")
        if e.entity is Entity.STEP and e.to_state == StepState.DONE.value
    ]
    assert sorted(done) == sorted(f"{n}:{o}" for n in MEMBERS for o in (1, 2))  # once each
    owners = store.owners("to-137")
    assert set(owners) == set(MEMBERS) and all(owners.values())
    pids = {pid for name in MEMBERS for _o, pid in read_member(folder, name)["calls"]}
    assert len(pids) >= 2  # the clusters were spread over several processes

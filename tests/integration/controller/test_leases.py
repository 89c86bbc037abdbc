"""Replicas share shards through real Leases: they split them, a silent replica's shards are
taken over within the lease duration, a clean stop hands over at once, and missing RBAC is
named."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from lightkube import codecs
from lightkube.resources.coordination_v1 import Lease

from kubecurrent import sandbox as sb
from kubecurrent.controller import Coordinator, LeaseSettings
from kubecurrent.errors import ClusterError
from tests.integration.conftest import SessionSandbox, wait_for

pytestmark = pytest.mark.integration

SHARDS = 8


def settings(namespace: str) -> LeaseSettings:
    return LeaseSettings(
        namespace=namespace, shards=SHARDS, duration=4.0, renew_deadline=3.0, renew_every=0.5
    )


@pytest.fixture
def replicas(cluster: SessionSandbox, namespace: str) -> Iterator[tuple[Coordinator, Coordinator]]:
    a = Coordinator(cluster.client(), "replica-a", settings(namespace))
    b = Coordinator(cluster.client(), "replica-b", settings(namespace))
    yield a, b
    for replica in (a, b):
        replica.stop(release=False)


def converged(a: Coordinator, b: Coordinator) -> bool:
    return (
        len(a.held) == len(b.held) == SHARDS // 2 and not a.held & b.held and a.leader != b.leader
    )


def test_a_lone_replica_takes_every_shard_and_the_lead(
    cluster: SessionSandbox, namespace: str, replicas: tuple[Coordinator, Coordinator]
) -> None:
    a, _ = replicas
    a.step()
    assert a.held == frozenset(range(SHARDS)) and a.leader
    leases = {
        lease.metadata.name: lease.spec.holderIdentity
        for lease in cluster.client().list(Lease, namespace=namespace)
    }
    assert leases == {
        "kubecurrent-member-replica-a": "replica-a",
        "kubecurrent-leader": "replica-a",
        **{f"kubecurrent-shard-{i:03d}": "replica-a" for i in range(SHARDS)},
    }


def test_two_replicas_split_the_shards_and_one_leads(
    replicas: tuple[Coordinator, Coordinator],
) -> None:
    a, b = replicas
    a.step()
    a.start()
    b.start()
    wait_for(lambda: converged(a, b), "two replicas holding 4 shards each", timeout=30)
    assert a.leader  # the lead stays where it was


def test_a_silent_replicas_shards_are_taken_within_the_lease_duration(
    replicas: tuple[Coordinator, Coordinator],
) -> None:
    a, b = replicas
    a.step()
    a.start()
    b.start()
    wait_for(lambda: converged(a, b), "two replicas holding 4 shards each", timeout=30)
    a.stop(release=False)  # as if SIGKILLed: nothing released, nothing renewed
    killed = time.monotonic()
    wait_for(lambda: b.held == frozenset(range(SHARDS)) and b.leader, "takeover", timeout=30)
    took = time.monotonic() - killed
    print(f"takeover of {SHARDS // 2} shards and the lead after {took:.1f}s (lease 4s)")
    # within the lease duration of the last renewal, plus one round and the API's latency
    assert took < 4.0 + 2 * 0.5 + 2.0
    assert a.held == frozenset() and not a.leader  # its own view lapsed with its deadline


def test_a_clean_stop_hands_over_without_waiting_for_expiry(
    replicas: tuple[Coordinator, Coordinator],
) -> None:
    a, b = replicas
    a.step()
    a.start()
    b.start()
    wait_for(lambda: converged(a, b), "two replicas holding 4 shards each", timeout=30)
    a.stop(release=True)
    stopped = time.monotonic()
    wait_for(lambda: b.held == frozenset(range(SHARDS)) and b.leader, "handover", timeout=30)
    assert time.monotonic() - stopped < 4.0  # before the lease duration could have run out


def test_without_rbac_for_leases_the_missing_permission_is_named(
    cluster: SessionSandbox, namespace: str
) -> None:
    admin = cluster.client()
    admin.create(
        codecs.from_dict(
            {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "RoleBinding",
                "metadata": {"name": "view", "namespace": namespace},
                "roleRef": {
                    "apiGroup": "rbac.authorization.k8s.io",
                    "kind": "ClusterRole",
                    "name": "view",
                },
                "subjects": [
                    {"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "ctl"}
                ],
            }
        )
    )
    viewer = cluster.client(sb.mint_user(cluster.name, "ctl"))
    replica = Coordinator(viewer, "replica-x", settings(namespace))
    with pytest.raises(ClusterError) as caught:
        replica.step()
    assert "leases.coordination.k8s.io in namespace " + namespace in caught.value.message
    assert "get, list, create, update and delete" in (caught.value.hint or "")

"""The orchestration layer alone at a hundred clusters on custom resources: the engine drives
them with the engine tests' ``FakeFleet`` test double (steps complete at once), and the test
reports the wall time, the API requests per cluster and the largest object written — bounded,
so that a change that makes the store chatty or its objects large fails here."""

from __future__ import annotations

import time

import pytest

from kubecurrent.kubestate import ETCD_REQUEST_LIMIT, KubeStore, install_crds
from kubecurrent.rollout import ClusterRef, ClusterState, DriveOutcome, Engine, create
from tests.integration.conftest import SessionSandbox
from tests.unit.rollout.test_engine import FakeFleet, SteppedClock, strategy

pytestmark = pytest.mark.integration

CLUSTERS = 100


def test_a_hundred_clusters_cost_a_bounded_number_of_requests_each(
    cluster: SessionSandbox, namespace: str
) -> None:
    install_crds(cluster.client(), "kubecurrent-tests")
    store = KubeStore(cluster.client(), namespace, f"k8s://sandbox/{namespace}")
    time_, fleet = SteppedClock(), FakeFleet()
    refs = [ClusterRef(f"c{i:04d}", labels={"env": "prod"}) for i in range(CLUSTERS)]
    began = time.monotonic()
    rid = create(
        store,
        clusters=refs,
        target="1.37",
        strategy=strategy({"waves": [{"name": "all", "concurrency": 10}]}),
        fleet="scale",
        actor="bench",
        now=time_.now_at,
    )
    recorded = store.requests
    outcome = Engine(store, fleet, "bench", time_.clock(), poll=3600.0).drive(rid)
    took = time.monotonic() - began
    assert outcome is DriveOutcome.DONE
    assert {c.state for c in store.clusters(rid)} == {ClusterState.DONE}
    per_cluster = store.requests / CLUSTERS
    print(
        f"{CLUSTERS} clusters: {took:.1f}s wall, {recorded / CLUSTERS:.1f} requests/cluster to "
        f"record, {per_cluster:.1f} requests/cluster in all, largest object "
        f"{store.largest_write} bytes"
    )
    assert store.largest_write < ETCD_REQUEST_LIMIT
    assert per_cluster < 200

"""The controller tells people: a FleetUpgrade's ``spec.strategy.notify`` is recorded with the
rollout, and the replicas that drive it send its events to a real HTTP receiver, signed with
HMAC-SHA256 — each event once, and a delivery a dead replica left unsent is sent by the next
lead replica under the same delivery id. The clusters are the engine tests' ``FakeFleet`` test
double, handed to the replicas by ``FakeRunners`` (test_drive.py)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from lightkube import Client
from lightkube.models.meta_v1 import ObjectMeta
from lightkube.resources.core_v1 import Secret
from lightkube.types import PatchType

from kubecurrent.controller import Controller, Coordinator, LeaseSettings
from kubecurrent.kubestate import FleetUpgrade, KubeStore, MemberCluster, install_crds
from kubecurrent.notify import SIGNATURE_HEADER, verify
from kubecurrent.rollout import RolloutState
from tests.integration.conftest import SessionSandbox, wait_for
from tests.integration.controller.test_drive import FakeRunners
from tests.receivers import Received, WebhookReceiver, webhook_receiver
from tests.unit.rollout.test_engine import FakeFleet

pytestmark = pytest.mark.integration

KEY_ENV = "KUBECURRENT_TEST_HOOK_KEY"
KEY = "test-hmac-key-0123456789"
MEMBERS = {"dev-1": "dev", "prod-1": "prod", "prod-2": "prod"}


def replica(client: Client, namespace: str, name: str, fleet: FakeFleet) -> Controller:
    settings = LeaseSettings(
        namespace=namespace, shards=4, duration=4.0, renew_deadline=3.0, renew_every=0.5
    )
    store = KubeStore(client, namespace, f"k8s://sandbox/{namespace}")
    return Controller(
        store,
        Coordinator(client, name, settings),
        name,
        runners=FakeRunners(fleet),
        spread=False,
        resume_every=0.0,
    )


def declare(admin: Client, namespace: str, url: str, retry: dict[str, Any]) -> None:
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
                    ],
                    "notify": {
                        "events": ["started", "approval", "done"],
                        "retry": retry,
                        "webhooks": [
                            {"name": "ops", "url": f"{url}/kc", "secret": {"env": KEY_ENV}}
                        ],
                    },
                },
            },
        )
    )


def approve(admin: Client, namespace: str) -> None:
    admin.patch(
        FleetUpgrade,
        "to-137",
        [{"op": "add", "path": "/spec/approvals", "value": [{"wave": "rest", "by": "olga"}]}],
        namespace=namespace,
        patch_type=PatchType.JSON,
    )


def signed(got: Received) -> dict[str, Any]:
    """The body of ``got``, once its signature is checked."""
    assert verify(KEY, got.headers[SIGNATURE_HEADER.lower()], got.body, time.time())
    body: dict[str, Any] = json.loads(got.body)
    return body


@pytest.fixture
def hooks(monkeypatch: pytest.MonkeyPatch) -> Iterator[WebhookReceiver]:
    monkeypatch.setenv(KEY_ENV, KEY)
    # started: 200; the approval's first attempt: 503; then 200
    with webhook_receiver({"/kc": [200, 503, 200]}) as receiver:
        yield receiver


def test_the_lead_replica_sends_signed_events_once_each(
    cluster: SessionSandbox, namespace: str, hooks: WebhookReceiver
) -> None:
    admin = cluster.client()
    declare(admin, namespace, hooks.url, {"attempts": 3, "delay": "1s"})
    fleet = FakeFleet()
    a = replica(cluster.client(), namespace, "pod-a", fleet)
    b = replica(cluster.client(), namespace, "pod-b", fleet)
    a.coordinator.step()
    b.coordinator.step()
    assert a.coordinator.leader and not b.coordinator.leader
    a.coordinator.start()  # both renew from now on, as live pods do
    b.coordinator.start()
    try:
        a.reconcile()  # records the rollout, drives the canary to the gate
        b.reconcile()  # not the leader: records nothing, drives nothing, sends nothing
        a.wait_drivers(120)
        wait_for(lambda: len(hooks.accepted("/kc")) == 2, "started and approval delivered", 30)
        approve(admin, namespace)
        a.reconcile()
        a.wait_drivers(120)
        wait_for(lambda: len(hooks.accepted("/kc")) == 3, "done delivered", 30)
        time.sleep(2.5)  # anything else (a duplicate) would have arrived by now
    finally:
        a.coordinator.stop()
        b.coordinator.stop()
        a.dispatcher.close(10)
        b.dispatcher.close(10)
    store = a.store
    assert store.rollout("to-137").state is RolloutState.DONE
    assert store.rollout("to-137").strategy.notify is not None  # recorded with the rollout
    bodies = [signed(r) for r in hooks.accepted("/kc")]
    assert [b["event"] for b in bodies] == ["started", "approval", "done"]
    assert bodies[1]["wave"] == "rest"
    attempts = [r.headers["x-kubecurrent-delivery"] for r in hooks.all("/kc")]
    assert len(attempts) == 4 and attempts[1] == attempts[2]  # the retry keeps its id
    audit = [a for a in store.audit_records("to-137") if a.action.startswith("notify.")]
    assert [(a.action, a.outcome) for a in audit] == [
        ("notify.started", "queued"),
        ("notify.started", "ok"),
        ("notify.approval", "queued"),
        ("notify.approval", "retry"),
        ("notify.approval", "ok"),
        ("notify.done", "queued"),
        ("notify.done", "ok"),
    ]
    assert {a.extra["owner"] for a in audit} == {"pod-a"}
    assert not any(KEY in json.dumps(a.to_json()) for a in store.audit_records("to-137"))


def test_a_delivery_a_dead_replica_left_is_sent_by_the_next_lead_under_its_id(
    cluster: SessionSandbox, namespace: str, hooks: WebhookReceiver
) -> None:
    admin = cluster.client()
    # the approval's retry would wait a minute: the replica dies before that
    declare(admin, namespace, hooks.url, {"attempts": 3, "delay": "60s"})
    fleet = FakeFleet()
    a = replica(cluster.client(), namespace, "pod-a", fleet)
    b = replica(cluster.client(), namespace, "pod-b", fleet)
    a.coordinator.step()
    b.coordinator.step()
    a.coordinator.start()
    b.coordinator.start()
    try:
        a.reconcile()
        a.wait_drivers(120)
        wait_for(lambda: len(hooks.all("/kc")) == 2, "started sent, approval refused once", 30)
        a.coordinator.stop(release=False)  # the pod is gone: its queued retry with it
        died = time.monotonic()
        wait_for(lambda: b.coordinator.leader, "replica b to take the lead", timeout=30)
        wait_for(lambda: not b.coordinator.alive("pod-a"), "pod-a counted dead", timeout=30)
        b.reconcile()
        wait_for(lambda: len(hooks.accepted("/kc")) == 2, "the approval sent by b", 30)
        taken = time.monotonic() - died
        print(f"approval notification sent by the new lead {taken:.1f}s after the old one died")
        b.reconcile()  # a second look finds nothing left to send
        time.sleep(1.0)
    finally:
        b.coordinator.stop()
        b.dispatcher.close(10)
    a.dispatcher.close(0)  # the dead pod's thread, abandoned until now
    refused, sent = hooks.all("/kc")[1:3]
    assert signed(refused)["event"] == signed(sent)["event"] == "approval"
    assert refused.status == 503 and sent.status == 200
    assert refused.headers["x-kubecurrent-delivery"] == sent.headers["x-kubecurrent-delivery"]
    assert len(hooks.all("/kc")) == 3
    approval = [
        (a.outcome, a.extra["owner"], a.extra["attempt"])
        for a in a.store.audit_records("to-137")
        if a.action == "notify.approval"
    ]
    assert approval[:4] == [
        ("queued", "pod-a", 1),
        ("retry", "pod-a", 1),
        ("queued", "pod-b", 2),
        ("ok", "pod-b", 2),
    ]

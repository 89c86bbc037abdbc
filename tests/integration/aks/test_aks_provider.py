"""AKS discovery, connection and upgrades through the real Azure SDK, against the AKS ARM test
double backed by a real sandbox (Azure cannot be reached from the tests).

One cluster ``orders`` in subscription ``sub-prod`` on a 1.35 sandbox: agent pools ``system``
(System mode, one node) and ``general`` (two nodes, maxSurge 1) with a web Deployment behind a
PodDisruptionBudget (minAvailable 3 of 4) on them. Each test builds on the one before (the
cluster is upgraded along the way), as a user's session would.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from lightkube.resources.core_v1 import Node

from kubecurrent.collect.aks import (
    AksError,
    AksRef,
    aks_connection,
    describe_cluster,
    discover,
    reset_credential,
)
from kubecurrent.collect.cluster import Connection
from kubecurrent.execute import (
    AksOptions,
    AksProvider,
    AuditLog,
    Kube,
    PermanentStepError,
    read_audit,
)
from kubecurrent.model.aks import MaintenanceKind
from tests.integration.conftest import SessionSandbox
from tests.integration.execute.conftest import AvailabilityWatch, deploy_web

from .double import AksDouble, PoolSpec

pytestmark = pytest.mark.integration

REF = AksRef("sub-prod", "rg-shop", "orders")
MIN_AVAILABLE = 3
AUTO_SCHEDULE = {
    "name": "aksManagedAutoUpgradeSchedule",
    "properties": {
        "maintenanceWindow": {
            "schedule": {"weekly": {"intervalWeeks": 1, "dayOfWeek": "Sunday"}},
            "durationHours": 4,
            "utcOffset": "+00:00",
            "startTime": "02:00",
            "notAllowedDates": [{"start": "2026-12-20", "end": "2027-01-03"}],
        }
    },
}


@pytest.fixture(scope="module")
def orders(aks_double: AksDouble, sandbox_home: Path) -> Iterator[SessionSandbox]:
    saved = dict(os.environ)
    os.environ.update(aks_double.env())
    reset_credential()
    aks_double.start_sandbox("aks-orders", "1.35")
    aks_double.add_cluster(
        "orders",
        "sub-prod",
        "rg-shop",
        "aks-orders",
        pools=[PoolSpec("system", 1, mode="System"), PoolSpec("general", 2, max_surge="1")],
        maintenance=[AUTO_SCHEDULE],
    )
    box = SessionSandbox("aks-orders", sandbox_home)
    deploy_web(box.client(), "shop", replicas=4, min_available=MIN_AVAILABLE)
    try:
        yield box
    finally:
        os.environ.clear()
        os.environ.update(saved)
        reset_credential()


def provider(tmp_path: Path) -> tuple[AksProvider, Path]:
    audit = tmp_path / "audit.jsonl"
    return AksProvider(REF, AuditLog(audit, "orders"), AksOptions(poll=0.5)), audit


def test_discovery_finds_the_cluster_and_a_denied_subscription_does_not_stop_it(
    aks_double: AksDouble, orders: SessionSandbox
) -> None:
    aks_double.deny_subscription("sub-denied")
    found = discover(["sub-denied", "sub-prod", "sub-empty"])
    assert found.clusters == (REF,)
    [(subscription, error)] = found.errors
    assert subscription == "sub-denied" and error.code == "AuthorizationFailed"
    assert "does not have authorization" in error.message and "role" in (error.hint or "")


def test_describe_reads_what_aks_knows(orders: SessionSandbox) -> None:
    facts = describe_cluster(REF)
    aks = facts.cluster
    assert facts.limitations == ()
    assert aks.running_version.startswith("1.35.") and aks.offered()[0].startswith("1.36.")
    assert {p.name: p.mode for p in aks.agent_pools} == {"system": "System", "general": "User"}
    general = aks.agent_pool("general")
    assert general is not None and general.max_surge == "1" and general.image_behind
    auto = aks.maintenance_of(MaintenanceKind.AUTO_UPGRADE)
    assert auto is not None and auto.schedule == "weekly every 1 week(s) on Sunday"


def test_the_api_server_accepts_the_entra_token_for_aks(orders: SessionSandbox) -> None:
    config, token = aks_connection(REF)
    assert token is not None
    kube = Kube(Connection(config, token))
    try:
        nodes = {
            n.metadata.labels["kubernetes.azure.com/agentpool"] for n in kube.client.list(Node)
        }
    finally:
        kube.close()
    assert nodes == {"system", "general"}


def test_missing_credentials_name_the_cluster_and_the_next_step(
    orders: SessionSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AZURE_CLIENT_SECRET", "wrong")
    reset_credential()
    try:
        with pytest.raises(AksError) as caught:
            describe_cluster(REF)
    finally:
        reset_credential()
    assert "AKS cluster orders" in caught.value.message
    assert "az login" in (caught.value.hint or "")


def test_a_target_the_upgrade_profile_does_not_offer_is_refused(
    aks_double: AksDouble, orders: SessionSandbox, tmp_path: Path
) -> None:
    aks, _ = provider(tmp_path)
    with pytest.raises(PermanentStepError) as caught:
        aks.upgrade_control_plane("1.37")
    assert "does not offer Kubernetes 1.37" in caught.value.message
    assert "1.36." in caught.value.message


def test_control_plane_then_pool_upgrade_keeps_the_pdb(
    aks_double: AksDouble, orders: SessionSandbox, tmp_path: Path
) -> None:
    aks, audit = provider(tmp_path)
    served = aks.upgrade_control_plane("1.36")
    assert served.startswith("1.36.")
    version, pools = aks_double.cluster_state("orders")
    assert version.startswith("1.36.") and pools["general"].startswith(
        "1.35."
    )  # control plane only
    with AvailabilityWatch(orders.client(), "shop") as watch:
        done = aks.roll_pool("general", "1.36", timeout=600)
    assert "upgraded agent pool general" in done
    assert watch.samples and min(watch.samples) >= MIN_AVAILABLE
    nodes = orders.client().list(Node, labels={"kubernetes.azure.com/agentpool": "general"})
    kubelets = {n.status.nodeInfo.kubeletVersion for n in nodes}
    assert len(kubelets) == 1 and kubelets.pop().startswith("v1.36.")
    actions = [r["action"] for r in read_audit(audit)]
    assert actions == [
        "aks.managedClusters.createOrUpdate",
        "aks.operation-done",
        "aks.agentPools.createOrUpdate",
        "aks.operation-done",
    ]


def test_a_failed_operation_stops_with_azures_code_and_message(
    aks_double: AksDouble, orders: SessionSandbox, tmp_path: Path
) -> None:
    aks, audit = provider(tmp_path)
    aks_double.fail_next_operation(
        "orders", kind="pool", code="QuotaExceeded", message="Operation could not be completed"
    )
    with pytest.raises(PermanentStepError) as caught:
        aks.roll_pool("system", "1.36", timeout=300)
    assert "QuotaExceeded" in caught.value.message
    assert "Operation could not be completed" in caught.value.message
    assert read_audit(audit)[-1]["outcome"] == "failed"


def test_node_image_upgrade_is_its_own_operation(
    aks_double: AksDouble, orders: SessionSandbox, tmp_path: Path
) -> None:
    aks, audit = provider(tmp_path)
    done = aks.upgrade_node_image("system", "AKSUbuntu-2204gen2containerd-202611.01.0", 300)
    assert done.endswith("AKSUbuntu-2204gen2containerd-202611.01.0")
    assert "agentPools.upgradeNodeImageVersion" in [n for n, _ in aks_double.requests()]
    assert next(r["action"] for r in read_audit(audit)) == "aks.agentPools.upgradeNodeImageVersion"


def test_a_resumed_upgrade_waits_for_the_operation_a_killed_run_started(
    aks_double: AksDouble, orders: SessionSandbox, tmp_path: Path
) -> None:
    audit = tmp_path / "audit.jsonl"
    impatient = AksProvider(REF, AuditLog(audit, "orders"), AksOptions(poll=0.5, timeout=2))
    aks_double.hold_operations("orders")
    with pytest.raises(PermanentStepError) as caught:
        impatient.upgrade_control_plane("1.37")
    assert "still InProgress after 2s" in caught.value.message
    assert "resuming waits for it" in (caught.value.hint or "")
    release = threading.Timer(2.0, aks_double.release_operations, args=("orders",))
    release.start()
    try:
        resumed, _ = provider(tmp_path)
        served = resumed.upgrade_control_plane("1.37")
    finally:
        release.cancel()
        aks_double.release_operations("orders")
    assert served.startswith("1.37.") and served.endswith("(already)")
    actions = [r["action"] for r in read_audit(audit)]
    assert actions[-3:] == ["aks.operation-found", "aks.operation-done", "aks.no-op"]
    writes = [n for n, _ in aks_double.requests() if n == "managedClusters.createOrUpdate"]
    assert len(writes) == 2  # 1.36, then 1.37 once: the resume started nothing

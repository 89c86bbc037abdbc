"""The EKS provider's decisions, against botocore's Stubber — a test double of the EKS API that
checks every request against botocore's service model (AWS cannot be reached from the tests).
The same paths run end to end against the EKS double in tests/integration/eks/."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from kubecurrent.collect.eks import EksRef
from kubecurrent.execute import (
    AuditLog,
    Clock,
    EksOptions,
    EksProvider,
    PermanentStepError,
    read_audit,
)

REF = EksRef("eu-west-1", "orders")
CLUSTER = {"name": "orders", "version": "1.36", "platformVersion": "eks.3", "status": "ACTIVE"}


@pytest.fixture
def eks() -> Any:
    return boto3.session.Session(
        aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="x", region_name="eu-west-1"
    ).client("eks")


@pytest.fixture
def stub(eks: Any) -> Iterator[Stubber]:
    with Stubber(eks) as stubber:
        yield stubber
        stubber.assert_no_pending_responses()


@pytest.fixture
def provider(eks: Any, tmp_path: Path) -> EksProvider:
    clock = Clock(sleep=lambda _s: None)
    audit = AuditLog(tmp_path / "audit.jsonl", "orders")
    return EksProvider(REF, audit, EksOptions(poll=0.0), clock, client=eks)


def _update(uid: str, status: str, **extra: Any) -> dict[str, Any]:
    return {"update": {"id": uid, "status": status, "type": "VersionUpdate", **extra}}


def _audit(tmp_path: Path) -> list[str]:
    return [r["action"] for r in read_audit(tmp_path / "audit.jsonl")]


def test_an_update_in_progress_is_waited_for_and_none_is_started(
    stub: Stubber, provider: EksProvider, tmp_path: Path
) -> None:
    stub.add_response("list_updates", {"updateIds": ["u-old", "u-1"]}, {"name": "orders"})
    stub.add_response("describe_update", _update("u-old", "Successful"))
    stub.add_response("describe_update", _update("u-1", "InProgress"))
    stub.add_response("describe_update", _update("u-1", "InProgress"))
    stub.add_response("describe_update", _update("u-1", "Successful"))
    stub.add_response("describe_cluster", {"cluster": {**CLUSTER, "version": "1.37"}})
    assert provider.upgrade_control_plane("1.37.2") == "1.37 (already)"
    assert _audit(tmp_path) == ["eks.update-found", "eks.update-done", "eks.no-op"]


def test_a_failed_update_is_permanent_with_eks_error_details(
    stub: Stubber, provider: EksProvider, tmp_path: Path
) -> None:
    stub.add_response("list_updates", {"updateIds": []})
    stub.add_response("describe_cluster", {"cluster": CLUSTER})
    stub.add_response(
        "describe_cluster_versions",
        {"clusterVersions": [{"clusterVersion": "1.37", "versionStatus": "STANDARD_SUPPORT"}]},
    )
    stub.add_response(
        "update_cluster_version",
        _update("u-2", "InProgress"),
        {"name": "orders", "version": "1.37"},
    )
    errors = [{"errorCode": "AccessDenied", "errorMessage": "role lacks permission"}]
    stub.add_response("describe_update", _update("u-2", "Failed", errors=errors))
    with pytest.raises(PermanentStepError, match=r"u-2 .* Failed: AccessDenied: role lacks"):
        provider.upgrade_control_plane("1.37")
    assert _audit(tmp_path) == ["eks.UpdateClusterVersion", "eks.update-done"]


def test_a_target_eks_does_not_offer_is_refused_before_any_change(
    stub: Stubber, provider: EksProvider
) -> None:
    stub.add_response("list_updates", {"updateIds": []})
    stub.add_response("describe_cluster", {"cluster": CLUSTER})
    stub.add_response(
        "describe_cluster_versions",
        {"clusterVersions": [{"clusterVersion": "1.36", "versionStatus": "STANDARD_SUPPORT"}]},
    )
    with pytest.raises(PermanentStepError, match=r"EKS does not offer Kubernetes 1\.37") as caught:
        provider.upgrade_control_plane("1.37")
    assert "EKS offers 1.36" in (caught.value.hint or "")


def test_a_degraded_node_group_stops_its_step_with_its_health_issues(
    stub: Stubber, provider: EksProvider
) -> None:
    group = {
        "nodegroupName": "general",
        "version": "1.36",
        "status": "DEGRADED",
        "health": {"issues": [{"code": "AsgInstanceLaunchFailures", "message": "no capacity"}]},
    }
    stub.add_response("describe_nodegroup", {"nodegroup": group})
    with pytest.raises(PermanentStepError, match=r"general of EKS cluster orders .* is DEGRADED"):
        provider.roll_pool("general", "1.37", 60)


def test_a_pool_that_is_no_managed_node_group_gets_the_runbook_path(
    stub: Stubber, provider: EksProvider
) -> None:
    stub.add_client_error(
        "describe_nodegroup", "ResourceNotFoundException", "No node group found", 404
    )
    with pytest.raises(PermanentStepError, match="not an EKS managed node group") as caught:
        provider.roll_pool("karpenter", "1.37", 60)
    assert "Karpenter" in (caught.value.hint or "")


def test_node_group_update_keeps_update_config_and_uses_a_known_release(
    stub: Stubber, provider: EksProvider, tmp_path: Path
) -> None:
    general = {
        "nodegroupName": "general",
        "version": "1.36",
        "status": "ACTIVE",
        "amiType": "AL2023_x86_64_STANDARD",
        "updateConfig": {"maxUnavailable": 2},
    }
    system = {**general, "nodegroupName": "system", "version": "1.37"}
    system["releaseVersion"] = "1.37.1-20261120"
    stub.add_response("describe_nodegroup", {"nodegroup": general})
    stub.add_response("list_updates", {"updateIds": []})
    stub.add_response("describe_nodegroup", {"nodegroup": general})
    stub.add_response("list_nodegroups", {"nodegroups": ["general", "system"]})
    stub.add_response("describe_nodegroup", {"nodegroup": system})
    stub.add_response(
        "update_nodegroup_version",
        _update("u-3", "InProgress"),
        {
            "clusterName": "orders",
            "nodegroupName": "general",
            "version": "1.37",
            "releaseVersion": "1.37.1-20261120",
        },
    )
    stub.add_response("describe_update", _update("u-3", "Successful"))
    assert "1.37.1-20261120" in provider.roll_pool("general", "1.37.2", 60)
    started = read_audit(tmp_path / "audit.jsonl")[0]
    assert started["action"] == "eks.UpdateNodegroupVersion"
    assert "'maxUnavailable': 2" in started["detail"]
    assert "force: false" in started["detail"]

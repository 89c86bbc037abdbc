"""EKS facts in the inventory: camelCase JSON both ways, frozen, strict, lookups by name."""

from __future__ import annotations

import pydantic
import pytest

from kubecurrent.model.inventory import ClusterInventory
from kubecurrent.model.managed import EksCluster, SupportType

EKS = {
    "name": "prod-eu",
    "region": "eu-west-1",
    "account": "111122223333",
    "arn": "arn:aws:eks:eu-west-1:111122223333:cluster/prod-eu",
    "minor": "1.35",
    "platformVersion": "eks.10",
    "status": "ACTIVE",
    "supportType": "extended",
    "offeredMinors": ["1.35", "1.36", "1.37"],
    "nodegroups": [
        {
            "name": "general",
            "minor": "1.35",
            "releaseVersion": "1.35.2-20261101",
            "maxUnavailable": 1,
            "status": "ACTIVE",
        }
    ],
    "fargateProfiles": [{"name": "fp", "status": "ACTIVE", "namespaces": ["batch"]}],
    "addons": [
        {
            "name": "coredns",
            "version": "v1.11.4-eksbuild.2",
            "status": "ACTIVE",
            "compatible": {"1.36": ["v1.12.1-eksbuild.1", "v1.11.4-eksbuild.2"]},
            "defaults": {"1.36": "v1.11.4-eksbuild.2"},
        }
    ],
    "insights": [
        {
            "id": "i-1",
            "name": "Deprecated APIs removed in Kubernetes v1.36",
            "status": "WARNING",
            "kubernetesVersion": "1.36",
            "deprecatedApis": ["flowcontrol.apiserver.k8s.io/v1beta3/FlowSchema"],
        }
    ],
}


def test_round_trips_inside_an_inventory() -> None:
    inv = ClusterInventory.model_validate(
        {"name": "prod-eu", "controlPlane": "1.35.2", "managed": EKS}
    )
    assert inv.managed is not None
    assert inv.managed.support_type is SupportType.EXTENDED
    dumped = inv.model_dump(mode="json", by_alias=True)
    assert dumped["managed"]["provider"] == "eks"
    assert dumped["managed"]["nodegroups"][0]["releaseVersion"] == "1.35.2-20261101"
    assert dumped["managed"]["addons"][0]["compatible"]["1.36"][0] == "v1.12.1-eksbuild.1"
    assert ClusterInventory.model_validate(dumped) == inv


def test_an_inventory_without_a_managed_service_has_none() -> None:
    inv = ClusterInventory.model_validate({"name": "lab", "controlPlane": "1.35.2"})
    assert inv.managed is None
    assert inv.model_dump(by_alias=True)["managed"] is None


def test_lookups_tell_managed_from_unmanaged() -> None:
    eks = EksCluster.model_validate(EKS)
    assert eks.nodegroup("general") is not None
    assert eks.nodegroup("karpenter") is None
    assert eks.addon("coredns") is not None
    assert eks.addon("cert-manager") is None


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"minor": "v1.35.2"}, "minor"),
        ({"supportType": "STANDARD"}, "supportType"),
        ({"provider": "gke"}, "provider"),
        ({"nodegroups": EKS["nodegroups"] * 2}, "node group listed more than once: general"),
        ({"zone": "a"}, "Extra inputs"),
    ],
)
def test_bad_values_are_rejected(change: dict[str, object], message: str) -> None:
    with pytest.raises(pydantic.ValidationError, match=message):
        EksCluster.model_validate({**EKS, **change})


def test_is_frozen() -> None:
    eks = EksCluster.model_validate(EKS)
    with pytest.raises(pydantic.ValidationError):
        eks.minor = "1.36"  # type: ignore[misc]

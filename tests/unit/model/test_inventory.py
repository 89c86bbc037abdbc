"""Inventory snapshots: camelCase JSON both ways, frozen, duplicates rejected."""

from __future__ import annotations

import pydantic
import pytest

from kubecurrent.model.inventory import ClusterInventory

DATA = {
    "name": "prod-eu",
    "controlPlane": "v1.27.9",
    "nodePools": [{"name": "general", "kubelet": "1.26.12", "nodes": 40}],
    "addons": [{"name": "cert-manager", "version": "1.12.3"}],
    "apiUsage": [{"apiVersion": "batch/v1beta1", "kind": "CronJob", "count": 2}],
    "crds": [{"name": "a.b.io", "group": "b.io", "kind": "A", "storedVersions": ["v1"]}],
}


def test_round_trips_through_camel_case_json() -> None:
    inv = ClusterInventory.model_validate(DATA)
    dumped = inv.model_dump(mode="json", by_alias=True)
    assert dumped["controlPlane"] == "1.27.9"
    assert dumped["crds"][0]["storedVersions"] == ["v1"]
    assert ClusterInventory.model_validate(dumped) == inv


def test_is_frozen_and_rejects_unknown_keys() -> None:
    inv = ClusterInventory.model_validate(DATA)
    with pytest.raises(pydantic.ValidationError):
        inv.name = "other"  # type: ignore[misc]
    with pytest.raises(pydantic.ValidationError, match="Extra inputs"):
        ClusterInventory.model_validate({**DATA, "region": "eu"})


def test_duplicate_pools_or_addons_are_rejected() -> None:
    pools = DATA["nodePools"] * 2  # type: ignore[operator]
    with pytest.raises(pydantic.ValidationError, match="node pool listed more than once: general"):
        ClusterInventory.model_validate({**DATA, "nodePools": pools})

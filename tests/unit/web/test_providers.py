"""The dashboard's fleet rows name each cluster's provider (the managed cloud, or ``-``)."""

from __future__ import annotations

import datetime as dt

import pytest

from kubecurrent.catalog import Catalog
from kubecurrent.model.inventory import ClusterInventory
from kubecurrent.web._fleet import ClusterState, FleetSnapshot
from kubecurrent.web._views import fleet_view
from tests.unit.web.conftest import inventory

pytestmark = pytest.mark.unit

AKS = {
    "provider": "aks",
    "name": "orders",
    "subscription": "0000-sub",
    "resourceGroup": "rg",
    "id": "/subscriptions/0000-sub/resourceGroups/rg/providers/"
    "Microsoft.ContainerService/managedClusters/orders",
    "location": "westeurope",
    "kubernetesVersion": "1.36.2",
}


def state(inv: ClusterInventory) -> ClusterState:
    return ClusterState(inv.name, inv.labels, inv)


def test_fleet_rows_name_the_managed_cloud_or_none(catalog: Catalog) -> None:
    managed = inventory("orders", "1.36.2", {"env": "prod"}, managed=AKS)
    plain = inventory("lab", "1.36.2", {"env": "dev"})
    snapshot = FleetSnapshot((state(managed), state(plain)))
    view = fleet_view(snapshot, catalog, dt.date(2026, 12, 6), {})
    assert {r.name: r.provider for r in view.rows} == {"orders": "aks", "lab": "-"}


def test_a_cluster_not_collected_keeps_the_provider_its_labels_name(catalog: Catalog) -> None:
    failed = ClusterState("gone", {"provider": "eks"}, None, error="cannot reach it")
    view = fleet_view(FleetSnapshot((failed,)), catalog, dt.date(2026, 12, 6), {})
    assert [(r.name, r.provider) for r in view.rows] == [("gone", "eks")]

"""The dashboard names each cluster's provider (the managed cloud, or ``-``) and sums managed
support per provider, as ``scan cluster`` does."""

from __future__ import annotations

import asyncio
import datetime as dt
from decimal import Decimal

import pytest
from starlette.testclient import TestClient

from kubecurrent.catalog import Catalog
from kubecurrent.collect.cluster import ClusterResult, ClusterTarget
from kubecurrent.model.inventory import ClusterInventory
from kubecurrent.web import FleetState, WebContext, create_app
from kubecurrent.web._fleet import ClusterState, FleetSnapshot
from kubecurrent.web._views import fleet_view
from tests.unit.web.conftest import PASSWORDS, inventory, login

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


def eks(name: str, minor: str) -> ClusterInventory:
    managed = {
        "provider": "eks",
        "name": name,
        "region": "eu-west-1",
        "account": "111122223333",
        "arn": f"arn:aws:eks:eu-west-1:111122223333:cluster/{name}",
        "minor": minor,
        "platformVersion": "eks.7",
        "status": "ACTIVE",
        "supportType": "extended",
    }
    return inventory(name, f"{minor}.4", {"env": "prod"}, managed=managed)


def test_managed_support_is_summed_per_provider(catalog: Catalog) -> None:
    """EKS 1.33 left standard support on 2026-07-29 (catalog): on 2026-12-06 both EKS clusters pay
    extended support, 0.60 - 0.10 USD per hour over 730 hours = 365 USD each per month."""
    fleet = (eks("a", "1.33"), eks("b", "1.33"), inventory("lab", "1.36.2", {"env": "dev"}))
    snapshot = FleetSnapshot(tuple(state(i) for i in fleet))
    view = fleet_view(snapshot, catalog, dt.date(2026, 12, 6), {})
    [summed] = view.support
    assert (summed.provider, summed.clusters, summed.extended, summed.standard) == ("eks", 2, 2, 0)
    assert summed.extra_usd_per_month == summed.exposure_usd_per_month == Decimal("730.00")
    assert summed.next_date == dt.date(2027, 7, 29)
    assert view.support_unknown == {}


def test_a_minor_the_provider_calendar_lacks_is_named_not_summed(catalog: Catalog) -> None:
    unknown = inventory("old", "1.10.3", {}, managed={**AKS, "kubernetesVersion": "1.10.3"})
    view = fleet_view(FleetSnapshot((state(unknown),)), catalog, dt.date(2026, 12, 6), {})
    assert view.support == () and view.support_unknown == {"aks": ("old",)}


def test_the_sums_follow_the_label_filters(catalog: Catalog) -> None:
    fleet = (eks("a", "1.33"), inventory("lab", "1.36.2", {"env": "dev"}))
    snapshot = FleetSnapshot(tuple(state(i) for i in fleet))
    view = fleet_view(snapshot, catalog, dt.date(2026, 12, 6), {"env": "prod"})
    assert [r.name for r in view.rows] == ["a"] and view.support[0].clusters == 1
    filtered = fleet_view(snapshot, catalog, dt.date(2026, 12, 6), {"env": "dev"})
    assert filtered.support == ()


def test_the_fleet_page_and_the_api_show_provider_and_sums(ctx: WebContext) -> None:
    fleet = [eks("a", "1.33"), inventory("lab", "1.36.2", {"env": "dev"})]
    results = [ClusterResult(ClusterTarget(i.name, labels=dict(i.labels)), i) for i in fleet]

    async def collect() -> list[ClusterResult]:
        return results

    ctx.fleet = FleetState(ctx.catalog, collect, today=ctx.today)
    asyncio.run(ctx.fleet.refresh())
    with TestClient(create_app(ctx, background=False), follow_redirects=False) as client:
        login(client, "vince", PASSWORDS["vince"])
        page = client.get("/").text
        api = client.get("/api/clusters").json()
    assert '<th scope="row">eks</th>' in page and "<td>-</td>" in page
    assert '<td class="num warn">365.00</td>' in page  # the exposure of EKS 1.33 on extended
    assert {c["name"]: c["provider"] for c in api["clusters"]} == {"a": "eks", "lab": "-"}
    assert [(p["provider"], p["exposureUsdPerMonth"]) for p in api["support"]] == [("eks", 365.0)]

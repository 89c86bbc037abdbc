"""Support phases of AKS clusters from the catalog's AKS calendar, and the fleet summed per
provider (no cluster, no Azure)."""

from __future__ import annotations

import datetime as dt

import pytest

from kubecurrent.analyze.cluster import check_inventory, fleet_support
from kubecurrent.catalog import Catalog, load_catalog
from kubecurrent.model.findings import Severity
from kubecurrent.model.inventory import ClusterInventory
from tests.unit.cluster.test_support import eks

pytestmark = pytest.mark.unit
CATALOG: Catalog = load_catalog()
TODAY = dt.date(2026, 12, 6)


def aks(name: str, version: str, plan: str = "KubernetesOfficial") -> ClusterInventory:
    return ClusterInventory.model_validate(
        {
            "name": name,
            "controlPlane": version,
            "managed": {
                "provider": "aks",
                "name": name,
                "subscription": "0000-sub",
                "resourceGroup": "rg",
                "id": f"/subscriptions/0000-sub/resourceGroups/rg/providers/"
                f"Microsoft.ContainerService/managedClusters/{name}",
                "location": "westeurope",
                "kubernetesVersion": version,
                "supportPlan": plan,
            },
        }
    )


def rules(inv: ClusterInventory) -> list[tuple[str, Severity, str]]:
    found = check_inventory(inv, CATALOG, inv.control_plane.minor_version.offset(1), TODAY)
    return [(f.rule, f.severity, f.message) for f in found if f.rule.startswith("KC-PROVIDER")]


def test_an_lts_cluster_past_community_support_is_in_long_term_support_until_its_end() -> None:
    [(rule, severity, message)] = rules(aks("ledger", "1.33.4", "AKSLongTermSupport"))
    assert rule == "KC-PROVIDER-EXTENDED-SUPPORT" and severity is Severity.WARNING
    assert "AKS 1.33" in message and "2026-07-31" in message and "2027-07-31" in message


def test_a_community_cluster_past_its_end_of_life_is_upgraded_by_aks() -> None:
    [(rule, severity, message)] = rules(aks("web", "1.33.4"))
    assert rule == "KC-PROVIDER-FORCED-UPGRADE" and severity is Severity.ERROR
    assert "AKS upgrades its control plane" in message


def test_a_current_minor_is_information_with_its_end_of_life() -> None:
    [(rule, severity, message)] = rules(aks("api", "1.36.2"))
    assert rule == "KC-PROVIDER-STANDARD-SUPPORT" and severity is Severity.INFO
    assert "2027-06-30" in message


def test_the_fleet_sums_support_per_provider() -> None:
    fleet = [aks("web", "1.33.4"), aks("api", "1.36.2"), eks("prod", "1.33"), eks("dev", "1.35")]
    support = fleet_support(fleet, CATALOG, TODAY)
    per = {p.provider: p for p in support.by_provider()}
    assert set(per) == {"aks", "eks"}
    assert (per["aks"].clusters, per["aks"].standard, per["aks"].extended) == (2, 1, 1)
    assert per["aks"].next_date == dt.date(2027, 6, 30)
    assert per["eks"].clusters == 2
    data = support.to_json()["providers"]
    assert [p["provider"] for p in data] == ["aks", "eks"]
    assert data[0]["nextDate"] == "2027-06-30"

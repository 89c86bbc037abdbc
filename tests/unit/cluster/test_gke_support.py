"""Support phases and costs of GKE clusters from the catalog's GKE calendar and prices (no
cluster, no Google): 1.36 is dated, the management fee is costed, an Extended channel cluster
pays extended support and a Regular one is upgraded by GKE instead."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from kubecurrent.analyze.cluster import fleet_support, support_cost
from kubecurrent.catalog import Catalog, SupportPhase, load_catalog
from kubecurrent.model import MinorVersion
from kubecurrent.model.inventory import ClusterInventory

pytestmark = pytest.mark.unit
CATALOG: Catalog = load_catalog()


def gke(name: str, version: str, channel: str = "REGULAR") -> ClusterInventory:
    return ClusterInventory.model_validate(
        {
            "name": name,
            "controlPlane": version,
            "managed": {
                "provider": "gke",
                "project": "shop",
                "location": "europe-west1",
                "name": name,
                "masterVersion": f"{version}-gke.1200",
                "status": "RUNNING",
                "channel": channel,
            },
        }
    )


def test_gke_136_is_dated_and_137_is_left_out_not_guessed() -> None:
    found = CATALOG.provider_release("gke", MinorVersion.parse("1.36"))
    assert found is not None
    assert (found.available, found.end_of_standard_support) == (
        dt.date(2026, 6, 9),
        dt.date(2027, 8, 9),
    )
    assert found.source and found.unverified
    assert CATALOG.provider_release("gke", MinorVersion.parse("1.37")) is None


def test_a_regular_cluster_pays_the_management_fee_and_no_extended_support() -> None:
    cost = support_cost(gke("web", "1.36.3"), CATALOG, dt.date(2026, 12, 6))
    assert cost is not None and cost.phase is SupportPhase.STANDARD
    assert cost.usd_per_month == Decimal("73.00")  # 0.10 USD an hour, 730 hours
    assert cost.exposure_usd_per_month == 0  # GKE upgrades it at the end of standard support


def test_an_extended_channel_cluster_pays_extended_support_once_standard_ends() -> None:
    before = support_cost(gke("ledger", "1.36.3", "EXTENDED"), CATALOG, dt.date(2026, 12, 6))
    after = support_cost(gke("ledger", "1.36.3", "EXTENDED"), CATALOG, dt.date(2027, 9, 1))
    assert before is not None and after is not None
    assert before.exposure_usd_per_month == Decimal("365.00")  # (0.60 - 0.10) x 730
    assert after.phase is SupportPhase.EXTENDED and after.usd_per_month == Decimal("438.00")
    summed = fleet_support([gke("ledger", "1.36.3", "EXTENDED")], CATALOG, dt.date(2027, 9, 1))
    [per] = summed.by_provider()
    assert (per.provider, per.extended, per.extra_usd_per_month) == ("gke", 1, Decimal("365.00"))

"""Managed clusters' support phase and cost: findings judged on a fixed day, and the fleet sum."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from kubecurrent.analyze.cluster import check_inventory, fleet_support
from kubecurrent.analyze.report import ScanReport, fleet_page, to_html
from kubecurrent.catalog import Catalog, SupportPhase, load_catalog
from kubecurrent.model import MinorVersion
from kubecurrent.model.findings import Finding, Severity
from kubecurrent.model.inventory import ClusterInventory

pytestmark = pytest.mark.unit
CATALOG: Catalog = load_catalog()
RULES = (
    "KC-PROVIDER-STANDARD-SUPPORT",
    "KC-PROVIDER-EXTENDED-SUPPORT",
    "KC-PROVIDER-FORCED-UPGRADE",
)


def eks(name: str, minor: str, policy: str = "extended", **extra: Any) -> ClusterInventory:
    return ClusterInventory.model_validate(
        {
            "name": name,
            "controlPlane": f"{minor}.4",
            "managed": {
                "name": name,
                "region": "eu-west-1",
                "account": "111122223333",
                "arn": f"arn:aws:eks:eu-west-1:111122223333:cluster/{name}",
                "minor": minor,
                "platformVersion": "eks.7",
                "status": "ACTIVE",
                "supportType": policy,
            },
            **extra,
        }
    )


def support_findings(inv: ClusterInventory, today: dt.date) -> list[Finding]:
    found = check_inventory(inv, CATALOG, inv.control_plane.minor_version.offset(1), today)
    return [f for f in found if f.rule in RULES]


def only(inv: ClusterInventory, today: dt.date) -> Finding:
    found = support_findings(inv, today)
    assert len(found) == 1, found
    return found[0]


def test_leaving_standard_support_soon_says_the_date_and_the_monthly_cost() -> None:
    f = only(eks("prod", "1.33"), dt.date(2026, 6, 1))
    assert f.rule == "KC-PROVIDER-STANDARD-SUPPORT" and f.severity is Severity.WARNING
    assert f.message == (
        "EKS 1.33 leaves standard support on 2026-07-29 (in 58 days): from then it costs "
        "438 USD per cluster-month (extended support, 365 USD more than now) until 2027-07-29"
    )
    # 1.36 reaches EKS on 2026-06-02, the day after
    assert f.remediation == (
        "upgrade to a newer minor in standard support (1.34, 1.35): kubecurrent plan --target 1.35"
    )


def test_a_date_far_ahead_is_only_information() -> None:
    assert only(eks("prod", "1.33"), dt.date(2026, 1, 1)).severity is Severity.INFO


def test_in_extended_support_says_since_when_what_it_costs_and_the_forced_upgrade() -> None:
    f = only(eks("old", "1.31"), dt.date(2026, 6, 1))
    assert f.rule == "KC-PROVIDER-EXTENDED-SUPPORT" and f.severity is Severity.WARNING
    assert f.message == (
        "EKS 1.31 is in extended support since 2025-11-26, costing 438 USD per cluster-month "
        "(365 USD more than standard support); end of extended support on 2026-11-26 (in 178 "
        "days): EKS upgrades the control plane automatically then"
    )
    assert only(eks("old", "1.31"), dt.date(2026, 11, 10)).severity is Severity.ERROR


def test_past_the_end_of_extended_support_is_an_error() -> None:
    f = only(eks("ancient", "1.29"), dt.date(2026, 6, 1))
    assert f.rule == "KC-PROVIDER-FORCED-UPGRADE" and f.severity is Severity.ERROR
    assert "end of extended support on 2026-03-23" in f.message


def test_upgrade_policy_standard_means_an_automatic_upgrade_not_a_cost() -> None:
    f = only(eks("prod", "1.33", policy="standard"), dt.date(2026, 7, 10))
    assert f.severity is Severity.ERROR
    assert f.message == (
        "EKS 1.33 leaves standard support on 2026-07-29 (in 19 days): the cluster's upgrade "
        "policy is STANDARD, so EKS upgrades its control plane automatically then"
    )


def test_unmanaged_clusters_and_minors_without_dates_get_no_support_finding() -> None:
    plain = ClusterInventory.model_validate({"name": "kind", "controlPlane": "1.31.4"})
    assert support_findings(plain, dt.date(2026, 6, 1)) == []
    assert support_findings(eks("new", "1.37"), dt.date(2026, 12, 1)) == []


def fleet() -> list[ClusterInventory]:
    return [
        eks("old", "1.31"),
        eks("prod", "1.33"),
        eks("auto", "1.34", policy="standard"),
        ClusterInventory.model_validate({"name": "kind", "controlPlane": "1.31.4"}),
    ]


def test_the_fleet_sum_per_cluster_and_per_month() -> None:
    support = fleet_support(fleet(), CATALOG, dt.date(2026, 6, 1))
    rows = [
        (c.cluster, c.phase, c.usd_per_month, c.extra_usd_per_month, c.exposure_usd_per_month)
        for c in support.clusters
    ]
    assert rows == [
        ("old", SupportPhase.EXTENDED, Decimal("438.00"), Decimal("365.00"), Decimal("365.00")),
        ("prod", SupportPhase.STANDARD, Decimal("73.00"), Decimal(0), Decimal("365.00")),
        ("auto", SupportPhase.STANDARD, Decimal("73.00"), Decimal(0), Decimal(0)),
    ]
    totals = support.to_json()["totals"]
    assert totals == {"usdPerMonth": 584.0, "extraUsdPerMonth": 365.0, "exposureUsdPerMonth": 730.0}
    assert support.to_json()["clusters"][0]["endOfExtendedSupport"] == "2026-11-26"


def test_the_fleet_page_shows_dates_and_cost_per_cluster_and_the_total() -> None:
    today = dt.date(2026, 6, 1)
    invs = fleet()
    report = ScanReport(target="next minor")
    page = to_html(
        fleet_page(
            invs,
            report,
            [],
            MinorVersion.parse("1.37"),
            today,
            support=fleet_support(invs, CATALOG, today),
        )
    )
    section = page.split("<h2>Managed support and cost</h2>")[1].split("<h2>")[0]
    assert '<td class="unsupported">extended</td>' in section
    assert "<td>old</td><td>eks 1.31</td>" in section
    assert "<td>2025-11-26</td><td>2026-11-26</td>" in section
    assert '<td class="num">438.00</td><td class="num">365.00</td>' in section
    assert (
        '<td>fleet total</td><td></td><td></td><td></td><td></td><td></td><td class="num">584.00</td>'
        in section
    )
    without = to_html(fleet_page(invs[3:], report, [], MinorVersion.parse("1.37"), today))
    assert "Managed support and cost" not in without


def test_scan_cluster_prints_the_fleet_sum_under_the_findings(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from kubecurrent.cli._support import support_json, support_table
    from kubecurrent.cli.scan import cluster_html, cluster_report
    from kubecurrent.collect.cluster import ClusterResult, ClusterTarget

    today = dt.date(2026, 6, 1)
    results = [ClusterResult(ClusterTarget(name=i.name), i) for i in fleet()]
    results.append(ClusterResult(ClusterTarget(name="gone"), error="connection refused"))
    support_table(results, CATALOG, today)
    out = capsys.readouterr().out
    assert "old      eks 1.31  extended  2025-11-26      2026-11-26      438.00" in out
    assert (
        "managed support on 2026-06-01: 584.00 USD per month, 365.00 of it for extended "
        "support; exposure 730.00 USD per month"
    ) in out
    assert support_json(results, CATALOG, today)["totals"]["usdPerMonth"] == 584.0
    report = cluster_report(results, CATALOG, None, today)
    assert {f.rule for f in report.findings} >= set(RULES[:2])
    page = cluster_html(results, report, CATALOG, None, today)
    assert "<h2>Managed support and cost</h2>" in page and "<td>prod</td><td>eks 1.33</td>" in page


def test_policy_standard_past_the_end_of_standard_support_pays_no_extended_price() -> None:
    inv = eks("auto", "1.31", policy="standard")
    f = only(inv, dt.date(2026, 6, 1))
    assert f.rule == "KC-PROVIDER-FORCED-UPGRADE" and f.severity is Severity.ERROR
    assert f.message == (
        "EKS 1.31 left standard support on 2025-11-26 and the cluster's upgrade policy is "
        "STANDARD: EKS upgrades its control plane automatically at any time"
    )
    cost = fleet_support([inv], CATALOG, dt.date(2026, 6, 1)).clusters[0]
    assert (cost.usd_per_month, cost.extra_usd_per_month, cost.exposure_usd_per_month) == (
        Decimal("73.00"),
        Decimal(0),
        Decimal(0),
    )

"""The fleet report of EKS clusters: support phase, dates and cost per cluster and in total.

Two EKS clusters are served by the EKS API test double (AWS cannot be reached from the tests)
on one real 1.35 sandbox: ``billing`` with the upgrade policy EXTENDED and ``batch`` with
STANDARD. ``kubecurrent scan cluster --discover eks`` runs as a user runs it, in a subprocess
whose AWS environment points boto3 at the double, judged on two days: before EKS 1.35 leaves
standard support (2027-03-27 in the catalog) and after.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator

import pytest

from .double import EksDouble

pytestmark = pytest.mark.integration

REGION = "eu-west-1"
SANDBOX = "eks-support"


@pytest.fixture(scope="module")
def clusters(eks_double: EksDouble) -> Iterator[EksDouble]:
    eks_double.start_sandbox(SANDBOX, "1.35")
    eks_double.add_cluster("billing", REGION, SANDBOX, support_type="EXTENDED")
    eks_double.add_cluster("batch", REGION, SANDBOX, support_type="STANDARD")
    yield eks_double


def scan(double: EksDouble, today: str, output: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env |= double.env(REGION)
    flags = ["--discover", "eks", "--regions", REGION, "--today", today, "--fail-on", "none"]
    return subprocess.run(
        [sys.executable, "-m", "kubecurrent", "-o", output, "scan", "cluster", *flags],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
    )


def by_cluster(data: dict[str, object], key: str) -> dict[str, dict[str, object]]:
    rows = data[key]
    assert isinstance(rows, list)
    return {str(r["cluster"]): r for r in rows}


def test_before_the_end_of_standard_support_the_report_shows_the_coming_cost(
    clusters: EksDouble,
) -> None:
    done = scan(clusters, "2027-02-01", "json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    support = data["support"]
    rows = by_cluster(support, "clusters")
    assert rows["billing"] == {
        "cluster": "billing",
        "provider": "eks",
        "minor": "1.35",
        "phase": "standard",
        "upgradePolicy": "extended",
        "endOfStandardSupport": "2027-03-27",
        "endOfExtendedSupport": "2028-03-27",
        "usdPerMonth": 73.0,
        "extraUsdPerMonth": 0.0,
        "exposureUsdPerMonth": 365.0,
    }
    assert rows["batch"]["exposureUsdPerMonth"] == 0.0  # EKS upgrades it instead
    assert support["totals"] == {
        "usdPerMonth": 146.0,
        "extraUsdPerMonth": 0.0,
        "exposureUsdPerMonth": 365.0,
    }
    messages = {
        f["object"]["name"]: f["message"]
        for f in data["findings"]
        if f["rule"] == "KC-PROVIDER-STANDARD-SUPPORT"
    }
    assert messages["billing"] == (
        "EKS 1.35 leaves standard support on 2027-03-27 (in 54 days): from then it costs 438 USD "
        "per cluster-month (extended support, 365 USD more than now) until 2028-03-27"
    )
    assert "upgrade policy is STANDARD" in messages["batch"]


def test_in_extended_support_the_html_report_shows_dates_and_cost_per_cluster(
    clusters: EksDouble,
) -> None:
    done = scan(clusters, "2027-06-01", "html")
    assert done.returncode == 0, done.stderr
    section = done.stdout.split("<h2>Managed support and cost</h2>")[1].split("<h2>")[0]
    assert (
        '<td>billing</td><td>eks 1.35</td><td class="unsupported">extended</td><td>extended</td>'
        '<td>2027-03-27</td><td>2028-03-27</td><td class="num">438.00</td>'
        '<td class="num">365.00</td>'
    ) in section
    assert '<td>batch</td><td>eks 1.35</td><td class="unsupported">extended</td>' in section
    assert "<td>fleet total</td><td></td><td></td><td></td><td></td><td></td>" in section
    assert '<td class="num">511.00</td><td class="num">365.00</td><td class="num">365.00</td>' in (
        section
    )
    assert "EKS 1.35 is in extended support since 2027-03-27" in done.stdout
    assert "upgrade policy is STANDARD: EKS upgrades its control plane automatically" in (
        done.stdout
    )

"""The fleet report of EKS clusters: support phase, dates and cost per cluster and in total.

An EKS cluster ``billing`` with the upgrade policy EXTENDED is served by the EKS API test double
(AWS cannot be reached from the tests) on a real 1.36 sandbox (the double authenticates one EKS
cluster per sandbox; the upgrade policy STANDARD is covered by the unit tests of the findings).
``kubecurrent scan cluster --discover eks`` runs as a user runs it, in a subprocess
whose AWS environment points boto3 at the double, judged on two days: before EKS 1.36 leaves
standard support (2027-08-02 in the catalog) and after.
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
    eks_double.start_sandbox(SANDBOX, "1.36")
    eks_double.add_cluster("billing", REGION, SANDBOX, support_type="EXTENDED")
    yield eks_double


def scan(double: EksDouble, today: str, output: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env |= double.env(REGION)
    flags = ["--discover", "eks", "--regions", REGION, "--today", today, "--fail-on", "none"]
    return subprocess.run(
        [sys.executable, "-m", "kubecurrent", "scan", "cluster", "-o", output, *flags],
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
    done = scan(clusters, "2027-06-01", "json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    support = data["support"]
    rows = by_cluster(support, "clusters")
    assert rows["billing"] == {
        "cluster": "billing",
        "provider": "eks",
        "minor": "1.36",
        "phase": "standard",
        "upgradePolicy": "extended",
        "endOfStandardSupport": "2027-08-02",
        "endOfExtendedSupport": "2028-08-02",
        "usdPerMonth": 73.0,
        "extraUsdPerMonth": 0.0,
        "exposureUsdPerMonth": 365.0,
    }
    assert support["totals"] == {
        "usdPerMonth": 73.0,
        "extraUsdPerMonth": 0.0,
        "exposureUsdPerMonth": 365.0,
    }
    messages = {
        f["object"]["name"]: f["message"]
        for f in data["findings"]
        if f["rule"] == "KC-PROVIDER-STANDARD-SUPPORT"
    }
    assert messages["billing"] == (
        "EKS 1.36 leaves standard support on 2027-08-02 (in 62 days): from then it costs 438 USD "
        "per cluster-month (extended support, 365 USD more than now) until 2028-08-02"
    )


def test_in_extended_support_the_html_report_shows_dates_and_cost_per_cluster(
    clusters: EksDouble,
) -> None:
    done = scan(clusters, "2027-09-01", "html")
    assert done.returncode == 0, done.stderr
    section = done.stdout.split("<h2>Managed support and cost</h2>")[1].split("<h2>")[0]
    assert (
        '<td>billing</td><td>eks 1.36</td><td class="unsupported">extended</td><td>extended</td>'
        '<td>2027-08-02</td><td>2028-08-02</td><td class="num">438.00</td>'
        '<td class="num">365.00</td>'
    ) in section
    assert "<td>fleet total</td><td></td><td></td><td></td><td></td><td></td>" in section
    assert (
        '<td class="num">438.00</td><td class="num">365.00</td><td class="num">365.00</td>'
        in (section.split("fleet total")[1])
    )
    assert "EKS 1.36 is in extended support since 2027-08-02" in done.stdout
    assert "(in 336 days): EKS upgrades the control plane automatically then" in done.stdout

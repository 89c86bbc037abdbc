"""Helm releases installed by the real helm: chart and app versions, manifests with removed APIs."""

from __future__ import annotations

import subprocess
from pathlib import Path

from kubecurrent.catalog import Catalog
from kubecurrent.model.findings import EvidenceSource
from kubecurrent.sandbox._build import binary_path
from kubecurrent.sandbox._components import HELM
from tests.integration.cluster.conftest import collect, findings
from tests.integration.conftest import SessionSandbox

CHARTS = Path(__file__).parents[2] / "fixtures" / "charts"


def _install(box: SessionSandbox, release: str, chart: str, namespace: str) -> None:
    helm = binary_path(HELM, "helm")
    subprocess.run(
        [
            str(helm),
            "install",
            release,
            str(CHARTS / chart),
            "--namespace",
            namespace,
            "--kubeconfig",
            str(box.kubeconfig),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )


def test_helm_releases_and_their_removed_apis(
    cluster131: SessionSandbox, catalog: Catalog, ns131: str
) -> None:
    _install(cluster131, "certs", "cert-manager", ns131)
    _install(cluster131, "flows", "legacy-flow", ns131)

    inv = collect(cluster131, catalog)

    releases = {(r.namespace, r.name): r for r in inv.helm_releases}
    certs, flows = releases[(ns131, "certs")], releases[(ns131, "flows")]
    assert (certs.chart, certs.chart_version, certs.app_version) == (
        "cert-manager",
        "v1.15.3",
        "v1.15.3",
    )
    assert (flows.chart, flows.chart_version, flows.app_version, flows.status) == (
        "legacy-flow",
        "0.3.0",
        "2.4.1",
        "deployed",
    )
    addon = next(a for a in inv.addons if a.name == "cert-manager")
    assert addon.version == "1.15.3" and "helm-chart" in addon.detected_by

    hits = [
        f
        for f in findings(inv, catalog, "1.32")
        if f.source is EvidenceSource.HELM_RELEASE and f.rule == "KC-API-REMOVED"
    ]
    assert any(
        f"helm release {ns131}/flows revision 1" == f.location.rendered_from
        and f.object.kind == "FlowSchema"
        for f in hits
    )


def test_no_secrets_leaves_helm_unread_and_says_so(
    cluster131: SessionSandbox, catalog: Catalog
) -> None:
    inv = collect(cluster131, catalog, read_secrets=False)
    assert inv.helm_releases == ()
    assert any("--no-secrets" in lim.reason for lim in inv.limitations)

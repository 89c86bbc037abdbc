"""What the pages show: the fleet with filters and chart, a cluster's evidence, the plan."""

from __future__ import annotations

from starlette.testclient import TestClient

from kubecurrent.web import WebContext
from tests.unit.web.conftest import OPERATOR_TOKEN, PASSWORDS, login


def viewer(client: TestClient) -> TestClient:
    login(client, "vince", PASSWORDS["vince"])
    return client


class TestFleetPage:
    def test_every_cluster_with_version_eol_and_findings(self, client: TestClient) -> None:
        page = viewer(client).get("/").text
        assert '<a href="/clusters/prod-eu">prod-eu</a>' in page
        assert "v1.33.5" in page and "passed 270 days ago (2026-02-28)" in page
        assert "in 215 days (2027-06-28)" in page
        assert "Not collected: cannot reach https://10.0.0.9:6443" in page
        assert '<svg class="chart" role="img" aria-label="Clusters per Kubernetes minor"' in page

    def test_label_filters_narrow_the_fleet(self, client: TestClient) -> None:
        page = viewer(client).get("/?env=prod").text
        assert "prod-eu" in page and "gone" in page and "dev-us" not in page
        assert "2 of 3 clusters shown" in page
        assert '<option value="prod" selected>' in page
        page = client.get("/?env=prod&region=eu").text
        assert "1 of 3 clusters shown" in page and ">gone<" not in page

    def test_an_unknown_label_is_ignored(self, client: TestClient) -> None:
        assert "3 of 3 clusters shown" in viewer(client).get("/?nosuch=x").text

    def test_values_from_clusters_are_escaped(self, client: TestClient) -> None:
        page = viewer(client).get("/").text
        assert "owner=&lt;i&gt;ops&lt;/i&gt;" in page and "<i>ops</i>" not in page


class TestClusterPage:
    def test_findings_name_who_wrote_the_removed_api(self, client: TestClient) -> None:
        page = viewer(client).get("/clusters/dev-us").text
        assert "KC-API-REMOVED" in page and "old-flow-client" in page
        assert "managed-fields" in page
        assert "cert-manager" in page and "1.15.3" in page

    def test_cves_come_with_their_catalog_facts(self, client: TestClient) -> None:
        page = viewer(client).get("/clusters/prod-eu").text
        assert "CVE-2024-7598" in page and "<td>low" in page and "kube-apiserver" in page

    def test_an_unreadable_cluster_shows_why(self, client: TestClient) -> None:
        page = viewer(client).get("/clusters/gone")
        assert page.status_code == 200 and "connection refused" in page.text

    def test_an_unknown_cluster_is_404(self, client: TestClient) -> None:
        assert viewer(client).get("/clusters/nope").status_code == 404

    def test_the_api_gives_inventory_and_findings(self, client: TestClient) -> None:
        data = client.get(
            "/api/clusters/dev-us", headers={"Authorization": f"Bearer {OPERATOR_TOKEN}"}
        ).json()
        assert data["inventory"]["controlPlane"] == "1.36.3"
        assert any("old-flow-client" in f["message"] for f in data["findings"])
        # every field, as written: the apiVersion alias, and the ones that are None as null
        first = data["findings"][0]
        assert list(first["object"]) == ["apiVersion", "kind", "name", "namespace"]
        assert first["location"]["cluster"] == "dev-us" and "fix_by" in first


class TestPlanPage:
    def test_steps_with_their_reasons(self, client: TestClient) -> None:
        page = viewer(client).get("/clusters/prod-eu/plan?target=1.35").text
        assert "Upgrade plan: prod-eu" in page
        assert "Upgrade the control plane" in page and "Why:" in page and "Without it:" in page
        assert '<ol class="path" aria-label="Control-plane path">' in page
        assert '<option value="1.35" selected>' in page

    def test_the_runbook_downloads_as_markdown(self, client: TestClient) -> None:
        response = viewer(client).get("/clusters/prod-eu/runbook.md?target=1.35")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/markdown")
        assert 'filename="runbook-prod-eu-1.35.' in response.headers["content-disposition"]
        assert response.text.startswith("# Upgrade runbook: Kubernetes 1.35")

    def test_an_unknown_target_is_explained(self, client: TestClient) -> None:
        response = viewer(client).get("/clusters/prod-eu/plan?target=1.99")
        assert response.status_code == 400 and "does not know Kubernetes 1.99" in response.text

    def test_an_unreadable_cluster_cannot_be_planned(self, client: TestClient) -> None:
        assert viewer(client).get("/clusters/gone/plan").status_code == 409

    def test_the_api_plan_is_the_cli_json(self, ctx: WebContext, client: TestClient) -> None:
        data = client.get(
            "/api/clusters/prod-eu/plan?target=1.35",
            headers={"Authorization": f"Bearer {OPERATOR_TOKEN}"},
        ).json()
        assert data["name"] == "prod-eu" and data["steps"][0]["why"]

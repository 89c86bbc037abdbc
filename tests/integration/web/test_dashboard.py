"""The dashboard in headless Chromium: log in, the fleet, a cluster with a finding and who
caused it, the plan and its runbook, and what viewers, missing CSRF tokens and strangers get."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
from playwright.sync_api import BrowserContext, expect

from tests.integration.web.conftest import (
    OPERATOR,
    OPERATOR_TOKEN,
    SENTINEL,
    VIEWER,
    VIEWER_TOKEN,
    Dashboard,
    csrf,
    keep_for_docs,
    log_in,
    shot,
)

DOCS = Path(__file__).parents[3] / "docs"


def test_login_and_the_fleet_page(
    context: BrowserContext, dashboard: Dashboard, screenshots: Path
) -> None:
    page = context.new_page()
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login\?next=/$"))
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    shot(page, screenshots, "login")

    log_in(page, *OPERATOR)

    expect(page.get_by_role("heading", name="Fleet")).to_be_visible()
    row = page.get_by_role("row", name=re.compile(r"^shared"))
    expect(row).to_contain_text(re.compile(r"v1\.36\.\d+"))
    expect(row).to_contain_text("days")  # the end-of-life countdown
    expect(page.get_by_role("row", name=re.compile(r"^missing"))).to_contain_text("Not collected")
    expect(page.get_by_role("img", name="Clusters per Kubernetes minor")).to_be_visible()
    expect(page.get_by_role("button", name="Refresh")).to_be_visible()
    path = shot(page, screenshots, "fleet")
    keep_for_docs(path, DOCS / "dashboard-fleet.png")

    page.get_by_label("env").select_option("test")  # app.js submits the filter form
    expect(page).to_have_url(re.compile(r"env=test"))
    expect(page.get_by_role("row", name=re.compile(r"^missing"))).to_have_count(0)
    expect(page.get_by_role("row", name=re.compile(r"^shared"))).to_have_count(1)
    assert SENTINEL not in page.content()


def test_a_cluster_shows_the_finding_and_who_wrote_the_deprecated_api(
    context: BrowserContext, dashboard: Dashboard, screenshots: Path
) -> None:
    page = context.new_page()
    log_in(page, *VIEWER)
    page.get_by_role("link", name="shared", exact=True).click()

    expect(page.get_by_role("heading", name="shared", exact=True)).to_be_visible()
    finding = page.get_by_role("row").filter(has_text=f"{dashboard.widget_group}/v1alpha1")
    expect(finding.first).to_contain_text("KC-CRD-VERSION-DEPRECATED")
    expect(finding.first).to_contain_text("old-widget-client")
    expect(finding.first).to_contain_text("managed-fields")
    expect(page.get_by_role("heading", name=re.compile(r"^Drain blockers"))).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile(r"^CVEs"))).to_be_visible()
    release = page.get_by_role("row", name=f"{dashboard.namespace}/demo demo-addon")
    expect(release).to_contain_text("demo-addon 1.0.0")
    shot(page, screenshots, "cluster")
    assert SENTINEL not in page.content()


def test_the_plan_page_and_its_runbook(
    context: BrowserContext, dashboard: Dashboard, screenshots: Path, tmp_path: Path
) -> None:
    page = context.new_page()
    log_in(page, *VIEWER)
    page.goto("/clusters/shared")
    page.get_by_role("link", name="Plan the upgrade").click()

    expect(page.get_by_role("heading", name="Upgrade plan: shared")).to_be_visible()
    page.get_by_label("Target").select_option("1.37")
    expect(page).to_have_url(re.compile(r"target=1\.37"))
    expect(page.get_by_role("list", name="Control-plane path")).to_contain_text("1.37")
    expect(page.get_by_text("Upgrade the control plane").first).to_be_visible()
    expect(page.get_by_text("Why:").first).to_be_visible()
    shot(page, screenshots, "plan")

    with page.expect_download() as download:
        page.get_by_role("link", name="Download the Markdown runbook").click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert re.fullmatch(r"runbook-shared-1\.37\.\d+\.md", saved.name)
    text = saved.read_text(encoding="utf-8")
    assert text.startswith("# Upgrade runbook: Kubernetes 1.37") and "Why:" in text
    assert SENTINEL not in page.content() and SENTINEL not in text


def test_a_viewer_can_start_nothing(context: BrowserContext, dashboard: Dashboard) -> None:
    page = context.new_page()
    log_in(page, *VIEWER)
    expect(page.get_by_role("button", name="Refresh")).to_have_count(0)

    refused = page.request.post("/refresh", form={"csrf_token": csrf(page)}, max_redirects=0)
    assert refused.status == 403 and "operator" in refused.text()
    api = page.request.post("/api/refresh", headers={"X-CSRF-Token": csrf(page)})
    assert api.status == 403
    bearer = httpx.post(
        f"{dashboard.url}/api/refresh", headers={"Authorization": f"Bearer {VIEWER_TOKEN}"}
    )
    assert bearer.status_code == 403
    assert _audited(dashboard, "vince", "denied")


def test_state_changes_need_the_csrf_token(context: BrowserContext, dashboard: Dashboard) -> None:
    page = context.new_page()
    log_in(page, *OPERATOR)

    assert page.request.post("/refresh", max_redirects=0).status == 403
    assert page.request.post("/api/refresh").status == 403
    ok = page.request.post("/refresh", form={"csrf_token": csrf(page)}, max_redirects=0)
    assert ok.status == 303
    assert _audited(dashboard, "olga", "ok", "web.refresh")
    bearer = httpx.post(
        f"{dashboard.url}/api/refresh", headers={"Authorization": f"Bearer {OPERATOR_TOKEN}"}
    )
    assert bearer.status_code == 202


def test_strangers_get_the_login_page_or_401(context: BrowserContext, dashboard: Dashboard) -> None:
    page = context.new_page()
    page.goto("/clusters/shared")
    expect(page).to_have_url(re.compile(r"/login\?next=/clusters/shared$"))
    assert page.request.get("/api/clusters").status == 401
    assert page.request.post("/refresh", max_redirects=0).status == 303  # to the login page


def test_no_secret_data_in_any_page_or_answer(dashboard: Dashboard) -> None:
    auth = {"Authorization": f"Bearer {VIEWER_TOKEN}"}
    for path in ("/api/clusters", "/api/clusters/shared", "/api/clusters/shared/plan"):
        answer = httpx.get(dashboard.url + path, headers=auth)
        assert answer.status_code == 200 and SENTINEL not in answer.text
    assert (
        OPERATOR_TOKEN not in dashboard.log.read_text()
        and VIEWER_TOKEN not in dashboard.log.read_text()
    )


def _audited(dashboard: Dashboard, user: str, outcome: str, action: str | None = None) -> bool:
    records = [json.loads(line) for line in dashboard.audit_log.read_text().splitlines()]
    return any(
        r["user"] == user and r["outcome"] == outcome and (action is None or r["action"] == action)
        for r in records
    )

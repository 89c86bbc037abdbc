"""The Upgrade and History pages in headless Chromium against two fresh sandboxes.

The operator starts a rollout from the Upgrade page (a canary, then a production wave behind an
approval gate, confirmed by typing the production cluster's name), follows it live (server-sent
events; the page is never reloaded by the test), approves the gate, sees it finish, downloads
the change record, and finds the same rollout with ``kubecurrent rollout status`` on the same
state file. A viewer sees no controls, and the form and the API refuse them.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, expect

from kubecurrent import sandbox as sb
from tests.integration.conftest import start_sandboxes
from tests.integration.rollout.conftest import FleetMember, write_fleet
from tests.integration.web.conftest import (
    OPERATOR,
    VIEWER,
    VIEWER_TOKEN,
    csrf,
    keep_for_docs,
    log_in,
    run_serve,
    shot,
    write_users,
)

DOCS = Path(__file__).parents[3] / "docs"
DEV, PROD = "wu-dev", "wu-prod"
GATE_TIMEOUT = 420_000
"""Milliseconds: the canary's node-pool roll on a loaded two-core machine."""


@dataclass(frozen=True)
class Upgrades:
    url: str
    state: Path
    audit_log: Path


@pytest.fixture(scope="module")
def upgrades(sandbox_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Upgrades]:
    work = tmp_path_factory.mktemp("upgrades")
    envs = {DEV: "dev", PROD: "prod"}
    boxes = start_sandboxes(sandbox_home, [(n, "1.36", ("default=2@1.35.4",)) for n in envs])
    try:
        members = [FleetMember(box, {"env": envs[box.name]}) for box in boxes]
        fleet = write_fleet(members, work / "fleet.yaml")
        state = work / "rollouts.db"
        args = ["--fleet", str(fleet), "--users", str(write_users(work / "users.yaml"))]
        with run_serve(work, [*args, "--state", str(state)]) as (url, _log):
            yield Upgrades(url, state, work / "audit.jsonl")
    finally:
        sb.down_many(envs)


@pytest.fixture
def browsing(browser: Browser, upgrades: Upgrades) -> Iterator[BrowserContext]:
    ctx = browser.new_context(
        base_url=upgrades.url, viewport={"width": 1280, "height": 900}, accept_downloads=True
    )
    ctx.set_default_timeout(20_000)
    yield ctx
    ctx.close()


def test_an_operator_upgrades_from_the_button_and_a_viewer_cannot(
    browsing: BrowserContext, upgrades: Upgrades, screenshots: Path, tmp_path: Path
) -> None:
    page = browsing.new_page()
    log_in(page, *OPERATOR)
    expect(page.get_by_role("row", name=re.compile(rf"^{DEV}"))).to_contain_text("v1.36")
    page.get_by_role("link", name=DEV, exact=True).click()
    expect(page.get_by_role("heading", name=DEV, exact=True)).to_be_visible()

    # The Upgrade page: choose, review (waves and plans), confirm.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Upgrade").click()
    expect(page.get_by_role("heading", name="Upgrade", exact=True)).to_be_visible()
    expect(page.get_by_role("checkbox", name=DEV)).to_be_checked()
    expect(page.get_by_role("checkbox", name=PROD)).to_be_checked()
    page.get_by_label("Target").select_option("1.36")
    page.get_by_label("Require an approval before every wave after the first").check()
    shot(page, screenshots, "upgrade")
    page.get_by_role("button", name="Review the rollout").click()

    waves = page.get_by_role("table", name="Waves, in order")
    expect(waves.get_by_role("row", name=re.compile(r"^canary"))).to_contain_text(DEV)
    expect(waves.get_by_role("row", name=re.compile(r"^rest"))).to_contain_text("needed")
    expect(page.get_by_text(f"{PROD}:", exact=False).first).to_be_visible()
    expect(page.get_by_text("Roll node pool default").first).to_be_visible()
    confirm = page.get_by_label(f"Type {PROD} to confirm")
    expect(confirm).to_be_visible()
    shot(page, screenshots, "upgrade-review")
    confirm.fill(PROD)
    page.get_by_role("button", name="Start the rollout").click()
    page.wait_for_url(re.compile(r"/rollouts/r-[\w-]+\?done=started$"))
    rid = re.search(r"/rollouts/(r-[\w-]+)", page.url).group(1)  # type: ignore[union-attr]

    # Live progress, without reloading: the gate appears through the event stream.
    expect(page.get_by_role("heading", name=re.compile(r"^Wave 1: canary"))).to_be_visible()
    shot(page, screenshots, "rollout-progress")
    approve = page.get_by_role("button", name="Approve rest")
    expect(approve).to_be_visible(timeout=GATE_TIMEOUT)
    canary = page.get_by_role("table", name="Clusters of wave canary")
    expect(canary.get_by_role("row", name=re.compile(rf"^{DEV}"))).to_contain_text("done")
    expect(canary).to_contain_text("node-pool")
    shot(page, screenshots, "rollout-gate")
    page.get_by_label("Note (a change ticket, optional)").fill("CAB-42")
    approve.click()
    page.wait_for_url(re.compile(r"\?done=approve$"))
    expect(page.locator("#rollout-status")).to_contain_text(
        "done (2 of 2 clusters done)", timeout=GATE_TIMEOUT
    )
    expect(page.get_by_text(f"Approved by {OPERATOR[0]}")).to_be_visible()
    path = shot(page, screenshots, "rollout-done")
    keep_for_docs(path, DOCS / "dashboard-rollout.png")

    # The change record.
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the HTML report").click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert saved.name == f"change-record-{rid}.html"
    report = saved.read_text(encoding="utf-8")
    assert OPERATOR[0] in report and DEV in report and PROD in report and "CAB-42" in report
    viewer_of_report = browsing.new_page()
    viewer_of_report.set_content(report)
    shot(viewer_of_report, screenshots, "report")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="History").click()
    row = page.get_by_role("row", name=re.compile(rf"^{rid}"))
    expect(row).to_contain_text("done")
    expect(row).to_contain_text(OPERATOR[0])
    expect(row.get_by_role("link", name=f"HTML report of {rid}")).to_be_visible()
    shot(page, screenshots, "history")

    # The CLI sees the same rollout in the same state file.
    status = subprocess.run(
        [sys.executable, "-m", "kubecurrent", "rollout", "status", "--state", str(upgrades.state),
         "-o", "json"],
        capture_output=True, text=True, timeout=60, env=os.environ,
    )  # fmt: skip
    assert status.returncode == 0, status.stderr
    snap = json.loads(status.stdout)
    assert snap["id"] == rid and snap["state"] == "done" and snap["actor"] == OPERATOR[0]
    assert {w["name"]: w["approved_by"] for w in snap["waves"]} == {"canary": None, "rest": "olga"}
    assert all(c["state"] == "done" for w in snap["waves"] for c in w["clusters"])

    # A viewer: no controls, and the form and the API refuse.
    viewer = browsing.browser.new_context(base_url=upgrades.url) if browsing.browser else None
    assert viewer is not None
    try:
        vpage = viewer.new_page()
        log_in(vpage, *VIEWER)
        vpage.goto("/upgrade")
        expect(vpage.get_by_text("Only operators start")).to_be_visible()
        expect(vpage.get_by_role("button", name="Review the rollout")).to_have_count(0)
        vpage.goto(f"/rollouts/{rid}")
        expect(vpage.get_by_role("group", name="Rollout controls")).to_have_count(0)
        shot(vpage, screenshots, "rollout-viewer")
        token = csrf(vpage)
        form = {"csrf_token": token, "clusters": DEV, "target": "1.36", "confirm": ""}
        refused = vpage.request.post("/upgrade", form=form, max_redirects=0)
        assert refused.status == 403 and "operator" in refused.text()
        api = vpage.request.post(
            "/api/rollouts", headers={"X-CSRF-Token": token}, data={"clusters": [DEV]}
        )
        assert api.status == 403
        again = vpage.request.post(f"/rollouts/{rid}/resume", form={"csrf_token": token})
        assert again.status == 403
    finally:
        viewer.close()
    bearer = httpx.post(
        f"{upgrades.url}/api/rollouts/{rid}/approve",
        headers={"Authorization": f"Bearer {VIEWER_TOKEN}"},
    )
    assert bearer.status_code == 403
    records = [json.loads(line) for line in upgrades.audit_log.read_text().splitlines()]
    actions = {(r["user"], r["action"], r["outcome"]) for r in records}
    assert ("olga", "web.rollout.start", "ok") in actions
    assert ("olga", "web.rollout.approve", "ok") in actions
    assert ("vince", "web.post /upgrade", "denied") in actions

"""The Upgrade and History pages over a real state store, with in-memory clusters (test doubles,
named as such): start with the production confirmation, the approval gate, the change record,
what viewers and missing CSRF tokens get, the driver lease, and the shutdown pause."""

from __future__ import annotations

import datetime as dt
import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from kubecurrent.execute import Audit, Baseline, Clock, Executor, RetryPolicy
from kubecurrent.model.inventory import ClusterInventory, NodePool
from kubecurrent.model.plan import ClusterPlan, Step
from kubecurrent.rollout import ClusterRef, Lease, RunnerSettings, settings_json, snapshot
from kubecurrent.web import WebContext, create_app
from tests.unit.web.conftest import OPERATOR_TOKEN, PASSWORDS, VIEWER_TOKEN, login


class PassingGate:
    def baseline(self) -> Baseline:
        return Baseline()

    def wait(self, baseline: Baseline, after: str) -> None:
        pass


@dataclass
class FakeFleet:
    """Test double: clusters whose pool kubelet moves when the fake node-pool action runs."""

    kubelets: dict[str, str] = field(default_factory=dict)
    hold: threading.Event | None = None
    """When set, a node-pool action waits for it (to stop a rollout in the middle)."""
    started: threading.Event = field(default_factory=threading.Event)
    recorded: list[RunnerSettings | None] = field(default_factory=list)
    """The runner options each drive was given (as recorded with the rollout)."""

    def record(self) -> RunnerSettings:
        return RunnerSettings(provider="fake", helm_timeout=42.0)

    def factory(self, recorded: RunnerSettings | None) -> FakeFleet:
        self.recorded.append(recorded)
        return self

    def __call__(self, ref: ClusterRef) -> FakeRun:
        return FakeRun(ref, self)


@dataclass
class FakeRun:
    ref: ClusterRef
    fleet: FakeFleet

    def recover(self) -> str | None:
        return None

    def inventory(self) -> ClusterInventory:
        kubelet = self.fleet.kubelets.setdefault(self.ref.name, "1.35.4")
        pools = (NodePool(name="p", kubelet=kubelet, nodes=2),)
        return ClusterInventory(name=self.ref.name, control_plane="1.36.3", node_pools=pools)

    def plan(self, inventory: ClusterInventory, target: str) -> ClusterPlan:
        step = {"order": 1, "type": "node-pool", "target": "p", "from": "1.35.4", "to": "1.36.3"}
        return ClusterPlan(
            name=self.ref.name,
            status="ok",
            from_version="1.36.3",
            target="1.36.3",
            steps=(Step.read({**step, "why": "w", "without": "x", "hop": 0}),),
        )

    def findings(self, inventory: ClusterInventory, target: str) -> dict[str, int]:
        return {}

    def executor(self, plan: ClusterPlan, audit: Audit) -> Executor:
        def roll(step: Step, _inv: ClusterInventory) -> str:
            self.fleet.started.set()
            if self.fleet.hold is not None:
                self.fleet.hold.wait(10)
            self.fleet.kubelets[self.ref.name] = str(step.to)
            return "rolled"

        return Executor(
            plan=plan,
            actions={"node-pool": roll},
            collect=self.inventory,
            gate=PassingGate(),
            audit=audit,
            retry=RetryPolicy(attempts=1),
            clock=Clock(sleep=lambda _d: None),
        )

    def health(self, audit: Audit, baseline: Baseline) -> None:
        pass


@pytest.fixture
def fake_fleet(ctx: WebContext) -> FakeFleet:
    fleet = FakeFleet()
    ctx.runners = fleet
    return fleet


@pytest.fixture
def app_client(ctx: WebContext, fake_fleet: FakeFleet) -> Iterator[TestClient]:
    with TestClient(create_app(ctx, background=False), follow_redirects=False) as c:
        yield c


def wait_until(check: Callable[[], bool], what: str, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def state_of(ctx: WebContext, rid: str) -> dict[str, Any]:
    assert ctx.store is not None
    return snapshot(ctx.store, rid)


def audit_log(ctx: WebContext) -> list[dict[str, Any]]:
    return [json.loads(line) for line in ctx.audit.path.read_text().splitlines()]


START = {
    "clusters": ["dev-us", "prod-eu"],
    "target": "1.36",
    "strategy_mode": "default",
    "approve_later": "on",
}


def test_the_operator_reviews_confirms_approves_and_downloads_the_record(
    app_client: TestClient, ctx: WebContext, fake_fleet: FakeFleet
) -> None:
    csrf = login(app_client, "olga", PASSWORDS["olga"])
    assert 'href="/upgrade"' in app_client.get("/").text

    review = app_client.get("/upgrade", params={**START, "preview": "1"})
    assert review.status_code == 200
    text = review.text
    assert "Waves, in order" in text and "canary" in text and "rest" in text
    assert "Type <code>prod-eu</code> to confirm" in text
    shown = "eks-addon-conflicts=PRESERVE; eks-force=False; gate-timeout=180.0; helm-timeout=42.0"
    assert f"Clusters are upgraded with: <code>{shown}; node-timeout=300.0; provider=fake" in text
    assert 'aria-label="Control-plane path of dev-us"' in text  # each cluster's plan

    unconfirmed = app_client.post("/upgrade", data={**START, "csrf_token": csrf})
    assert unconfirmed.status_code == 400
    assert "type &#39;prod-eu&#39; exactly" in unconfirmed.text

    started = app_client.post("/upgrade", data={**START, "csrf_token": csrf, "confirm": "prod-eu"})
    assert started.status_code == 303
    rid = re.fullmatch(r"/rollouts/(r-[\w-]+)\?done=started", started.headers["location"])
    assert rid is not None
    rid_text = rid.group(1)

    wait_until(lambda: state_of(ctx, rid_text)["state"] == "waiting-approval", "the gate")
    page = app_client.get(f"/rollouts/{rid_text}")
    assert "Approve rest" in page.text and 'data-events="/rollouts/' in page.text
    snap = state_of(ctx, rid_text)
    assert [c["state"] for c in snap["waves"][0]["clusters"]] == ["done"]

    approved = app_client.post(
        f"/rollouts/{rid_text}/approve",
        data={"csrf_token": csrf, "wave": "rest", "note": "CAB-7"},
    )
    assert approved.status_code == 303
    wait_until(lambda: state_of(ctx, rid_text)["state"] == "done", "the rollout to finish")
    snap = state_of(ctx, rid_text)
    assert snap["actor"] == "olga" and snap["waves"][1]["approved_by"] == "olga"
    # The runner options were recorded at the start and both drives (start, after the
    # approval) ran with them.
    assert snap["runner"] == settings_json(RunnerSettings(provider="fake", helm_timeout=42.0))
    assert fake_fleet.recorded == [RunnerSettings(provider="fake", helm_timeout=42.0)] * 2

    report = app_client.get(f"/rollouts/{rid_text}/report.html")
    assert report.status_code == 200
    assert "attachment" in report.headers["content-disposition"]
    assert "olga" in report.text and "prod-eu" in report.text and "CAB-7" in report.text
    assert "helm-timeout=42.0; node-timeout=300.0; provider=fake" in report.text
    markdown = app_client.get(f"/rollouts/{rid_text}/report.md")
    assert markdown.text.startswith("#") and "dev-us" in markdown.text

    history = app_client.get("/history")
    assert rid_text in history.text and f"/rollouts/{rid_text}/report.html" in history.text
    assert ctx.store is not None
    journal_actors = {e.actor for e in ctx.store.journal(rid_text)}
    assert journal_actors == {"olga"}
    records = ctx.store.audit_records(rid_text)
    assert {r.user for r in records} == {"olga"}
    assert any(r.action == "wave.approve" for r in records)
    web = [(r["user"], r["action"], r["outcome"]) for r in audit_log(ctx)]
    assert ("olga", "web.rollout.start", "ok") in web
    assert ("olga", "web.rollout.approve", "ok") in web


def test_the_api_starts_and_reads_a_rollout_with_a_bearer_token(
    app_client: TestClient, ctx: WebContext
) -> None:
    auth = {"Authorization": f"Bearer {OPERATOR_TOKEN}"}
    body = {"clusters": ["dev-us"], "target": "1.36", "strategy": "waves: [{name: only}]"}
    answer = app_client.post("/api/rollouts", json=body, headers=auth)
    assert answer.status_code == 201, answer.text
    rid = answer.json()["id"]
    wait_until(lambda: state_of(ctx, rid)["state"] == "done", "the rollout")
    listed = app_client.get("/api/rollouts", headers=auth).json()
    assert [r["id"] for r in listed] == [rid]
    one = app_client.get(f"/api/rollouts/{rid}", headers=auth).json()
    assert one["waves"][0]["name"] == "only" and one["driver"] is None


def test_the_api_refuses_a_bad_strategy_and_an_unconfirmed_production_cluster(
    app_client: TestClient,
) -> None:
    auth = {"Authorization": f"Bearer {OPERATOR_TOKEN}"}
    bad = app_client.post(
        "/api/rollouts",
        json={"clusters": ["dev-us"], "strategy": "waves: [{count: 0}]"},
        headers=auth,
    )
    assert bad.status_code == 400
    assert "the strategy field: not a rollout strategy" in bad.json()["fields"]["strategy"]
    prod = app_client.post("/api/rollouts", json={"clusters": ["prod-eu"]}, headers=auth)
    assert prod.status_code == 400 and "prod-eu" in prod.json()["fields"]["confirm"]


def test_a_viewer_sees_no_controls_and_every_action_answers_403(
    app_client: TestClient, ctx: WebContext
) -> None:
    operator = {"Authorization": f"Bearer {OPERATOR_TOKEN}"}
    rid = app_client.post(
        "/api/rollouts",
        json={
            "clusters": ["dev-us"],
            "target": "1.36",
            "strategy": "waves: [{name: a, approval: true}]",
        },
        headers=operator,
    ).json()["id"]
    wait_until(lambda: state_of(ctx, rid)["state"] == "waiting-approval", "the gate")

    csrf = login(app_client, "vince", PASSWORDS["vince"])
    upgrade = app_client.get("/upgrade", params={**START, "preview": "1"})
    assert upgrade.status_code == 200 and "Only operators start" in upgrade.text
    assert "Start the rollout" not in upgrade.text and "Review the rollout" not in upgrade.text
    page = app_client.get(f"/rollouts/{rid}")
    assert page.status_code == 200 and "Waiting for an operator" in page.text
    for word in ("Approve", "Pause</button>", "Abort</button>", "Resume</button>"):
        assert word not in page.text.replace("Approved by", "")

    start = app_client.post("/upgrade", data={**START, "csrf_token": csrf, "confirm": "prod-eu"})
    assert start.status_code == 403
    for action in ("approve", "pause", "resume", "abort"):
        assert (
            app_client.post(f"/rollouts/{rid}/{action}", data={"csrf_token": csrf}).status_code
            == 403
        )
        api = app_client.post(f"/api/rollouts/{rid}/{action}", headers={"X-CSRF-Token": csrf})
        assert api.status_code == 403
    viewer = {"Authorization": f"Bearer {VIEWER_TOKEN}"}
    assert app_client.post("/api/rollouts", json={}, headers=viewer).status_code == 403
    assert app_client.post(f"/api/rollouts/{rid}/approve", headers=viewer).status_code == 403
    assert state_of(ctx, rid)["waves"][0]["approved_by"] is None
    denied = {(r["user"], r["action"]) for r in audit_log(ctx) if r["outcome"] == "denied"}
    assert ("vince", "web.post /upgrade") in denied
    assert ("vince", f"web.post /rollouts/{rid}/approve") in denied


def test_actions_need_the_csrf_token(app_client: TestClient, ctx: WebContext) -> None:
    login(app_client, "olga", PASSWORDS["olga"])
    assert app_client.post("/upgrade", data={**START, "confirm": "prod-eu"}).status_code == 403
    assert app_client.post("/rollouts/r-x/pause").status_code == 403
    assert app_client.post("/api/rollouts", json={"clusters": ["dev-us"]}).status_code == 403
    assert ctx.store is not None
    assert ctx.store.rollouts() == []


def test_a_rollout_driven_elsewhere_is_shown_as_such(
    app_client: TestClient, ctx: WebContext, fake_fleet: FakeFleet
) -> None:
    assert ctx.store is not None
    auth = {"Authorization": f"Bearer {OPERATOR_TOKEN}"}
    body = {"clusters": ["dev-us"], "strategy": "waves: [{name: a, approval: true}]"}
    rid = app_client.post("/api/rollouts", json=body, headers=auth).json()["id"]
    wait_until(lambda: state_of(ctx, rid)["state"] == "waiting-approval", "the gate")
    with Lease(ctx.store, rid, host="build-box-7"):
        answer = app_client.post(f"/api/rollouts/{rid}/resume", headers=auth)
        assert answer.status_code == 409 and "driven elsewhere" in answer.json()["error"]
        assert "build-box-7" in answer.json()["error"]
        csrf = login(app_client, "olga", PASSWORDS["olga"])
        page = app_client.post(f"/rollouts/{rid}/approve", data={"csrf_token": csrf})
        assert page.status_code == 303  # the approval is recorded; the other driver goes on
        shown = app_client.get(f"/rollouts/{rid}").text
        assert "driven elsewhere (process" in shown and "build-box-7" in shown


def test_shutdown_pauses_what_this_server_drives_and_resume_finishes_it(
    ctx: WebContext, fake_fleet: FakeFleet
) -> None:
    fake_fleet.hold = threading.Event()
    auth = {"Authorization": f"Bearer {OPERATOR_TOKEN}"}
    body = {"clusters": ["dev-us"], "strategy": "waves: [{name: a}]"}
    with TestClient(create_app(ctx, background=False)) as c:
        rid = c.post("/api/rollouts", json=body, headers=auth).json()["id"]
        assert fake_fleet.started.wait(10)
        stopping = threading.Thread(target=ctx.begin_shutdown)
        stopping.start()
        wait_until(lambda: state_of(ctx, rid)["request"] == "pause", "the pause request")
        fake_fleet.hold.set()  # the running step finishes; the engine stops after it
        stopping.join(15)
    snap = state_of(ctx, rid)
    assert snap["state"] in ("paused", "done")
    assert ctx.store is not None
    journal = ctx.store.journal(rid)
    assert any("pause requested" in e.detail for e in journal)

    ctx.closing.clear()
    with TestClient(create_app(ctx, background=False)) as c:
        assert state_of(ctx, rid)["state"] == snap["state"]  # nothing resumed by itself
        if snap["state"] == "paused":
            answer = c.post(f"/api/rollouts/{rid}/resume", headers=auth)
            assert answer.status_code == 200, answer.text
            wait_until(lambda: state_of(ctx, rid)["state"] == "done", "the resumed rollout")


def test_a_later_wave_approved_in_advance_does_not_stop_and_nothing_else_moves(
    app_client: TestClient, ctx: WebContext
) -> None:
    csrf = login(app_client, "olga", PASSWORDS["olga"])
    auth = {"Authorization": f"Bearer {OPERATOR_TOKEN}"}
    strategy = (
        "waves: [{name: canary, select: {env: dev}, approval: true}, {name: rest, approval: true}]"
    )
    body = {"clusters": ["dev-us", "prod-eu"], "strategy": strategy, "confirm": "prod-eu"}
    rid = app_client.post("/api/rollouts", json=body, headers=auth).json()["id"]
    wait_until(lambda: state_of(ctx, rid)["state"] == "waiting-approval", "the canary gate")

    page = app_client.get(f"/rollouts/{rid}").text
    assert "Approve canary" in page  # the gate it waits at
    assert "Approve rest in advance" in page  # the later one
    ahead = app_client.post(
        f"/rollouts/{rid}/approve", data={"csrf_token": csrf, "wave": "rest", "note": "CAB-9"}
    )
    assert ahead.status_code == 303
    time.sleep(0.5)  # nothing may start: the canary gate is still closed
    snap = state_of(ctx, rid)
    assert snap["state"] == "waiting-approval"
    assert [w["state"] for w in snap["waves"]] == ["waiting-approval", "pending"]
    assert snap["waves"][1]["approved_by"] == "olga"
    assert "Approve rest in advance" not in app_client.get(f"/rollouts/{rid}").text

    app_client.post(f"/rollouts/{rid}/approve", data={"csrf_token": csrf, "wave": "canary"})
    wait_until(lambda: state_of(ctx, rid)["state"] == "done", "both waves, no second stop")
    journal = ctx.store.journal(rid)
    approvals = [(e.actor, e.detail) for e in journal if " approved" in e.detail]
    assert approvals == [("olga", "wave rest approved: CAB-9"), ("olga", "wave canary approved")]
    assert sum(e.detail.endswith("needs approval") for e in journal) == 1  # one stop only


def test_the_rollout_page_shows_the_rehearsals_attached_to_it(
    ctx: WebContext, app_client: TestClient, tmp_path: Path
) -> None:
    from kubecurrent.cli._rehearsals import check_rehearsals, record_rehearsals
    from tests.unit.rehearse.test_attach import _evidence

    operator = {"Authorization": f"Bearer {OPERATOR_TOKEN}"}
    rid = app_client.post(
        "/api/rollouts",
        json={
            "clusters": ["dev-us"],
            "target": "1.36",
            "strategy": "waves: [{name: a, approval: true}]",
        },
        headers=operator,
    ).json()["id"]
    wait_until(lambda: state_of(ctx, rid)["state"] == "waiting-approval", "the gate")
    assert ctx.store is not None
    evidence = check_rehearsals(
        [_evidence(tmp_path / "dev-us.json", "dev-us", target="1.36", refused=1)],
        False,
        ["dev-us"],
        "1.36",
    )
    now = dt.datetime(2026, 12, 6, 9, 0, tzinfo=dt.UTC)
    record_rehearsals(ctx.store, rid, evidence, "olga", now)
    login(app_client, "vince", PASSWORDS["vince"])
    page = app_client.get(f"/rollouts/{rid}")
    assert "<h2>Rehearsals</h2>" in page.text
    row = page.text.split('<table class="rehearsals">')[1].split("</table>")[0]
    assert "dev-us" in row and 'class="state-failed">refused' in row
    assert "refusals found (1 refused" in row


def test_the_approve_page_after_login_and_a_start_refused_for_a_missing_notify_secret(
    app_client: TestClient, ctx: WebContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    auth = {"Authorization": f"Bearer {OPERATOR_TOKEN}"}
    waves = "waves: [{name: one, select: {env: dev}}, {name: two, approvals: 2}]\n"
    body = {"clusters": ["dev-us", "prod-eu"], "target": "1.36", "confirm": "prod-eu"}
    monkeypatch.delenv("KC_UNIT_SLACK_URL", raising=False)
    notify = "notify: {slack: [{url: {env: KC_UNIT_SLACK_URL}}]}"
    refused = app_client.post(
        "/api/rollouts", json={**body, "strategy": waves + notify}, headers=auth
    )
    assert refused.status_code == 400
    assert refused.json()["error"] == (
        "notify.slack[0].url: environment variable KC_UNIT_SLACK_URL is not set or empty"
    )
    assert app_client.get("/api/rollouts", headers=auth).json() == []

    rid = app_client.post("/api/rollouts", json={**body, "strategy": waves}, headers=auth).json()[
        "id"
    ]
    wait_until(lambda: state_of(ctx, rid)["state"] == "waiting-approval", "the gate")
    link = f"/rollouts/{rid}/waves/two/approve"
    bounced = app_client.get(link)
    assert bounced.status_code == 303 and bounced.headers["location"] == f"/login?next={link}"

    login(app_client, "vince", PASSWORDS["vince"])
    page = app_client.get(link)
    assert page.status_code == 200 and "Only operators approve waves." in page.text
    assert "0 of 2; different people must approve" in page.text
    assert app_client.get(f"/rollouts/{rid}/waves/three/approve").status_code == 404

    csrf = login(app_client, "olga", PASSWORDS["olga"])
    page = app_client.get(link)
    assert '<button type="submit">Approve two</button>' in page.text
    form = {"csrf_token": csrf, "wave": "two"}
    assert app_client.post(f"/rollouts/{rid}/approve", data=form).status_code == 303
    page = app_client.get(link)
    assert "1 of 2 (olga)" in page.text and "You approved this wave" in page.text
    assert state_of(ctx, rid)["state"] == "waiting-approval"

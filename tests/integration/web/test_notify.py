"""Approval requests reach people, and two other people approve: a real rollout, end to end.

``kubecurrent serve`` (the real command, in a subprocess) drives a rollout of two fleet entries
on a fresh sandbox: a canary wave, then a ``prod`` wave that needs two different approvers, with
``starterMayApprove: false``. Real receivers started by the test get the notifications: an HTTP
webhook receiver (one path signs with HMAC; one answers 500 twice, then 200) and an SMTP server
(aiosmtpd, with a login). The test verifies the signature, follows the link in the message to the
dashboard's approve page, is refused as the starter, and approves as two other operators through
the dashboard's HTTP endpoints — and the rollout goes on to the end.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from kubecurrent import sandbox as sb
from kubecurrent.notify import verify
from kubecurrent.rollout import Store
from kubecurrent.web import hash_password
from tests.integration.conftest import SessionSandbox, guard, start_sandbox
from tests.integration.web.conftest import run_serve
from tests.receivers import (
    MailReceiver,
    WebhookReceiver,
    mail_receiver,
    wait_until,
    webhook_receiver,
)

pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")

BOX = "nt-fleet"
CANARY, PROD = "nt-canary", "nt-prod"
STARTER, FIRST, SECOND = ("olga", "olga-pass-1"), ("oscar", "oscar-pass-1"), ("pia", "pia-pass-1")
HMAC_KEY = "whk-" + "7c1e9a" * 6
SMTP_PASSWORD = "smtp-" + "4b2f" * 6
GATE = 300.0
"""Seconds: collecting, planning and checking the canary on a loaded two-core machine."""


def _fleet(box: SessionSandbox, path: Path) -> Path:
    """Two fleet entries on the same sandbox (each rollout cluster is the real API server)."""
    guard(box, box.kubeconfig)
    entry = {"kubeconfig": str(box.kubeconfig), "context": box.name}
    data = {
        "defaults": {"timeout": 60},
        "clusters": [
            {"name": CANARY, **entry, "labels": {"env": "dev"}},
            {"name": PROD, **entry, "labels": {"env": "staging"}},
        ],
    }
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def _users(path: Path) -> Path:
    users = [
        {"name": name, "role": "operator", "passwordHash": hash_password(password)}
        for name, password in (STARTER, FIRST, SECOND)
    ]
    path.write_text(yaml.safe_dump({"users": users}), encoding="utf-8")
    return path


def _strategy(work: Path, dashboard: str, hooks: WebhookReceiver, mail: MailReceiver) -> str:
    (work / "hmac-key").write_text(HMAC_KEY + "\n")
    (work / "smtp-password").write_text(SMTP_PASSWORD)
    strategy = {
        "waves": [
            {"name": "canary", "select": {"kubecurrent.dev/cluster": CANARY}},
            {"name": "prod", "approvals": 2},
        ],
        "starterMayApprove": False,
        "notify": {
            "dashboard": dashboard,
            "retry": {"attempts": 4, "delay": "0.5s"},
            "webhooks": [
                {
                    "name": "bus",
                    "url": f"{hooks.url}/hook",
                    "secret": {"file": str(work / "hmac-key")},
                },
                {"name": "flaky", "url": f"{hooks.url}/flaky", "events": ["approval"]},
            ],
            "email": [
                {
                    "name": "cab",
                    "host": "127.0.0.1",
                    "port": mail.port,
                    "starttls": False,
                    "from": "kubecurrent@example.test",
                    "to": ["cab@example.test"],
                    "username": "kc-mailer",
                    "password": {"file": str(work / "smtp-password")},
                    "events": ["approval"],
                }
            ],
        },
    }
    return yaml.safe_dump(strategy, sort_keys=False)


def _log_in(url: str, user: tuple[str, str], then: str = "/") -> httpx.Client:
    """A logged-in session, as the login form makes it; it is sent on to ``then``."""
    client = httpx.Client(base_url=url, timeout=30)
    form = client.get(f"/login?next={then}").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert token, form
    done = client.post(
        "/login",
        data={"username": user[0], "password": user[1], "csrf_token": token.group(1), "next": then},
    )
    assert done.status_code == 303 and done.headers["location"] == then, done.text
    return client


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, page
    return found.group(1)


@pytest.fixture
def served(sandbox_home: Path, tmp_path: Path) -> Iterator[tuple[str, Path, Path]]:
    box = start_sandbox(sandbox_home, BOX, "1.36", ("default=1",))
    try:
        fleet, users, state = (
            _fleet(box, tmp_path / "fleet.yaml"),
            _users(tmp_path / "u.yaml"),
            tmp_path / "r.db",
        )
        args = ["--fleet", str(fleet), "--users", str(users), "--state", str(state)]
        with run_serve(tmp_path, args) as (url, log):
            yield url, state, log
    finally:
        sb.down(BOX)


def _bodies(hooks: WebhookReceiver, path: str) -> list[dict[str, Any]]:
    return [json.loads(r.body) for r in hooks.accepted(path)]


def test_the_approval_request_reaches_people_and_two_others_approve(
    served: tuple[str, Path, Path], tmp_path: Path
) -> None:
    url, state, log = served
    starter = _log_in(url, STARTER)
    with (
        webhook_receiver({"/flaky": [500, 500, 200]}) as hooks,
        mail_receiver("kc-mailer", SMTP_PASSWORD) as mail,
    ):
        token = _csrf(starter.get("/upgrade").text)
        started = starter.post(
            "/api/rollouts",
            headers={"X-CSRF-Token": token},
            json={
                "clusters": [CANARY, PROD],
                "target": "1.36",
                "strategy": _strategy(tmp_path, url, hooks, mail),
            },
        )
        assert started.status_code == 201, started.text
        rid = started.json()["id"]

        # The approval request, on the signed webhook: the signature holds over the exact body.
        wait_until(
            lambda: any(b["event"] == "approval" for b in _bodies(hooks, "/hook")),
            f"the approval request (server log: {log})",
            GATE,
        )
        signed = next(
            r for r in hooks.accepted("/hook") if json.loads(r.body)["event"] == "approval"
        )
        header = signed.headers["x-kubecurrent-signature"]
        stamp, mac = re.fullmatch(r"t=(\d+),v1=([0-9a-f]{64})", header).groups()  # type: ignore[union-attr]
        expected = hmac.new(HMAC_KEY.encode(), f"{stamp}.".encode() + signed.body, hashlib.sha256)
        assert hmac.compare_digest(mac, expected.hexdigest())
        assert abs(time.time() - int(stamp)) < 600
        assert verify(HMAC_KEY, header, signed.body, time.time())
        assert not verify(HMAC_KEY, header, signed.body.replace(b"prod", b"dev!"), time.time())
        request = json.loads(signed.body)
        link = f"{url}/rollouts/{rid}/waves/prod/approve"
        assert (request["rollout"], request["wave"], request["approvalsNeeded"]) == (rid, "prod", 2)
        assert request["link"] == link and request["startedBy"] == STARTER[0]
        started_events = [b for b in _bodies(hooks, "/hook") if b["event"] == "started"]
        assert [b["rollout"] for b in started_events] == [rid]

        # The same request by mail, after logging in to the SMTP server with the password file.
        wait_until(lambda: bool(mail.messages), "the approval mail", 60)
        sent = mail.messages[0]
        assert "waits for approval" in sent["Subject"] and sent["To"] == "cab@example.test"
        assert link in sent.get_content() and mail.logins == ["kc-mailer"]

        # 500, 500, then 200: the flaky receiver has the message exactly once.
        wait_until(lambda: bool(hooks.accepted("/flaky")), "the third attempt", 30)
        time.sleep(2)  # any further (wrong) attempt would arrive within the backoff
        attempts = hooks.all("/flaky")
        assert [r.status for r in attempts] == [500, 500, 200]
        assert len({r.headers["x-kubecurrent-delivery"] for r in attempts}) == 1

        # The starter follows the link: the page says their approval does not count; it is refused.
        page = starter.get(request["link"].removeprefix(url))
        assert page.status_code == 200 and "starterMayApprove: false" in page.text
        refused = starter.post(
            f"/api/rollouts/{rid}/approve",
            headers={"X-CSRF-Token": _csrf(page.text)},
            json={"wave": "prod"},
        )
        assert refused.status_code == 409 and "does not count" in refused.json()["error"]

        # A first other operator: login, the link, the form on the page.
        oscar = _log_in(url, FIRST)
        page = oscar.get(request["link"].removeprefix(url))
        assert page.status_code == 200 and "Approve prod" in page.text
        form = {"csrf_token": _csrf(page.text), "wave": "prod", "note": "CAB-77"}
        assert oscar.post(f"/rollouts/{rid}/approve", data=form).status_code == 303
        snap = oscar.get(f"/api/rollouts/{rid}").json()
        prod = snap["waves"][1]
        assert snap["state"] == "waiting-approval" and prod["approvers"] == ["oscar"]
        assert prod["approved_by"] is None
        again = oscar.post(
            f"/api/rollouts/{rid}/approve",
            headers={"X-CSRF-Token": form["csrf_token"]},
            json={"wave": "prod"},
        )
        assert again.status_code == 409 and "already approved" in again.json()["error"]

        # The second other operator approves through the JSON API; the rollout goes on.
        path = request["link"].removeprefix(url)
        bounced = httpx.get(request["link"])
        assert bounced.status_code == 303 and bounced.headers["location"] == f"/login?next={path}"
        pia = _log_in(url, SECOND, then=path)  # the login form sends her back to the link
        page = pia.get(path)
        assert "1 of 2 (oscar)" in page.text
        done = pia.post(
            f"/api/rollouts/{rid}/approve",
            headers={"X-CSRF-Token": _csrf(page.text)},
            json={"wave": "prod"},
        )
        assert done.status_code == 200, done.text
        assert done.json()["outcome"] == "wave prod approved by oscar, pia"
        wait_until(
            lambda: pia.get(f"/api/rollouts/{rid}").json()["state"] == "done",
            "the rollout to finish",
            GATE,
        )
        wait_until(
            lambda: any(b["event"] == "done" for b in _bodies(hooks, "/hook")),
            "the done event",
            30,
        )
        finished = next(b for b in _bodies(hooks, "/hook") if b["event"] == "done")
        assert finished["link"] == f"{url}/rollouts/{rid}/report.html"
        snap = pia.get(f"/api/rollouts/{rid}").json()
        assert snap["waves"][1]["approved_by"] == "oscar, pia"
        assert all(c["state"] == "done" for w in snap["waves"] for c in w["clusters"])

    # The audit trail: each attempt, with target, attempt and status; never a secret.
    audit = Store(state, create=False).audit_records(rid)
    flaky = [
        (a.extra["attempt"], a.extra["status"], a.outcome)
        for a in audit
        if a.target == "webhook flaky"
    ]
    assert flaky == [(1, "HTTP 500", "retry"), (2, "HTTP 500", "retry"), (3, "HTTP 200", "ok")]
    mailed = [a for a in audit if a.target == "email cab"]
    assert [(a.action, a.extra["status"], a.outcome) for a in mailed] == [
        ("notify.approval", "SMTP 250", "ok")
    ]
    denied = [a for a in audit if a.action == "wave.approve" and a.outcome == "denied"]
    assert [a.user for a in denied] == [STARTER[0]]
    wal = Path(f"{state}-wal")
    everything = state.read_bytes() + (wal.read_bytes() if wal.exists() else b"")
    assert HMAC_KEY.encode() not in everything and SMTP_PASSWORD.encode() not in everything
    assert HMAC_KEY not in log.read_text() and SMTP_PASSWORD not in log.read_text()

"""What each event says and the payload each channel kind gets (shapes as documented by Slack
and Microsoft Teams; the generic webhook's fields as docs/rollout.md lists them)."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from kubecurrent.notify import (
    approve_path,
    email_message,
    message,
    slack_payload,
    teams_payload,
    webhook_body,
)
from kubecurrent.rollout import Event, EventKind

WHEN = dt.datetime(2026, 12, 6, 12, 0, tzinfo=dt.UTC)
DASH = "https://kc.example.com"


def _event(kind: EventKind, **more: object) -> Event:
    return Event(kind, "r-1", "1.37", "olga", WHEN, **more)  # type: ignore[arg-type]


def test_the_approval_request_links_to_the_waves_approve_page() -> None:
    msg = message(_event(EventKind.APPROVAL, wave="prod eu", approvals=2), DASH)
    assert msg.link == f"{DASH}/rollouts/r-1/waves/prod%20eu/approve"
    assert msg.link_label == "Approve wave prod eu"
    assert "2 different people" in msg.text and "olga" in msg.text
    assert approve_path("r-1", "a/b") == "/rollouts/r-1/waves/a%2Fb/approve"


@pytest.mark.parametrize(
    ("kind", "more", "path", "said"),
    [
        (EventKind.STARTED, {}, "/rollouts/r-1", "olga started rollout r-1 to Kubernetes 1.37"),
        (
            EventKind.FAILED,
            {"cluster": "db", "reason": "drain timed out"},
            "/rollouts/r-1",
            "drain timed out",
        ),
        (EventKind.HALTED, {"reason": "2 failed"}, "/rollouts/r-1", "halted: 2 failed"),
        (EventKind.DONE, {}, "/rollouts/r-1/report.html", "is done"),
    ],
)
def test_every_event_says_what_happened_with_its_link(
    kind: EventKind, more: dict[str, str], path: str, said: str
) -> None:
    msg = message(_event(kind, **more), DASH)
    assert msg.link == DASH + path
    assert said in msg.text


def test_without_a_dashboard_the_message_names_the_command() -> None:
    msg = message(_event(EventKind.APPROVAL, wave="prod", approvals=1), None)
    assert msg.link is None
    assert "kubecurrent rollout approve r-1 --wave prod" in msg.text


def test_the_webhook_body_is_the_event_as_compact_sorted_json() -> None:
    event = _event(EventKind.FAILED, cluster="db", reason="boom")
    body = webhook_body(event, message(event, DASH), "d-1")
    data = json.loads(body)
    assert data == {
        "approvalsNeeded": 0,
        "cluster": "db",
        "delivery": "d-1",
        "event": "failed",
        "link": f"{DASH}/rollouts/r-1",
        "reason": "boom",
        "rollout": "r-1",
        "startedBy": "olga",
        "target": "1.37",
        "text": "Cluster db failed: boom",
        "time": "2026-12-06T12:00:00+00:00",
        "title": "Cluster db failed in rollout r-1",
        "wave": None,
    }
    assert body == json.dumps(data, sort_keys=True, separators=(",", ":")).encode()


def test_slack_gets_text_and_a_mrkdwn_section_with_escaped_text() -> None:
    event = _event(EventKind.FAILED, cluster="db", reason="<script> & co")
    payload = slack_payload(message(event, DASH))
    assert payload["text"].startswith("Cluster db failed in rollout r-1: ")
    (block,) = payload["blocks"]
    assert block["type"] == "section" and block["text"]["type"] == "mrkdwn"
    assert "&lt;script&gt; &amp; co" in block["text"]["text"]
    assert block["text"]["text"].endswith(f"<{DASH}/rollouts/r-1|See the rollout>")


def test_teams_gets_one_adaptive_card_with_an_open_url_action() -> None:
    payload = teams_payload(message(_event(EventKind.APPROVAL, wave="prod", approvals=1), DASH))
    assert payload["type"] == "message"
    (attachment,) = payload["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert (card["type"], card["version"]) == ("AdaptiveCard", "1.2")
    assert [b["type"] for b in card["body"]] == ["TextBlock", "TextBlock"]
    assert card["actions"] == [
        {
            "type": "Action.OpenUrl",
            "title": "Approve wave prod",
            "url": f"{DASH}/rollouts/r-1/waves/prod/approve",
        }
    ]
    no_link = teams_payload(message(_event(EventKind.STARTED), None))
    assert "actions" not in no_link["attachments"][0]["content"]


def test_the_mail_has_the_title_as_subject_and_the_link_in_the_text() -> None:
    event = _event(EventKind.DONE)
    mail = email_message(event, message(event, DASH), "kc@example.com", ("a@x.io", "b@x.io"))
    assert mail["Subject"] == "[kubecurrent] Rollout r-1 is done"
    assert (mail["From"], mail["To"]) == ("kc@example.com", "a@x.io, b@x.io")
    assert f"The change record: {DASH}/rollouts/r-1/report.html" in mail.get_content()

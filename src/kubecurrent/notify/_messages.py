"""What each event says, and the payload each kind of channel is sent.

A ``Message`` is the event in words plus at most one link: the dashboard's approve page for the
waiting wave, the change record when the rollout is done, the rollout's page otherwise (links
need ``notify.dashboard``; without it the message names the command to run). Payloads:

- generic webhook: the event as JSON (``webhook_body``; fields in ``docs/rollout.md``);
- Slack incoming webhook: ``text`` (the notification fallback) and one ``section`` block in
  ``mrkdwn`` with ``<url|label>`` as the link, ``&``, ``<`` and ``>`` escaped, as documented at
  https://api.slack.com/messaging/webhooks and https://api.slack.com/reference/surfaces/formatting;
- Microsoft Teams incoming webhook: a ``message`` with one Adaptive Card attachment
  (``application/vnd.microsoft.card.adaptive``, card version 1.2, ``Action.OpenUrl`` for the
  link), as documented at https://learn.microsoft.com/en-us/microsoftteams/platform/webhooks-and-connectors/how-to/connectors-using#send-adaptive-cards-using-an-incoming-webhook;
- email: a plain-text mail, subject ``[kubecurrent] <title>``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any
from urllib.parse import quote

from kubecurrent.rollout import Event, EventKind

__all__ = [
    "Message",
    "approve_path",
    "email_message",
    "message",
    "slack_payload",
    "teams_payload",
    "webhook_body",
]


@dataclass(frozen=True)
class Message:
    title: str
    text: str
    link: str | None = None
    link_label: str = ""


def approve_path(rollout: str, wave: str) -> str:
    """The dashboard's approve page of ``wave`` (``/rollouts/{id}/waves/{wave}/approve``)."""
    return f"/rollouts/{quote(rollout, safe='')}/waves/{quote(wave, safe='')}/approve"


def message(event: Event, dashboard: str | None) -> Message:
    """``event`` in words, with its link on ``dashboard`` (the base URL) when there is one."""
    rid, wave = event.rollout, event.wave or ""
    page = f"/rollouts/{quote(rid, safe='')}"
    if event.kind is EventKind.STARTED:
        title = f"Rollout {rid} started"
        text = f"{event.starter} started rollout {rid} to Kubernetes {event.target}."
        path, label, command = page, "Follow the rollout", f"kubecurrent rollout status {rid}"
    elif event.kind is EventKind.APPROVAL:
        title = f"Wave {wave} of rollout {rid} waits for approval"
        who = "one person" if event.approvals <= 1 else f"{event.approvals} different people"
        text = (
            f"Wave {wave} of rollout {rid} (to Kubernetes {event.target}, started by "
            f"{event.starter}) starts once {who} approve it."
        )
        path, label = approve_path(rid, wave), f"Approve wave {wave}"
        command = f"kubecurrent rollout approve {rid} --wave {wave}"
    elif event.kind is EventKind.FAILED:
        title = f"Cluster {event.cluster} failed in rollout {rid}"
        text = f"Cluster {event.cluster} failed: {event.reason or 'no reason recorded'}"
        path, label, command = page, "See the rollout", f"kubecurrent rollout status {rid}"
    elif event.kind is EventKind.HALTED:
        title = f"Rollout {rid} halted"
        text = f"Rollout {rid} to Kubernetes {event.target} halted: {event.reason}"
        path, label = page, "See the rollout"
        command = f"kubecurrent rollout resume {rid} --retry-failed"
    else:
        title = f"Rollout {rid} is done"
        text = f"Rollout {rid} to Kubernetes {event.target} is done." + (
            f" {event.reason}" if event.reason and event.reason != "done" else ""
        )
        path, label = f"{page}/report.html", "The change record"
        command = f"kubecurrent rollout report {rid}"
    if dashboard is None:
        return Message(title, f"{text}\nNext: `{command}`")
    return Message(title, text, dashboard + path, label)


def webhook_body(event: Event, msg: Message, delivery: str) -> bytes:
    """The generic webhook's JSON body (compact, keys sorted: the bytes that are signed)."""
    data: dict[str, Any] = {
        "delivery": delivery,
        "event": event.kind.value,
        "rollout": event.rollout,
        "target": event.target,
        "startedBy": event.starter,
        "time": event.time.isoformat(timespec="seconds"),
        "wave": event.wave,
        "cluster": event.cluster,
        "reason": event.reason,
        "approvalsNeeded": event.approvals,
        "title": msg.title,
        "text": msg.text,
        "link": msg.link,
    }
    return json.dumps(data, sort_keys=True, separators=(",", ":")).encode()


def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_payload(msg: Message) -> dict[str, Any]:
    lines = [f"*{_slack_escape(msg.title)}*", _slack_escape(msg.text)]
    if msg.link:
        lines.append(f"<{msg.link}|{_slack_escape(msg.link_label)}>")
    return {
        "text": f"{msg.title}: {msg.text}",
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(lines)}}],
    }


def teams_payload(msg: Message) -> dict[str, Any]:
    card: dict[str, Any] = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.2",
        "body": [
            {"type": "TextBlock", "text": msg.title, "weight": "Bolder", "wrap": True},
            {"type": "TextBlock", "text": msg.text, "wrap": True},
        ],
    }
    if msg.link:
        card["actions"] = [{"type": "Action.OpenUrl", "title": msg.link_label, "url": msg.link}]
    return {
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": None,
                "content": card,
            }
        ],
    }


def email_message(event: Event, msg: Message, sender: str, to: tuple[str, ...]) -> EmailMessage:
    mail = EmailMessage()
    mail["Subject"] = f"[kubecurrent] {msg.title}"
    mail["From"] = sender
    mail["To"] = ", ".join(to)
    mail["Date"] = format_datetime(event.time)
    mail["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    link = f"\n\n{msg.link_label}: {msg.link}" if msg.link else ""
    mail.set_content(f"{msg.text}{link}\n")
    return mail

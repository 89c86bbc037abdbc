"""Where messages go: HTTP webhooks (generic, Slack, Teams) and SMTP, with their secrets read.

``channels(spec)`` reads every secret of a ``notify`` section once (a missing one is an error
naming the setting) and returns the ready channels. ``send`` delivers one message and returns
the status it got (``HTTP 200``, ``SMTP 250``), or raises ``DeliveryError`` saying whether a
retry may help: network errors, timeouts, HTTP 408, 429 and 5xx, SMTP 4xx are retried; other
answers (a 404, a refused login, a server certificate that does not verify) are not.
"""

from __future__ import annotations

import smtplib
import ssl
import time
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Protocol

import httpx

from kubecurrent.notify._messages import (
    Message,
    email_message,
    slack_payload,
    teams_payload,
    webhook_body,
)
from kubecurrent.notify._secrets import Redactor, read_secret, read_url
from kubecurrent.notify._signing import SIGNATURE_HEADER, sign
from kubecurrent.rollout import (
    EmailChannel,
    Event,
    EventKind,
    Notify,
    SlackChannel,
    TeamsChannel,
)

__all__ = [
    "Channel",
    "ChannelKind",
    "DeliveryError",
    "HttpChannel",
    "SmtpChannel",
    "channels",
]

TIMEOUT = 10.0
"""Seconds one delivery attempt may take."""
EVENT_HEADER = "X-Kubecurrent-Event"
DELIVERY_HEADER = "X-Kubecurrent-Delivery"


class ChannelKind(StrEnum):
    WEBHOOK = "webhook"
    SLACK = "slack"
    TEAMS = "teams"
    EMAIL = "email"


class DeliveryError(Exception):
    def __init__(self, status: str, *, retry: bool) -> None:
        super().__init__(status)
        self.status, self.retry = status, retry


class Channel(Protocol):
    kind: ChannelKind
    name: str
    events: frozenset[EventKind]

    def send(self, event: Event, msg: Message, delivery: str, client: httpx.Client) -> str: ...


@dataclass(frozen=True)
class HttpChannel:
    kind: ChannelKind
    name: str
    events: frozenset[EventKind]
    url: str
    secret: str | None = None

    def request(self, event: Event, msg: Message, delivery: str) -> tuple[bytes, dict[str, str]]:
        """The body and headers of one attempt (signed now, when there is a secret)."""
        headers = {"Content-Type": "application/json", "User-Agent": "kubecurrent"}
        if self.kind is ChannelKind.WEBHOOK:
            body = webhook_body(event, msg, delivery)
            headers |= {EVENT_HEADER: event.kind.value, DELIVERY_HEADER: delivery}
            if self.secret is not None:
                headers[SIGNATURE_HEADER] = sign(self.secret, body, int(time.time()))
        else:
            payload = slack_payload(msg) if self.kind is ChannelKind.SLACK else teams_payload(msg)
            body = httpx.Request("POST", self.url, json=payload).read()
        return body, headers

    def send(self, event: Event, msg: Message, delivery: str, client: httpx.Client) -> str:
        body, headers = self.request(event, msg, delivery)
        try:
            answer = client.post(self.url, content=body, headers=headers)
        except httpx.TimeoutException:
            raise DeliveryError("timed out", retry=True) from None
        except httpx.TransportError as exc:
            raise DeliveryError(f"cannot connect ({type(exc).__name__})", retry=True) from None
        status = f"HTTP {answer.status_code}"
        if answer.is_success:
            return status
        code = answer.status_code
        raise DeliveryError(status, retry=code in (408, 429) or code >= 500)


@dataclass(frozen=True)
class SmtpChannel:
    name: str
    events: frozenset[EventKind]
    spec: EmailChannel
    password: str | None = None
    kind: ChannelKind = ChannelKind.EMAIL

    def tls(self) -> ssl.SSLContext:
        """A verifying context: the system's CAs, or the channel's ``ca`` bundle."""
        ca = str(Path(self.spec.ca).expanduser()) if self.spec.ca else None
        return ssl.create_default_context(cafile=ca)

    def send(self, event: Event, msg: Message, delivery: str, client: httpx.Client) -> str:
        mail = email_message(event, msg, self.spec.sender, self.spec.to)
        try:
            with smtplib.SMTP(self.spec.host, self.spec.smtp_port, timeout=TIMEOUT) as smtp:
                if self.spec.starttls:
                    smtp.starttls(context=self.tls())
                if self.spec.username is not None and self.password is not None:
                    smtp.login(self.spec.username, self.password)
                refused = smtp.send_message(mail)
        except smtplib.SMTPResponseException as exc:
            raise DeliveryError(f"SMTP {exc.smtp_code}", retry=400 <= exc.smtp_code < 500) from None
        except smtplib.SMTPRecipientsRefused:
            raise DeliveryError("SMTP every recipient refused", retry=False) from None
        except ssl.SSLCertVerificationError:
            raise DeliveryError("SMTP SSLCertVerificationError", retry=False) from None
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryError(f"SMTP {type(exc).__name__}", retry=True) from None
        if refused:
            return f"SMTP 250 (refused: {', '.join(sorted(refused))})"
        return "SMTP 250"


def channels(spec: Notify, redactor: Redactor) -> tuple[HttpChannel | SmtpChannel, ...]:
    """Every channel of ``spec`` with its secrets read (``UsageError`` naming the setting)."""
    found: list[HttpChannel | SmtpChannel] = []
    for i, hook in enumerate(spec.webhooks):
        where = f"notify.webhooks[{i}]"
        found.append(
            HttpChannel(
                ChannelKind.WEBHOOK,
                hook.name or f"#{i + 1}",
                frozenset(hook.events),
                read_url(hook.url, f"{where}.url", redactor),
                read_secret(hook.secret, f"{where}.secret", redactor) if hook.secret else None,
            )
        )
    found += _chats(ChannelKind.SLACK, spec.slack, redactor)
    found += _chats(ChannelKind.TEAMS, spec.teams, redactor)
    for i, mail in enumerate(spec.email):
        password = (
            read_secret(mail.password, f"notify.email[{i}].password", redactor)
            if mail.password
            else None
        )
        found.append(SmtpChannel(mail.name or f"#{i + 1}", frozenset(mail.events), mail, password))
    return tuple(found)


def _chats(
    kind: ChannelKind, hooks: Sequence[SlackChannel | TeamsChannel], redactor: Redactor
) -> list[HttpChannel]:
    """Slack or Teams channels: the URL is the credential, so it is always read from the
    environment or a file."""
    return [
        HttpChannel(
            kind,
            chat.name or f"#{i + 1}",
            frozenset(chat.events),
            read_url(chat.url, f"notify.{kind.value}[{i}].url", redactor),
        )
        for i, chat in enumerate(hooks)
    ]

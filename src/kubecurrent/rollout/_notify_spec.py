"""The strategy's ``notify`` section: who hears about the rollout, and how.

It lives in the strategy file, so it is recorded with the rollout and every process that drives
it (``kubecurrent rollout``, the dashboard, a resume after a restart) tells the same people.
No secret is ever written in it: webhook URLs of Slack and Teams (the URL is the credential),
HMAC keys and SMTP passwords are named as ``{env: NAME}`` or ``{file: PATH}`` and read when the
rollout is driven (``kubecurrent.notify``)::

    notify:
      dashboard: https://kubecurrent.example.com   # links in messages (approve page, report)
      events: [started, approval, failed, halted, done]   # the default: all of them
      retry: {attempts: 5, delay: 2s, maxDelay: 5m}
      webhooks:
      - name: ops-bus
        url: https://hooks.example.com/kubecurrent       # or {env: …} / {file: …}
        secret: {env: KUBECURRENT_WEBHOOK_SECRET}        # HMAC-SHA256 key
      slack:
      - {name: platform, url: {env: SLACK_WEBHOOK_URL}}
      teams:
      - {name: cab, url: {file: /etc/kubecurrent/teams-url}, events: [approval, done]}
      email:
      - host: smtp.example.com
        port: 587
        starttls: true
        from: kubecurrent@example.com
        to: [change-board@example.com]
        username: kubecurrent
        password: {env: SMTP_PASSWORD}
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from kubecurrent.rollout._duration import Duration
from kubecurrent.rollout._events import EventKind

__all__ = [
    "EmailChannel",
    "Notify",
    "Retry",
    "SecretSource",
    "SlackChannel",
    "TeamsChannel",
    "WebhookChannel",
    "check_http_url",
]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def check_http_url(value: str) -> str:
    """``value`` when it is an http(s) URL with a host; a ``ValueError`` that never repeats
    the URL (it may hold a token) otherwise."""
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        scheme = f"{parts.scheme}://" if parts.scheme else "no scheme"
        raise ValueError(
            f"only http:// and https:// URLs with a host are accepted (this one has {scheme})"
        )
    return value.strip()


class SecretSource(_Model):
    """Where a secret is read when the rollout is driven: an environment variable or a file
    (its content, surrounding whitespace removed). Exactly one."""

    env: str | None = Field(None, min_length=1, max_length=128)
    file: str | None = Field(None, min_length=1, max_length=256)

    @model_validator(mode="after")
    def _one(self) -> SecretSource:
        if (self.env is None) == (self.file is None):
            raise ValueError("give exactly one of env: NAME or file: PATH")
        return self

    def describe(self) -> str:
        return f"environment variable {self.env}" if self.env else f"file {self.file}"


def _no_literal(value: object) -> object:
    if isinstance(value, str):
        raise ValueError(
            "do not write a secret in the strategy file (it is stored with the rollout): "
            "name it as {env: NAME} or {file: PATH}"
        )
    return value


class _Channel(_Model):
    name: str = ""
    """Shown after the kind in the audit trail (``slack platform``); default: the position
    among channels of its kind (``slack #1``)."""
    events: tuple[EventKind, ...] = tuple(EventKind)
    """The events this channel receives (default: all)."""


class WebhookChannel(_Channel):
    """A generic webhook: the event as JSON, signed with HMAC-SHA256 when ``secret`` is set."""

    url: str | SecretSource
    secret: SecretSource | None = None

    @field_validator("url")
    @classmethod
    def _url(cls, value: str | SecretSource) -> str | SecretSource:
        return check_http_url(value) if isinstance(value, str) else value

    @field_validator("secret", mode="before")
    @classmethod
    def _secret(cls, value: object) -> object:
        return _no_literal(value)


class SlackChannel(_Channel):
    """A Slack incoming webhook (or a compatible one that takes Slack's ``text``)."""

    url: SecretSource

    @field_validator("url", mode="before")
    @classmethod
    def _url(cls, value: object) -> object:
        return _no_literal(value)


class TeamsChannel(_Channel):
    """A Microsoft Teams incoming webhook (an Adaptive Card message)."""

    url: SecretSource

    @field_validator("url", mode="before")
    @classmethod
    def _url(cls, value: object) -> object:
        return _no_literal(value)


class EmailChannel(_Channel):
    """Mail through an SMTP server; a password is only ever sent after STARTTLS, or to a
    server on this machine (loopback)."""

    host: str = Field(min_length=1)
    port: int | None = Field(None, ge=1, le=65535)
    """Default: 587 with STARTTLS, 25 without."""
    starttls: bool = True
    sender: str = Field(alias="from", min_length=3)
    to: tuple[str, ...] = Field(min_length=1)
    username: str | None = None
    password: SecretSource | None = None
    ca: str | None = None
    """Absolute path of a PEM CA bundle to verify the server's STARTTLS certificate with
    (default: the system's CAs)."""

    @field_validator("ca")
    @classmethod
    def _ca(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("/", "~")):
            raise ValueError(f"{value!r}: give the CA bundle's absolute path")
        return value

    @field_validator("password", mode="before")
    @classmethod
    def _password(cls, value: object) -> object:
        return _no_literal(value)

    @field_validator("sender")
    @classmethod
    def _sender(cls, value: str) -> str:
        return _address(value)

    @field_validator("to")
    @classmethod
    def _to(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(_address(v) for v in value)

    @model_validator(mode="after")
    def _login(self) -> EmailChannel:
        if (self.username is None) != (self.password is None):
            raise ValueError("give both username and password, or neither")
        if self.password is not None and not self.starttls and not _loopback(self.host):
            raise ValueError(
                f"starttls: false would send the password to {self.host} in clear text; "
                "set starttls: true (or use a relay on this machine)"
            )
        return self

    @property
    def smtp_port(self) -> int:
        return self.port or (587 if self.starttls else 25)


def _address(value: str) -> str:
    text = value.strip()
    if "@" not in text or any(c in text for c in "\r\n,;<>"):
        raise ValueError(f"{value!r} is not one mail address (user@domain)")
    return text


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class Retry(_Model):
    """How failed deliveries are retried: ``attempts`` in all, waiting ``delay``, then twice
    as long each time, never more than ``maxDelay``."""

    attempts: int = Field(5, ge=1, le=20)
    delay: Duration = dt.timedelta(seconds=2)
    max_delay: Duration = Field(dt.timedelta(minutes=5), alias="maxDelay")

    def schedule(self) -> tuple[float, ...]:
        """Seconds to wait before each retry (``attempts - 1`` of them)."""
        first, cap = self.delay.total_seconds(), self.max_delay.total_seconds()
        return tuple(min(first * 2**n, cap) for n in range(self.attempts - 1))


class Notify(_Model):
    dashboard: str | None = None
    """The dashboard's base URL, for the links in messages (approve page, change record);
    without it messages name the command to run instead."""
    events: tuple[EventKind, ...] = tuple(EventKind)
    retry: Retry = Field(default_factory=Retry)
    webhooks: tuple[WebhookChannel, ...] = ()
    slack: tuple[SlackChannel, ...] = ()
    teams: tuple[TeamsChannel, ...] = ()
    email: tuple[EmailChannel, ...] = ()

    @field_validator("dashboard")
    @classmethod
    def _dashboard(cls, value: str | None) -> str | None:
        return check_http_url(value).rstrip("/") if value is not None else None

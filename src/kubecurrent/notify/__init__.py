"""Notifications: tell people about a rollout where they work (webhook, Slack, Teams, email).

The engine emits ``kubecurrent.rollout.Event`` records to an ``EventSink``; this package is the
sink. Map:

- ``_secrets``: ``read_secret``/``read_url`` (environment or file) and the ``Redactor`` that keeps
  every secret out of records and logs;
- ``_messages``: each event in words (``message``, with the approve-page or change-record link)
  and the payload of each channel kind (``webhook_body``, ``slack_payload``, ``teams_payload``,
  ``email_message``);
- ``_signing``: ``sign``/``verify``, the generic webhook's HMAC-SHA256 signature;
- ``_channels``: ``channels(spec)``, the HTTP and SMTP channels with their secrets read;
- ``_dispatch``: ``check(spec)`` (read the secrets before a rollout is recorded) and
  ``Dispatcher``, the worker thread that delivers with retries and backoff and
  audits every attempt.
"""

from kubecurrent.notify._channels import (
    ChannelKind,
    DeliveryError,
    HttpChannel,
    SmtpChannel,
    channels,
)
from kubecurrent.notify._dispatch import Dispatcher, Job, check
from kubecurrent.notify._messages import (
    Message,
    approve_path,
    email_message,
    message,
    slack_payload,
    teams_payload,
    webhook_body,
)
from kubecurrent.notify._secrets import Redactor, read_secret, read_url
from kubecurrent.notify._signing import SIGNATURE_HEADER, sign, verify

__all__ = [
    "SIGNATURE_HEADER",
    "ChannelKind",
    "DeliveryError",
    "Dispatcher",
    "HttpChannel",
    "Job",
    "Message",
    "Redactor",
    "SmtpChannel",
    "approve_path",
    "channels",
    "check",
    "email_message",
    "message",
    "read_secret",
    "read_url",
    "sign",
    "slack_payload",
    "teams_payload",
    "verify",
    "webhook_body",
]

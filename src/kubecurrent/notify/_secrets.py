"""Reading the secrets a ``notify`` section names, and keeping them out of every record.

A secret is read from an environment variable or a file when the rollout is driven; a missing
one is a ``UsageError`` naming the setting and where it was looked for, never the value. Every
value read is remembered by a ``Redactor``, which replaces it (and, for a URL, its path and
query, where webhook tokens live) with ``***`` in any text bound for the audit log or a log line.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from kubecurrent.errors import UsageError
from kubecurrent.rollout import SecretSource, check_http_url

__all__ = ["Redactor", "read_secret", "read_url"]

MASK = "***"


@dataclass
class Redactor:
    """Every secret read so far; ``redact`` hides them in text."""

    secrets: set[str] = field(default_factory=set)

    def keep(self, value: str) -> str:
        if len(value) >= 4:
            self.secrets.add(value)
        return value

    def keep_url(self, url: str) -> str:
        parts = urlsplit(url)
        self.keep(url)
        for part in (parts.path, parts.query, parts.path + "?" + parts.query):
            if part.strip("/?"):
                self.keep(part)
        return url

    def redact(self, text: str) -> str:
        for secret in sorted(self.secrets, key=len, reverse=True):
            text = text.replace(secret, MASK)
        return text


def read_secret(source: SecretSource, setting: str, redactor: Redactor) -> str:
    """The secret ``source`` names; ``setting`` (e.g. ``notify.email[0].password``) is what an
    error names."""
    if source.env is not None:
        value = os.environ.get(source.env, "").strip()
        if not value:
            raise UsageError(
                f"{setting}: environment variable {source.env} is not set or empty",
                hint=f"export {source.env} in the environment of the process that drives the "
                "rollout (kubecurrent rollout, or kubecurrent serve)",
            )
        return redactor.keep(value)
    assert source.file is not None
    path = Path(source.file).expanduser()
    try:
        value = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        why = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise UsageError(
            f"{setting}: cannot read the file {path}: {why}",
            hint="give a readable file holding only the secret",
        ) from None
    if not value:
        raise UsageError(f"{setting}: the file {path} is empty", hint="write the secret in it")
    return redactor.keep(value)


def read_url(source: str | SecretSource, setting: str, redactor: Redactor) -> str:
    """A webhook URL, written in the strategy or read from the environment or a file; only
    http(s) is accepted, and an error never shows the URL."""
    if isinstance(source, str):
        return redactor.keep_url(source)
    value = read_secret(source, setting, redactor)
    try:
        check_http_url(value)
    except ValueError as exc:
        raise UsageError(
            f"{setting}: the URL in {source.describe()} is refused: {exc}",
            hint="give the webhook's https:// URL",
        ) from None
    return redactor.keep_url(value)

"""Signed session cookies with an expiry, a per-session CSRF token, and logout.

A cookie value is ``base64url(json payload) "." base64url(HMAC-SHA256(key, payload))``. The
payload names the user, role, authenticator, a random session id, the CSRF token and the expiry
(Unix seconds); for single sign-on also the subject, email, mapped groups and cluster scope. Nothing secret is in it; it is signed, not encrypted. Logging out revokes the
session id in memory (a restart with a random key ends every session anyway).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kubecurrent.web._auth import ClusterScope, Role, User

SESSION_COOKIE = "kc_session"
LOGIN_COOKIE = "kc_login"
"""Holds the login form's CSRF token before anybody is logged in."""
DEFAULT_TTL = 8 * 3600
LOGIN_TTL = 15 * 60


@dataclass(frozen=True)
class Session:
    user: User
    sid: str
    csrf: str
    expires: int


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Signer:
    """Signs and checks short strings with one key (HMAC-SHA256, constant-time check)."""

    def __init__(self, key: bytes) -> None:
        if len(key) < 32:
            raise ValueError("the session key must be at least 32 bytes")
        self._key = key

    def sign(self, payload: bytes) -> str:
        mac = hmac.new(self._key, payload, hashlib.sha256).digest()
        return f"{_b64(payload)}.{_b64(mac)}"

    def unsign(self, value: str) -> bytes | None:
        body, dot, mac = value.partition(".")
        if not dot:
            return None
        try:
            payload, given = _unb64(body), _unb64(mac)
        except ValueError:
            return None
        expected = hmac.new(self._key, payload, hashlib.sha256).digest()
        return payload if hmac.compare_digest(given, expected) else None


def _user(d: dict[str, Any]) -> User:
    """The user in a (signed, so trusted) session payload."""
    ident = d.get("i")
    if not isinstance(ident, dict):
        return User(d["u"], Role(d["r"]), d["v"])
    scope = ident["scope"]
    return User(
        d["u"],
        Role(d["r"]),
        d["v"],
        subject=str(ident["sub"]),
        email=str(ident["email"]),
        groups=tuple(map(str, ident["groups"])),
        scope=ClusterScope(
            None if scope is None else tuple(tuple(sorted(s.items())) for s in scope)
        ),
    )


class Sessions:
    """Issues, reads and revokes sessions; ``clock`` returns Unix seconds (tests move it)."""

    def __init__(
        self, key: bytes, ttl: int = DEFAULT_TTL, clock: Callable[[], float] = time.time
    ) -> None:
        self.signer, self.ttl, self.clock = Signer(key), ttl, clock
        self._revoked: set[str] = set()

    def issue(self, user: User) -> tuple[Session, str]:
        session = Session(
            user=user,
            sid=secrets.token_urlsafe(16),
            csrf=secrets.token_urlsafe(32),
            expires=int(self.clock()) + self.ttl,
        )
        payload: dict[str, object] = {
            "u": user.name,
            "r": user.role.value,
            "v": user.via,
            "s": session.sid,
            "c": session.csrf,
            "e": session.expires,
        }
        if user.subject:  # single sign-on: the rest of the identity
            payload["i"] = {
                "sub": user.subject,
                "email": user.email,
                "groups": list(user.groups),
                "scope": None
                if user.scope.selectors is None
                else [dict(s) for s in user.scope.selectors],
            }
        return session, self.signer.sign(json.dumps(payload, separators=(",", ":")).encode())

    def read(self, cookie: str | None) -> Session | None:
        """The session in ``cookie``; None when missing, forged, expired or logged out."""
        payload = self.signer.unsign(cookie) if cookie else None
        if payload is None:
            return None
        try:
            d = json.loads(payload)
            session = Session(_user(d), d["s"], d["c"], int(d["e"]))
        except (ValueError, KeyError, TypeError):
            return None
        if session.expires <= self.clock() or session.sid in self._revoked:
            return None
        return session

    def revoke(self, session: Session) -> None:
        self._revoked.add(session.sid)

    def login_token(self) -> tuple[str, str]:
        """A fresh (token, cookie) pair for the login form's double-submit CSRF check."""
        token = secrets.token_urlsafe(32)
        expires = int(self.clock()) + LOGIN_TTL
        return token, self.signer.sign(f"{token}|{expires}".encode())

    def check_login_token(self, cookie: str | None, submitted: str) -> bool:
        payload = self.signer.unsign(cookie) if cookie else None
        if payload is None:
            return False
        token, _, expires = payload.decode(errors="replace").partition("|")
        fresh = expires.isdigit() and int(expires) > self.clock()
        return fresh and hmac.compare_digest(token.encode(), submitted.encode())

"""The generic webhook's signature: HMAC-SHA256 over the timestamp and the exact body.

Header (``SIGNATURE_HEADER``)::

    X-Kubecurrent-Signature: t=1767225600,v1=5f2b…(64 hex digits)

where ``v1 = hex(HMAC-SHA256(secret, f"{t}." + body))`` with ``t`` the Unix time of the attempt
and ``body`` the request body's bytes. A receiver recomputes it over the body it got, compares in
constant time, and refuses a ``t`` too far from its clock (``verify`` allows 5 minutes), so a
captured request cannot be replayed later. Each attempt is signed afresh.
"""

from __future__ import annotations

import hashlib
import hmac

__all__ = ["SIGNATURE_HEADER", "TOLERANCE", "sign", "verify"]

SIGNATURE_HEADER = "X-Kubecurrent-Signature"
TOLERANCE = 300.0
"""Seconds a signature's timestamp may differ from the receiver's clock."""


def _mac(secret: str, timestamp: int, body: bytes) -> str:
    message = f"{timestamp}.".encode() + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def sign(secret: str, body: bytes, timestamp: int) -> str:
    """The signature header's value for ``body`` sent at ``timestamp`` (Unix seconds)."""
    return f"t={timestamp},v1={_mac(secret, timestamp, body)}"


def verify(secret: str, header: str, body: bytes, now: float, tolerance: float = TOLERANCE) -> bool:
    """Whether ``header`` signs ``body`` with ``secret`` at a time within ``tolerance`` of
    ``now``."""
    fields = dict(part.partition("=")[::2] for part in header.split(","))
    try:
        timestamp = int(fields.get("t", ""))
    except ValueError:
        return False
    given = fields.get("v1", "")
    if abs(now - timestamp) > tolerance or not given:
        return False
    return hmac.compare_digest(given, _mac(secret, timestamp, body))

"""Checking the provider's ID tokens (OpenID Connect Core 1.0, section 3.1.3.7).

``IdTokens.check(token, nonce)`` accepts a token only when all of these hold, else raises
``TokenRefused`` with a ``Refusal`` reason:

- its header names an asymmetric algorithm the provider announces (RS*, PS*, ES*, EdDSA):
  ``alg: none`` and HS* (a shared-secret MAC that could be keyed with the public key) are refused
  before any key is looked at;
- its signature verifies with the key of its ``kid`` in the provider's JWKS. An unknown ``kid``
  (the provider rotated its keys) refetches the JWKS once, at most every ``refresh_seconds``;
- ``iss`` is the configured issuer, ``aud`` holds the client id (and ``azp`` is the client id
  when there are several audiences), ``exp`` is in the future and ``iat`` not in the future,
  both with ``skew`` seconds of leeway; ``nonce`` equals the one sent (callback tokens).

JOSE work is done by joserfc (the JOSE library of the authlib project); the JWKS is fetched with
``fetch`` (an HTTP GET returning JSON), so tests hand in keys without a network.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from joserfc import jws, jwt
from joserfc.errors import (
    BadSignatureError,
    ExpiredTokenError,
    InvalidClaimError,
    JoseError,
    MissingClaimError,
)
from joserfc.jwk import KeySet

ASYMMETRIC = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)


class Refusal(StrEnum):
    """Why an ID token was refused (written to the audit log)."""

    MALFORMED = "malformed"
    ALGORITHM = "algorithm"
    UNKNOWN_KEY = "unknown-key"
    SIGNATURE = "signature"
    ISSUER = "issuer"
    AUDIENCE = "audience"
    EXPIRED = "expired"
    NOT_YET_VALID = "not-yet-valid"
    NONCE = "nonce"


class TokenRefused(Exception):
    def __init__(self, reason: Refusal, detail: str) -> None:
        super().__init__(f"{reason.value}: {detail}")
        self.reason, self.detail = reason, detail


@dataclass(frozen=True)
class Claims:
    """The claims the dashboard uses from a checked token."""

    issuer: str
    subject: str
    email: str
    values: tuple[str, ...]
    """The role claim's values (a list of strings, or one string)."""


class IdTokens:
    """Checks ID tokens of one provider and client; safe to share between threads."""

    def __init__(
        self,
        issuer: str,
        client_id: str,
        jwks_uri: str,
        fetch: Callable[[str], Any],
        *,
        algorithms: frozenset[str] = ASYMMETRIC,
        roles_claim: str = "groups",
        skew: int = 60,
        refresh_seconds: float = 30.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.issuer, self.client_id, self.jwks_uri = issuer, client_id, jwks_uri
        self.algorithms = algorithms & ASYMMETRIC
        self.roles_claim, self.skew, self.refresh_seconds = roles_claim, skew, refresh_seconds
        self._fetch, self._clock = fetch, clock
        self._lock = threading.Lock()
        self._keys: KeySet = KeySet([])
        self._fetched_at: float | None = None
        self.fetches = 0

    def load_keys(self) -> int:
        """Fetch the JWKS now; the number of keys (an error propagates: used at start)."""
        with self._lock:
            self._load()
            return len(self._keys.keys)

    def _load(self) -> None:
        self._fetched_at = self._clock()
        self.fetches += 1
        self._keys = KeySet.import_key_set(self._fetch(self.jwks_uri))

    def _key_for(self, kid: str | None) -> KeySet:
        """The key set, refetched first when ``kid`` is unknown and the last fetch is old."""
        with self._lock:
            known = any(k.kid == kid for k in self._keys.keys) if kid else bool(self._keys.keys)
            due = self._fetched_at is None or (
                self._clock() - self._fetched_at >= self.refresh_seconds
            )
            if not known and due:
                self._load()
                known = any(k.kid == kid for k in self._keys.keys) if kid else True
            if not known:
                raise TokenRefused(
                    Refusal.UNKNOWN_KEY,
                    f"no key {kid!r} in the provider's JWKS ({self.jwks_uri})",
                )
            return self._keys

    def check(self, token: str, nonce: str | None = None) -> Claims:
        """The claims of ``token`` if it is valid (see the module docstring)."""
        try:
            header = jws.extract_compact(token.encode()).protected
        except (JoseError, ValueError, UnicodeError) as exc:
            raise TokenRefused(Refusal.MALFORMED, f"not a signed JWT ({exc})") from None
        alg = header.get("alg")
        if alg not in self.algorithms:
            raise TokenRefused(
                Refusal.ALGORITHM,
                f"alg {alg!r} is not one of {', '.join(sorted(self.algorithms))}",
            )
        keys = self._key_for(header.get("kid"))
        try:
            decoded = jwt.decode(token, keys, algorithms=[alg])
        except BadSignatureError:
            raise TokenRefused(Refusal.SIGNATURE, "the signature does not verify") from None
        except (JoseError, ValueError) as exc:
            raise TokenRefused(Refusal.SIGNATURE, f"cannot verify: {exc}") from None
        return self._claims(decoded.claims, nonce)

    def _claims(self, claims: dict[str, Any], nonce: str | None) -> Claims:
        options: dict[str, Any] = {
            "iss": {"essential": True, "value": self.issuer},
            "sub": {"essential": True},
            "aud": {"essential": True, "value": self.client_id},
            "exp": {"essential": True},
            "iat": {"essential": True},
        }
        if nonce is not None:
            options["nonce"] = {"essential": True, "value": nonce}
        registry = jwt.JWTClaimsRegistry(
            now=lambda: int(self._clock()), leeway=self.skew, **options
        )
        try:
            registry.validate(claims)
        except ExpiredTokenError:
            raise TokenRefused(Refusal.EXPIRED, f"expired at {claims.get('exp')}") from None
        except (InvalidClaimError, MissingClaimError) as exc:
            raise TokenRefused(_reason(exc.claim), str(exc)) from None
        except JoseError as exc:  # nbf/iat in the future
            raise TokenRefused(Refusal.NOT_YET_VALID, str(exc)) from None
        if float(claims["iat"]) > self._clock() + self.skew:
            raise TokenRefused(Refusal.NOT_YET_VALID, "issued in the future (iat)")
        aud = claims["aud"]
        if isinstance(aud, list) and len(aud) > 1 and claims.get("azp") != self.client_id:
            raise TokenRefused(Refusal.AUDIENCE, "several audiences and azp is not this client")
        raw = claims.get(self.roles_claim, ())
        values = (raw,) if isinstance(raw, str) else tuple(v for v in raw if isinstance(v, str))
        return Claims(
            issuer=str(claims["iss"]),
            subject=str(claims["sub"]),
            email=str(claims.get("email", "")),
            values=values,
        )


def _reason(claim: str) -> Refusal:
    return {
        "iss": Refusal.ISSUER,
        "aud": Refusal.AUDIENCE,
        "azp": Refusal.AUDIENCE,
        "exp": Refusal.EXPIRED,
        "nonce": Refusal.NONCE,
        "nbf": Refusal.NOT_YET_VALID,
        "iat": Refusal.NOT_YET_VALID,
    }.get(claim, Refusal.MALFORMED)

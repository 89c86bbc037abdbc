"""ID-token checks with keys made here (joserfc), a JWKS served from memory and a moved clock."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey

from kubecurrent.web import IdTokens, Refusal, TokenRefused

ISSUER = "https://idp.example.test/"
CLIENT = "kubecurrent"
NOW = 1_800_000_000


class Jwks:
    """The provider's key set, in memory; counts the fetches."""

    def __init__(self, *keys: RSAKey) -> None:
        self.keys = list(keys)
        self.fetched = 0

    def __call__(self, url: str) -> dict[str, Any]:
        assert url == "https://idp.example.test/jwks"
        self.fetched += 1
        return {"keys": [k.as_dict(private=False) for k in self.keys]}


class Clock:
    def __init__(self) -> None:
        self.now = float(NOW)

    def __call__(self) -> float:
        return self.now


def rsa(kid: str) -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": kid, "use": "sig"})


KEY_A = rsa("a")
KEY_B = rsa("b")


def claims(**changes: Any) -> dict[str, Any]:
    base = {
        "iss": ISSUER,
        "sub": "olga",
        "aud": [CLIENT],
        "iat": NOW - 5,
        "exp": NOW + 300,
        "nonce": "n-1",
        "email": "olga@example.test",
        "groups": ["platform-admins", "engineering"],
    }
    base.update(changes)
    return {k: v for k, v in base.items() if v is not None}


def sign(key: RSAKey, **changes: Any) -> str:
    return jwt.encode({"alg": "RS256", "kid": key.kid}, claims(**changes), key)


def checker(jwks: Jwks, clock: Clock, **kw: Any) -> IdTokens:
    tokens = IdTokens(
        ISSUER, CLIENT, "https://idp.example.test/jwks", jwks, clock=clock, skew=60, **kw
    )
    tokens.load_keys()
    return tokens


def b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def refusal(tokens: IdTokens, token: str, nonce: str | None = "n-1") -> Refusal:
    with pytest.raises(TokenRefused) as caught:
        tokens.check(token, nonce)
    return caught.value.reason


class TestAcceptance:
    def test_a_valid_token_gives_subject_email_and_groups(self) -> None:
        found = checker(Jwks(KEY_A), Clock()).check(sign(KEY_A), "n-1")
        assert (found.subject, found.email) == ("olga", "olga@example.test")
        assert found.values == ("platform-admins", "engineering")

    def test_the_roles_claim_is_configurable_and_may_be_one_string(self) -> None:
        tokens = checker(Jwks(KEY_A), Clock(), roles_claim="team")
        assert tokens.check(sign(KEY_A, team="sre"), "n-1").values == ("sre",)

    def test_expiry_within_the_clock_skew_is_accepted_and_beyond_is_refused(self) -> None:
        clock = Clock()
        tokens = checker(Jwks(KEY_A), clock)
        token = sign(KEY_A, exp=NOW - 30)
        assert tokens.check(token, "n-1").subject == "olga"
        clock.now = NOW + 31
        assert refusal(tokens, token) is Refusal.EXPIRED


class TestRefusals:
    def test_alg_none_is_refused_before_any_key(self) -> None:
        token = f"{b64({'alg': 'none', 'kid': 'a'})}.{b64(claims())}."
        jwks = Jwks(KEY_A)
        tokens = checker(jwks, Clock())
        assert refusal(tokens, token) is Refusal.ALGORITHM
        assert jwks.fetched == 1

    def test_hs256_keyed_with_the_public_key_is_refused(self) -> None:
        # forged by hand: joserfc itself refuses to make an HMAC key of a public key
        signing_input = f"{b64({'alg': 'HS256', 'kid': 'a'})}.{b64(claims())}"
        mac = hmac.new(KEY_A.as_pem(private=False), signing_input.encode(), hashlib.sha256)
        token = f"{signing_input}.{base64.urlsafe_b64encode(mac.digest()).decode().rstrip('=')}"
        assert refusal(checker(Jwks(KEY_A), Clock()), token) is Refusal.ALGORITHM

    def test_a_tampered_payload_fails_the_signature(self) -> None:
        head, _, sig = sign(KEY_A).split(".")
        forged = f"{head}.{b64(claims(groups=['platform-admins', 'root']))}.{sig}"
        assert refusal(checker(Jwks(KEY_A), Clock()), forged) is Refusal.SIGNATURE

    def test_a_token_signed_by_another_key_with_a_known_kid_fails_the_signature(self) -> None:
        impostor = rsa("a")
        assert refusal(checker(Jwks(KEY_A), Clock()), sign(impostor)) is Refusal.SIGNATURE

    @pytest.mark.parametrize(
        ("changes", "reason"),
        [
            ({"iss": "https://evil.example.test/"}, Refusal.ISSUER),
            ({"aud": ["another-client"]}, Refusal.AUDIENCE),
            ({"aud": [CLIENT, "another-client"], "azp": "another-client"}, Refusal.AUDIENCE),
            ({"exp": NOW - 61}, Refusal.EXPIRED),
            ({"exp": None}, Refusal.EXPIRED),
            ({"iat": NOW + 3600}, Refusal.NOT_YET_VALID),
            ({"nonce": "n-2"}, Refusal.NONCE),
            ({"nonce": None}, Refusal.NONCE),
        ],
        ids=["issuer", "audience", "azp", "expired", "no-exp", "future", "nonce", "no-nonce"],
    )
    def test_claims_that_do_not_fit_are_named(
        self, changes: dict[str, Any], reason: Refusal
    ) -> None:
        assert refusal(checker(Jwks(KEY_A), Clock()), sign(KEY_A, **changes)) is reason

    def test_garbage_is_malformed(self) -> None:
        assert refusal(checker(Jwks(KEY_A), Clock()), "a.b.c") is Refusal.MALFORMED


class TestKeyRotation:
    def test_an_unknown_kid_refetches_the_jwks_and_is_accepted(self) -> None:
        jwks, clock = Jwks(KEY_A), Clock()
        tokens = checker(jwks, clock, refresh_seconds=30)
        jwks.keys.append(KEY_B)  # the provider rotates
        clock.now += 31
        assert tokens.check(sign(KEY_B), "n-1").subject == "olga"
        assert jwks.fetched == 2

    def test_refetches_are_rate_limited(self) -> None:
        jwks, clock = Jwks(KEY_A), Clock()
        tokens = checker(jwks, clock, refresh_seconds=30)
        clock.now += 31
        assert refusal(tokens, sign(rsa("nobody"))) is Refusal.UNKNOWN_KEY
        assert jwks.fetched == 2
        jwks.keys.append(KEY_B)
        clock.now += 10  # within the window: no fetch, still unknown
        assert refusal(tokens, sign(KEY_B)) is Refusal.UNKNOWN_KEY
        assert jwks.fetched == 2
        clock.now += 21
        assert tokens.check(sign(KEY_B), "n-1").subject == "olga"
        assert jwks.fetched == 3

    def test_only_asymmetric_algorithms_announced_by_the_provider_count(self) -> None:
        tokens = IdTokens(
            ISSUER, CLIENT, "u", Jwks(KEY_A), algorithms=frozenset({"HS256", "ES256"})
        )
        assert tokens.algorithms == frozenset({"ES256"})

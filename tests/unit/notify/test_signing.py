"""The generic webhook's signature: HMAC-SHA256 over ``{t}.{body}``, checked with a tolerance."""

from __future__ import annotations

import hashlib
import hmac

from kubecurrent.notify import sign, verify

BODY = b'{"event":"approval","rollout":"r-1"}'
T = 1_767_225_600


def test_the_signature_is_hmac_sha256_over_the_timestamp_and_the_body() -> None:
    header = sign("s3cret-key", BODY, T)
    mac = hmac.new(b"s3cret-key", b"1767225600." + BODY, hashlib.sha256).hexdigest()
    assert header == f"t={T},v1={mac}"


def test_a_known_answer_computed_with_openssl() -> None:
    # printf '1767225600.{"event":"approval","rollout":"r-1"}' | openssl dgst -sha256 -hmac key
    expected = "31f398ecd29a078771afac6cf8bde1f398939557edd7cf78a6b57fbd0a7f4a70"
    assert sign("key", BODY, T) == f"t={T},v1={expected}"


def test_verify_accepts_the_signed_body_within_the_tolerance_only() -> None:
    header = sign("k" * 20, BODY, T)
    assert verify("k" * 20, header, BODY, now=T + 299)
    assert not verify("k" * 20, header, BODY, now=T + 301)
    assert not verify("k" * 20, header, BODY, now=T - 301)


def test_verify_refuses_another_body_key_or_a_malformed_header() -> None:
    header = sign("k" * 20, BODY, T)
    assert not verify("k" * 20, header, BODY + b" ", now=T)
    assert not verify("x" * 20, header, BODY, now=T)
    assert not verify("k" * 20, header.replace(f"t={T}", f"t={T + 1}"), BODY, now=T)
    for bad in ("", "t=abc,v1=00", f"t={T}", "v1=" + "0" * 64, "garbage"):
        assert not verify("k" * 20, bad, BODY, now=T)

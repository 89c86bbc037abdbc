"""The EKS token: aws eks get-token's format, the cluster header signed in, renewed before expiry."""

from __future__ import annotations

import datetime as dt
import urllib.parse

import boto3
import pytest

from kubecurrent.collect.eks import TOKEN_PREFIX, EksRef, EksToken, token_of, url_of

REF = EksRef("eu-west-1", "prod")
START = dt.datetime(2026, 12, 6, 10, 0, tzinfo=dt.UTC)


@pytest.fixture
def sts() -> object:
    session = boto3.session.Session(
        aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="secret", region_name="eu-west-1"
    )
    return session.client("sts", region_name="eu-west-1")


def _query(token: str) -> dict[str, str]:
    url = urllib.parse.urlsplit(url_of(token))
    return dict(urllib.parse.parse_qsl(url.query))


def test_token_is_a_presigned_get_caller_identity_with_the_cluster_header(sts: object) -> None:
    token = EksToken(REF, clock=lambda: START, sts=sts)()
    assert token.startswith(TOKEN_PREFIX)
    assert "=" not in token  # base64url without padding, as aws eks get-token writes it
    query = _query(token)
    assert query["Action"] == "GetCallerIdentity"
    assert query["X-Amz-Expires"] == "60"
    assert "x-k8s-aws-id" in query["X-Amz-SignedHeaders"].split(";")
    assert query["X-Amz-Credential"].startswith("AKIDEXAMPLE/")
    assert "/eu-west-1/sts/aws4_request" in query["X-Amz-Credential"]
    assert urllib.parse.urlsplit(url_of(token)).netloc == "sts.eu-west-1.amazonaws.com"


def test_token_is_kept_then_renewed_before_the_fifteen_minutes_run_out(sts: object) -> None:
    now = {"t": START}
    source = EksToken(REF, clock=lambda: now["t"], sts=sts)
    first = source()
    assert source.expires() == START + dt.timedelta(minutes=15)
    now["t"] = START + dt.timedelta(minutes=9)
    assert source() == first
    now["t"] = START + dt.timedelta(minutes=10)
    # botocore signs with the real clock; a new mint is a new token object either way
    renewed = source()
    assert source.expires() == now["t"] + dt.timedelta(minutes=15)
    assert renewed.startswith(TOKEN_PREFIX)


def test_url_round_trips_and_foreign_tokens_are_refused() -> None:
    url = "https://sts.eu-west-1.amazonaws.com/?Action=GetCallerIdentity&X=1"
    assert url_of(token_of(url)) == url
    with pytest.raises(ValueError, match="not an EKS token"):
        url_of("eyJhbGciOi.jwt")

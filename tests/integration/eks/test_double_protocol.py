"""The EKS API test double's protocol, without a sandbox: what boto3 sees for signatures,
throttling and the version tables, and how the EKS token is checked."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import boto3
import botocore.exceptions
import httpx
import pytest

from ._double_auth import AuthError, verify_token
from .double import EksDouble, mint_token

REGION = "eu-west-1"


@pytest.fixture(scope="module")
def double() -> Iterator[EksDouble]:
    started = EksDouble()
    yield started
    started.close()


@pytest.fixture
def eks(double: EksDouble) -> Any:
    return boto3.Session(**double.session_kwargs(REGION)).client(
        "eks", endpoint_url=double.endpoint_url
    )


def _code(exc: pytest.ExceptionInfo[botocore.exceptions.ClientError]) -> tuple[str, int]:
    response = exc.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


class TestSignatures:
    def test_an_unsigned_request_is_refused_with_the_aws_error_header(
        self, double: EksDouble
    ) -> None:
        response = httpx.get(f"{double.endpoint_url}/clusters")
        assert response.status_code == 403
        assert response.headers["x-amzn-ErrorType"].startswith("MissingAuthenticationToken")
        assert response.json()["message"] == "Missing Authentication Token"

    def test_unknown_keys_and_wrong_secrets_are_refused(self, double: EksDouble) -> None:
        def client(key: str, secret: str) -> Any:
            session = boto3.Session(
                aws_access_key_id=key, aws_secret_access_key=secret, region_name=REGION
            )
            return session.client("eks", endpoint_url=double.endpoint_url)

        with pytest.raises(botocore.exceptions.ClientError) as unknown:
            client("AKIAUNKNOWNKEY000000", "x").list_clusters()
        assert _code(unknown) == ("UnrecognizedClientException", 403)
        with pytest.raises(botocore.exceptions.ClientError) as forged:
            client(double.keys.access_key, "not-the-secret").list_clusters()
        assert _code(forged) == ("InvalidSignatureException", 403)
        assert double.requests() == []  # refused requests never reach an operation

    def test_expired_credentials_answer_expired_token(self, eks: Any, double: EksDouble) -> None:
        double.expire_credentials()
        try:
            with pytest.raises(botocore.exceptions.ClientError) as expired:
                eks.list_clusters()
            assert _code(expired) == ("ExpiredTokenException", 403)
        finally:
            double.expire_credentials(False)
        assert eks.list_clusters()["clusters"] == []

    def test_the_environment_variable_endpoint_and_the_region_of_the_signature(
        self, double: EksDouble, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        for key, value in double.env("ap-south-1").items():
            monkeypatch.setenv(key, value)
        assert boto3.client("eks").list_clusters()["clusters"] == []
        with pytest.raises(botocore.exceptions.ClientError) as missing:
            boto3.client("eks").describe_cluster(name="prod")
        assert _code(missing) == ("ResourceNotFoundException", 404)
        assert double.requests()[-1] == ("DescribeCluster", {"name": "prod"})


def test_throttling_is_retried_by_botocore_then_surfaces(eks: Any, double: EksDouble) -> None:
    before = len(double.requests())
    double.throttle_next(2)
    assert eks.list_clusters()["clusters"] == []
    assert [op for op, _ in double.requests()[before:]] == ["ListClusters"] * 3
    double.throttle_next(50)
    with pytest.raises(botocore.exceptions.ClientError) as throttled:
        eks.list_clusters()
    assert _code(throttled) == ("ThrottlingException", 429)
    double.throttle_next(0)


def test_offered_versions_and_addon_versions_per_minor(eks: Any) -> None:
    versions = eks.describe_cluster_versions(includeAll=True)["clusterVersions"]
    assert [v["clusterVersion"] for v in versions] == [f"1.{m}" for m in range(31, 38)]
    assert all(v["endOfStandardSupportDate"] < v["endOfExtendedSupportDate"] for v in versions)
    assert [v["clusterVersion"] for v in versions if v["defaultVersion"]] == ["1.35"]
    proxy = eks.describe_addon_versions(kubernetesVersion="1.36", addonName="kube-proxy")
    [only] = proxy["addons"][0]["addonVersions"]
    assert only["addonVersion"] == "v1.36.3-eksbuild.2"
    assert only["compatibilities"] == [
        {"clusterVersion": "1.36", "platformVersions": ["*"], "defaultVersion": True}
    ]


class TestEksToken:
    """The token checks the double's TokenReview webhook applies (here called directly)."""

    def _session(self, double: EksDouble, secret: str | None = None) -> boto3.Session:
        kwargs = double.session_kwargs(REGION)
        if secret is not None:
            kwargs["aws_secret_access_key"] = secret
        return boto3.Session(**kwargs)

    def test_a_token_made_by_botocore_presigning_names_its_cluster(self, double: EksDouble) -> None:
        token = mint_token(self._session(double), "prod")
        assert token.startswith("k8s-aws-v1.") and "=" not in token
        assert verify_token(double.keys, token, "prod") == double.keys.user_arn
        with pytest.raises(AuthError, match="signature does not match"):
            verify_token(double.keys, token, "staging")

    def test_tampered_forged_and_unsigned_header_tokens_are_refused(
        self, double: EksDouble
    ) -> None:
        token = mint_token(self._session(double), "prod")
        url = base64.urlsafe_b64decode(token.removeprefix("k8s-aws-v1.") + "==").decode()
        parts = urlsplit(url)
        query = dict(parse_qsl(parts.query))

        def retoken(**changes: str) -> str:
            changed = urlunsplit(parts._replace(query=urlencode({**query, **changes})))
            return "k8s-aws-v1." + base64.urlsafe_b64encode(changed.encode()).decode()

        refused = {
            "longer life": retoken(**{"X-Amz-Expires": "900"}),
            "header not signed": retoken(**{"X-Amz-SignedHeaders": "host"}),
            "other action": retoken(Action="GetSessionToken"),
            "forged": mint_token(self._session(double, secret="guessed"), "prod"),
            "no prefix": token.removeprefix("k8s-aws-v1."),
        }
        for what, bad in refused.items():
            with pytest.raises(AuthError):
                verify_token(double.keys, bad, "prod")
                pytest.fail(f"{what} token accepted")

"""Authentication in the EKS double: SigV4 on the EKS API, and the EKS token on the sandboxes.

EKS API requests must carry a Signature Version 4 ``Authorization`` header for service ``eks``
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html).
The double recomputes the signature with botocore's own signer over the headers the client
says it signed, with the secret of the one fake key pair it knows; the region is taken from the
credential scope. Refusals answer like AWS: 403 with ``x-amzn-ErrorType``
``MissingAuthenticationTokenException`` (no header), ``UnrecognizedClientException`` (unknown
access key) or ``InvalidSignatureException`` (signature mismatch, or a request older than 5
minutes).

Kubernetes requests to a sandbox carry the EKS bearer token: ``k8s-aws-v1.`` + base64url of a
presigned STS ``GetCallerIdentity`` URL that signs the header ``x-k8s-aws-id: <cluster>``
(what ``aws eks get-token`` prints; the aws-iam-authenticator README describes the format,
https://github.com/kubernetes-sigs/aws-iam-authenticator#how-does-it-work). The double plays
the authenticator's TokenReview webhook and STS at once: prefix, STS host, Action and Version,
``x-k8s-aws-id`` signed and naming the cluster, X-Amz-Expires present, X-Amz-Date not more
than 15 minutes ago (the authenticator's own window, whatever X-Amz-Expires says: the CLI
presigns for 60 seconds and the token is good for 15 minutes, which is why ``aws eks get-token``
reports an expiration 14 minutes out), and the presigned signature itself.
"""

from __future__ import annotations

import base64
import datetime as dt
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest, HTTPHeaders
from botocore.credentials import Credentials

TOKEN_PREFIX = "k8s-aws-v1."
CLUSTER_ID_HEADER = "x-k8s-aws-id"
_AUTH_RE = re.compile(
    r"^AWS4-HMAC-SHA256 Credential=(?P<key>[^/]+)/(?P<date>\d{8})/(?P<region>[^/]+)/"
    r"(?P<service>[^/]+)/aws4_request, ?SignedHeaders=(?P<signed>[^,]+), ?"
    r"Signature=(?P<sig>[0-9a-f]{64})$"
)
_STS_HOST_RE = re.compile(r"^sts(\.[a-z0-9-]+)?\.amazonaws\.com(\.cn)?$")
_MAX_SKEW = dt.timedelta(minutes=5)
_MAX_TOKEN_AGE = dt.timedelta(minutes=15)


class AuthError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class KeyPair:
    access_key: str
    secret_key: str
    user_arn: str


class _SignedHeadersOnly(SigV4Auth):  # type: ignore[misc]  # botocore has no type stubs
    """botocore's SigV4 signer, restricted to the headers the client listed as signed."""

    def __init__(self, creds: Credentials, service: str, region: str, signed: list[str]):
        super().__init__(creds, service, region)
        self._signed = signed

    def headers_to_sign(self, request: AWSRequest) -> HTTPHeaders:
        signed = HTTPHeaders()
        for name in self._signed:
            signed[name] = request.headers.get(name, "")
        return signed


def _parse_amz_date(value: str) -> dt.datetime:
    return dt.datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.UTC)


def verify_request(
    keys: KeyPair, method: str, url: str, headers: Mapping[str, str], body: bytes
) -> str:
    """Check a SigV4-signed EKS request; returns the region of its credential scope."""
    header = headers.get("Authorization")
    if not header:
        raise AuthError("MissingAuthenticationTokenException", "Missing Authentication Token")
    m = _AUTH_RE.match(header)
    if m is None or m["service"] != "eks":
        raise AuthError(
            "IncompleteSignatureException",
            "Authorization header requires 'Credential', 'Signature' and 'SignedHeaders' "
            "for service eks",
        )
    if m["key"] != keys.access_key:
        raise AuthError(
            "UnrecognizedClientException", "The security token included in the request is invalid."
        )
    amz_date = headers.get("X-Amz-Date", "")
    try:
        when = _parse_amz_date(amz_date)
    except ValueError:
        raise AuthError("IncompleteSignatureException", "X-Amz-Date is missing") from None
    if abs(dt.datetime.now(dt.UTC) - when) > _MAX_SKEW:
        raise AuthError("InvalidSignatureException", f"Signature expired: {amz_date}")
    signed = m["signed"].split(";")
    request = AWSRequest(method=method, url=url, data=body, headers=dict(headers))
    request.context["timestamp"] = amz_date
    signer = _SignedHeadersOnly(
        Credentials(keys.access_key, keys.secret_key), "eks", m["region"], signed
    )
    canonical = signer.canonical_request(request)
    expected = signer.signature(signer.string_to_sign(request, canonical), request)
    if not hmac.compare_digest(expected, m["sig"]):
        raise AuthError(
            "InvalidSignatureException",
            "The request signature we calculated does not match the signature you provided.",
        )
    return m["region"]


def _decode_token(token: str) -> str:
    if not token.startswith(TOKEN_PREFIX):
        raise AuthError("token", f"not an EKS token (no {TOKEN_PREFIX} prefix)")
    raw = token.removeprefix(TOKEN_PREFIX)
    try:
        return base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        raise AuthError("token", "the token is not base64url") from None


def verify_token(keys: KeyPair, token: str, cluster: str) -> str:
    """Check an EKS bearer token for ``cluster``; returns the caller's IAM ARN."""
    url = urlsplit(_decode_token(token))
    query = dict(parse_qsl(url.query))
    if url.scheme != "https" or not _STS_HOST_RE.match(url.hostname or "") or url.path != "/":
        raise AuthError("token", f"not a presigned STS URL: {url.scheme}://{url.netloc}{url.path}")
    if query.get("Action") != "GetCallerIdentity" or query.get("Version") != "2011-06-15":
        raise AuthError("token", "the presigned request is not sts:GetCallerIdentity")
    if CLUSTER_ID_HEADER not in query.get("X-Amz-SignedHeaders", "").split(";"):
        raise AuthError("token", f"{CLUSTER_ID_HEADER} is not among the signed headers")
    try:
        when = _parse_amz_date(query["X-Amz-Date"])
        expires = dt.timedelta(seconds=int(query["X-Amz-Expires"]))
    except (KeyError, ValueError):
        raise AuthError("token", "X-Amz-Date or X-Amz-Expires is missing") from None
    if expires <= dt.timedelta(0) or dt.datetime.now(dt.UTC) > when + _MAX_TOKEN_AGE:
        raise AuthError("token", f"the token expired (signed {query['X-Amz-Date']})")
    credential = query.get("X-Amz-Credential", "").split("/")
    if len(credential) != 5 or credential[0] != keys.access_key:
        raise AuthError("token", "the token was signed with an unknown access key")
    signature = query.pop("X-Amz-Signature", "")
    unsigned = urlunsplit((url.scheme, url.netloc, url.path, urlencode(query), ""))
    request = AWSRequest(method="GET", url=unsigned, headers={CLUSTER_ID_HEADER: cluster})
    request.context["timestamp"] = query["X-Amz-Date"]
    signer = SigV4QueryAuth(
        Credentials(keys.access_key, keys.secret_key), "sts", credential[2], expires=0
    )
    canonical = signer.canonical_request(request)
    expected = signer.signature(signer.string_to_sign(request, canonical), request)
    if not hmac.compare_digest(expected, signature):
        raise AuthError(
            "token", f"the signature does not match (is {CLUSTER_ID_HEADER} {cluster!r}?)"
        )
    return keys.user_arn

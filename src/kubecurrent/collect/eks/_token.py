"""The EKS bearer token, made as ``aws eks get-token`` makes it, and kept fresh.

An EKS API server (through aws-iam-authenticator) accepts the token
``k8s-aws-v1.`` + base64url, unpadded, of a presigned STS ``GetCallerIdentity`` URL whose signed
headers include ``x-k8s-aws-id: <cluster name>``; the URL is presigned for 60 seconds
(``X-Amz-Expires=60``) and the server accepts it for 15 minutes from its ``X-Amz-Date``. The
signing is botocore's presigner, never ours: the header is added to the request in botocore's
``before-sign`` event so it is part of the signature. Facts from the AWS CLI's ``eks get-token``
(https://docs.aws.amazon.com/cli/latest/reference/eks/get-token.html) and aws-iam-authenticator
(https://github.com/kubernetes-sigs/aws-iam-authenticator#api-authorization-from-outside-a-cluster).

``EksToken`` mints a token on first use and a new one once the current one is
``REFRESH_AFTER`` old, well before the server stops accepting it.
"""

from __future__ import annotations

import base64
import datetime as dt
import threading
from collections.abc import Callable
from typing import Any

from kubecurrent.collect.eks._aws import EksRef, aws_call, sts_client

__all__ = ["CLUSTER_ID_HEADER", "PRESIGN_SECONDS", "REFRESH_AFTER", "TOKEN_PREFIX", "EksToken"]

TOKEN_PREFIX = "k8s-aws-v1."  # noqa: S105 - a fixed prefix, not a secret
CLUSTER_ID_HEADER = "x-k8s-aws-id"
PRESIGN_SECONDS = 60
"""``X-Amz-Expires`` of the presigned URL, as the AWS CLI sets it."""
TOKEN_LIFETIME = dt.timedelta(minutes=15)
"""How long after ``X-Amz-Date`` the API server accepts a token."""
REFRESH_AFTER = dt.timedelta(minutes=10)
"""Age at which a new token is minted (before the 15 minutes run out)."""


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _keep_cluster(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
    if CLUSTER_ID_HEADER in params:
        context[CLUSTER_ID_HEADER] = params.pop(CLUSTER_ID_HEADER)


def _add_header(request: Any, **_: Any) -> None:
    name = request.context.get(CLUSTER_ID_HEADER)
    if name:
        request.headers[CLUSTER_ID_HEADER] = name


def presigned_url(sts: Any, cluster: str) -> str:
    """The presigned ``GetCallerIdentity`` URL with ``x-k8s-aws-id: cluster`` signed in."""
    events = sts.meta.events
    events.register(
        "provide-client-params.sts.GetCallerIdentity", _keep_cluster, unique_id="kc-eks-id"
    )
    events.register("before-sign.sts.GetCallerIdentity", _add_header, unique_id="kc-eks-hdr")
    return str(
        sts.generate_presigned_url(
            "get_caller_identity",
            Params={CLUSTER_ID_HEADER: cluster},
            ExpiresIn=PRESIGN_SECONDS,
            HttpMethod="GET",
        )
    )


def token_of(url: str) -> str:
    """The bearer token carrying ``url``."""
    encoded = base64.urlsafe_b64encode(url.encode("utf-8")).decode("ascii").rstrip("=")
    return TOKEN_PREFIX + encoded


def url_of(token: str) -> str:
    """The presigned URL a token carries (the inverse of ``token_of``)."""
    if not token.startswith(TOKEN_PREFIX):
        raise ValueError(f"not an EKS token (no {TOKEN_PREFIX} prefix)")
    body = token[len(TOKEN_PREFIX) :]
    return base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode("utf-8")


class EksToken:
    """A bearer token for one EKS cluster, minted with the caller's AWS credentials and renewed
    before it expires; safe to share between threads."""

    def __init__(
        self, ref: EksRef, clock: Callable[[], dt.datetime] = _now, sts: Any = None
    ) -> None:
        self.ref, self._clock = ref, clock
        self._sts = sts
        self._lock = threading.Lock()
        self._token = ""
        self._minted: dt.datetime | None = None

    def _client(self) -> Any:
        if self._sts is None:
            self._sts = sts_client(self.ref.region, self.ref.profile)
        return self._sts

    def expires(self) -> dt.datetime | None:
        """When the current token stops being accepted (None before the first one)."""
        return None if self._minted is None else self._minted + TOKEN_LIFETIME

    def __call__(self) -> str:
        """A token valid for at least ``TOKEN_LIFETIME - REFRESH_AFTER`` more."""
        with self._lock:
            now = self._clock()
            if self._minted is None or now - self._minted >= REFRESH_AFTER:
                url = aws_call(
                    f"token for {self.ref}",
                    "",
                    lambda: presigned_url(self._client(), self.ref.name),
                )
                self._token, self._minted = token_of(url), now
            return self._token

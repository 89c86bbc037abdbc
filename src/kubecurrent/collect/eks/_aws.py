"""The AWS side of EKS: boto3 sessions and EKS clients, retries, and errors that say what to do.

boto3 is imported here, lazily, so commands that never touch EKS do not pay its import time.
Clients use botocore's ``standard`` retry mode with bounded attempts (throttling is retried with
backoff by botocore); what still fails becomes an ``EksError`` naming the cluster and region and
the next step. boto3 honours ``AWS_ENDPOINT_URL_EKS`` (and ``AWS_ENDPOINT_URL``) to point the
EKS client at another endpoint, and the usual credential chain (environment, ``--profile`` /
``AWS_PROFILE``, SSO, instance roles).
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from kubecurrent.collect.clouds import EksRef
from kubecurrent.errors import ClusterError, UsageError

__all__ = [
    "EKS_ATTEMPTS",
    "EksError",
    "EksRef",
    "aws_call",
    "check_region",
    "client_error",
    "default_region",
    "eks_client",
    "eks_regions",
    "paginate",
    "session",
    "sts_client",
]

EKS_ATTEMPTS = 5
"""Attempts per EKS call (the first one included) before a throttled call becomes an error."""

T = TypeVar("T")

_NOT_FOUND = ("ResourceNotFoundException", "NotFoundException")
_THROTTLED = ("ThrottlingException", "TooManyRequestsException", "RequestLimitExceeded")
_CREDENTIALS = (
    "UnrecognizedClientException",
    "InvalidClientTokenId",
    "InvalidSignatureException",
    "ExpiredTokenException",
    "ExpiredToken",
    "SignatureDoesNotMatch",
)
_DENIED = ("AccessDeniedException", "AccessDenied", "UnauthorizedOperation")
_CREDENTIALS_HINT = (
    "give AWS credentials: `aws configure`, `aws sso login`, AWS_PROFILE or --profile, or "
    "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY"
)


class EksError(ClusterError):
    """An EKS call failed; the message names the cluster (or region) and the hint the next step.

    ``code`` is AWS's error code (``ResourceNotFoundException``...) when AWS gave one.
    """

    def __init__(self, message: str, *, hint: str | None = None, code: str = "") -> None:
        super().__init__(message, hint=hint)
        self.code = code


@functools.cache
def _regions() -> tuple[str, ...]:
    import boto3.session

    return tuple(boto3.session.Session().get_available_regions("eks"))


def eks_regions() -> tuple[str, ...]:
    """Every region EKS is offered in, from botocore's offline endpoint data (no AWS call)."""
    return _regions()


def check_region(region: str) -> str:
    """``region`` when botocore knows it for EKS, else a ``UsageError`` listing the known ones."""
    known = eks_regions()
    if region not in known:
        raise UsageError(
            f"unknown AWS region for EKS: {region!r}",
            hint=f"use one of: {', '.join(known)}",
        )
    return region


_LOCK = threading.RLock()
_SESSIONS: dict[str | None, Any] = {}


def session(profile: str | None) -> Any:
    """The boto3 session for ``profile`` (default chain when None), one per profile."""
    import boto3.session
    from botocore.exceptions import ProfileNotFound

    with _LOCK:
        if profile not in _SESSIONS:
            try:
                _SESSIONS[profile] = boto3.session.Session(profile_name=profile)
            except ProfileNotFound:
                raise UsageError(
                    f"no AWS profile named {profile!r}",
                    hint="list them with `aws configure list-profiles`, or drop --profile",
                ) from None
        return _SESSIONS[profile]


def default_region(profile: str | None) -> str | None:
    """The region the AWS configuration names (``AWS_REGION``, the profile's ``region``)."""
    region = session(profile).region_name
    return str(region) if region else None


def eks_client(region: str, profile: str | None) -> Any:
    """An EKS client for ``region`` with bounded, backed-off retries."""
    from botocore.config import Config

    config = Config(
        retries={"mode": "standard", "max_attempts": EKS_ATTEMPTS},
        connect_timeout=10,
        read_timeout=30,
        user_agent_extra="kubecurrent",
    )
    with _LOCK:
        return session(profile).client("eks", region_name=check_region(region), config=config)


def sts_client(region: str, profile: str | None) -> Any:
    """An STS client for ``region`` (only used to presign the EKS token, never called)."""
    with _LOCK:
        return session(profile).client("sts", region_name=region)


def aws_call(what: str, where: str, call: Callable[[], T]) -> T:
    """Run one AWS call; its failure becomes an ``EksError`` about ``what`` in ``where``
    (a region; empty when ``what`` names it already)."""
    from botocore.exceptions import (
        BotoCoreError,
        ClientError,
        EndpointConnectionError,
        NoCredentialsError,
        PartialCredentialsError,
    )

    if where:
        what = f"{what} ({where})"
    try:
        return call()
    except (NoCredentialsError, PartialCredentialsError):
        raise EksError(f"{what}: no AWS credentials found", hint=_CREDENTIALS_HINT) from None
    except EndpointConnectionError as exc:
        raise EksError(
            f"{what}: cannot reach the EKS endpoint {exc.kwargs.get('endpoint_url')}",
            hint="check the network and the region; AWS_ENDPOINT_URL_EKS overrides the endpoint",
        ) from None
    except ClientError as exc:
        raise client_error(what, exc) from None
    except BotoCoreError as exc:
        raise EksError(f"{what}: {exc}", hint="check the AWS configuration") from None


def client_error(what: str, exc: Any) -> EksError:
    """The ``EksError`` for a botocore ``ClientError`` (after botocore's own retries)."""
    error = exc.response.get("Error") or {}
    code = str(error.get("Code") or "")
    message = str(error.get("Message") or exc)
    if code in _NOT_FOUND:
        hint = "it may have been deleted: check the name and region, or remove it from the fleet"
    elif code in _THROTTLED:
        hint = (
            f"EKS kept throttling after {EKS_ATTEMPTS} attempts with backoff; retry later or "
            "lower --concurrency"
        )
    elif code in _CREDENTIALS:
        hint = _CREDENTIALS_HINT + " (expired credentials must be refreshed)"
    elif code in _DENIED:
        hint = "grant the IAM permission named above (see docs/eks.md for the list)"
    else:
        hint = "see the EKS message above"
    return EksError(f"{what}: {code or 'error'}: {message}", hint=hint, code=code)


def paginate(client: Any, operation: str, key: str, **params: Any) -> Iterator[Any]:
    """Every item under ``key`` of every page of ``operation`` (nextToken handled by botocore)."""
    for page in client.get_paginator(operation).paginate(**params):
        yield from page.get(key) or ()

"""The Azure side of AKS: credentials, ContainerService clients, and errors that say what to do.

azure-identity and azure-mgmt-containerservice are imported here, lazily, so commands that never
touch AKS do not pay their import time. Credentials come from ``DefaultAzureCredential``, the
standard chain (environment: ``AZURE_TENANT_ID``/``AZURE_CLIENT_ID``/``AZURE_CLIENT_SECRET``,
workload identity, managed identity, the Azure CLI's login...), with ``AZURE_AUTHORITY_HOST``
for another Microsoft Entra authority. Two settings of ours:

``KUBECURRENT_AKS_ENDPOINT``
    the Azure Resource Manager base URL (default: the SDK's public-cloud one,
    ``https://management.azure.com``) — a sovereign cloud, a proxy, or the tests' AKS double.
``KUBECURRENT_AZURE_DISABLE_INSTANCE_DISCOVERY=1``
    azure-identity's ``disable_instance_discovery``: trust ``AZURE_AUTHORITY_HOST`` without
    asking login.microsoftonline.com about it (private clouds, Azure Stack, the double).

TLS is verified by the SDK's transport (requests), which takes a CA bundle from
``REQUESTS_CA_BUNDLE``. What still fails after the SDK's retries becomes an ``AksError`` naming
the cluster or subscription, Azure's error code and message, and the next step.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from kubecurrent.collect.clouds import AksRef
from kubecurrent.errors import ClusterError

__all__ = [
    "DISCOVERY_ENV",
    "ENDPOINT_ENV",
    "AksError",
    "AksRef",
    "aks_client",
    "azure_call",
    "credential",
]

T = TypeVar("T")
ENDPOINT_ENV = "KUBECURRENT_AKS_ENDPOINT"
DISCOVERY_ENV = "KUBECURRENT_AZURE_DISABLE_INSTANCE_DISCOVERY"
_CREDENTIALS_HINT = (
    "give Azure credentials: `az login`, or AZURE_TENANT_ID/AZURE_CLIENT_ID/AZURE_CLIENT_SECRET "
    "for a service principal, or a managed or workload identity"
)
_DENIED = ("AuthorizationFailed", "LinkedAuthorizationFailed", "Forbidden")
_NOT_FOUND = ("ResourceNotFound", "ResourceGroupNotFound", "NotFound", "SubscriptionNotFound")
_THROTTLED = ("TooManyRequests", "Throttled", "ThrottlingError")


class AksError(ClusterError):
    """An Azure call failed; the message names the cluster or subscription and Azure's own
    ``code: message``, the hint the next step. ``code`` is Azure's error code when it gave one."""

    def __init__(self, message: str, *, hint: str | None = None, code: str = "") -> None:
        super().__init__(message, hint=hint)
        self.code = code


_LOCK = threading.Lock()
_CREDENTIAL: list[Any] = []


def credential() -> Any:
    """The process's ``DefaultAzureCredential`` (one, so tokens are cached across calls)."""
    from azure.identity import DefaultAzureCredential

    with _LOCK:
        if not _CREDENTIAL:
            options: dict[str, Any] = {}
            if os.environ.get(DISCOVERY_ENV, "").strip().lower() in ("1", "true", "yes"):
                options["disable_instance_discovery"] = True
            _CREDENTIAL.append(DefaultAzureCredential(**options))
        return _CREDENTIAL[0]


def reset_credential() -> None:
    """Forget the cached credential (the environment changed, e.g. between tests)."""
    with _LOCK:
        _CREDENTIAL.clear()


def endpoint() -> str | None:
    """The Resource Manager base URL ``KUBECURRENT_AKS_ENDPOINT`` names, if any."""
    value = os.environ.get(ENDPOINT_ENV, "").strip()
    return value.rstrip("/") or None


def aks_client(subscription: str) -> Any:
    """A ``ContainerServiceClient`` for ``subscription`` (the SDK retries transient errors)."""
    from azure.mgmt.containerservice import ContainerServiceClient

    return ContainerServiceClient(credential(), subscription, base_url=endpoint())


def azure_call(what: str, call: Callable[[], T]) -> T:
    """Run one Azure call; its failure becomes an ``AksError`` about ``what``."""
    from azure.core.exceptions import (
        ClientAuthenticationError,
        HttpResponseError,
        ServiceRequestError,
    )

    try:
        return call()
    except ClientAuthenticationError as exc:
        code, message = _error(exc)
        if exc.status_code == 403 or code in _DENIED:
            raise denied(what, code, message) from None
        raise AksError(
            f"{what}: no usable Azure credentials: {_first_line(message or str(exc))}",
            hint=_CREDENTIALS_HINT,
            code=code or "CredentialUnavailable",
        ) from None
    except HttpResponseError as exc:
        raise http_error(what, exc) from None
    except ServiceRequestError as exc:
        raise AksError(
            f"{what}: cannot reach Azure Resource Manager: {_first_line(str(exc))}",
            hint=f"check the network; {ENDPOINT_ENV} overrides the endpoint",
        ) from None
    except Exception as exc:
        if type(exc).__name__ == "CredentialUnavailableError":
            raise AksError(
                f"{what}: no Azure credentials found: {_first_line(str(exc))}",
                hint=_CREDENTIALS_HINT,
                code="CredentialUnavailable",
            ) from None
        raise


def denied(what: str, code: str, message: str) -> AksError:
    return AksError(
        f"{what}: {code or 'AuthorizationFailed'}: {message}",
        hint="grant the identity a role with the permission Azure names (Azure Kubernetes "
        "Service Cluster User/Contributor on the cluster, Reader to list), see docs/aks.md",
        code=code or "AuthorizationFailed",
    )


def http_error(what: str, exc: Any) -> AksError:
    """The ``AksError`` for an azure-core ``HttpResponseError``."""
    code, message = _error(exc)
    status = getattr(exc, "status_code", None)
    if status == 403 or code in _DENIED:
        return denied(what, code, message)
    if status == 404 or code in _NOT_FOUND:
        hint = "it may have been deleted: check the subscription, resource group and name"
    elif status == 429 or code in _THROTTLED:
        hint = "Azure kept throttling after the SDK's retries; retry later or lower --concurrency"
    elif status == 401:
        hint = _CREDENTIALS_HINT + " (expired credentials must be refreshed)"
    else:
        hint = "see Azure's message above"
    return AksError(f"{what}: {code or status or 'error'}: {message}", hint=hint, code=code)


def _error(exc: Any) -> tuple[str, str]:
    """Azure's ``(code, message)`` from ``{"error": {"code", "message"}}``, else the text."""
    error = getattr(exc, "error", None)
    code = str(getattr(error, "code", "") or "")
    message = str(getattr(error, "message", "") or "")
    if not code:
        response = getattr(exc, "response", None)
        try:
            body = response.json() if response is not None else None
        except Exception:
            body = None
        if isinstance(body, dict) and isinstance(body.get("error"), dict):
            code = str(body["error"].get("code") or "")
            message = str(body["error"].get("message") or "")
    return code, message or _first_line(str(getattr(exc, "message", "") or exc))


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else text

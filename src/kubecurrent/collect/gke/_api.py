"""The Google side of GKE: the ClusterManager client, credentials, and errors that say what to do.

google-cloud-container is imported here, lazily, so commands that never touch GKE do not pay
its import time. The client uses the REST transport; ``KUBECURRENT_GKE_ENDPOINT`` overrides its
endpoint (``client_options.api_endpoint``; an ``http://`` URL is used as given, which is how the
tests point it at a local double). Credentials come from ``google.auth.default()``: the standard
chain (``GOOGLE_APPLICATION_CREDENTIALS`` service-account or external-account JSON, the gcloud
application-default credentials, the metadata server). Google's errors
(``google.api_core.exceptions``) become a ``GkeError`` naming the cluster or project, Google's
own status and message, and the next step.
"""

from __future__ import annotations

import functools
import os
import re
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from kubecurrent.errors import ClusterError

__all__ = [
    "ENDPOINT_ENV",
    "SCOPES",
    "GkeError",
    "client",
    "credentials",
    "gke_call",
    "reset_clients",
]

ENDPOINT_ENV = "KUBECURRENT_GKE_ENDPOINT"
"""Where the GKE API is (default: Google's ``container.googleapis.com``)."""
SCOPES = ("https://www.googleapis.com/auth/cloud-platform",)
"""The OAuth scope GKE and the clusters' API servers accept."""
T = TypeVar("T")

_CREDENTIALS_HINT = (
    "give Google credentials: `gcloud auth application-default login`, or "
    "GOOGLE_APPLICATION_CREDENTIALS=<service-account key JSON>"
)
_HINTS = {
    "UNAUTHENTICATED": _CREDENTIALS_HINT,
    "PERMISSION_DENIED": (
        "grant the credentials container.clusters.get/list and container.operations.get "
        "(roles/container.viewer to read; roles/container.clusterAdmin to upgrade) on the "
        "project, or leave the project out"
    ),
    "NOT_FOUND": "check the project, location and name (`gcloud container clusters list`); "
    "the cluster may have been deleted",
    "FAILED_PRECONDITION": "wait for the operation running on the cluster to finish, or see "
    "GKE's message",
    "INVALID_ARGUMENT": "see GKE's message; `gcloud container get-server-config` lists the "
    "versions offered",
    "RESOURCE_EXHAUSTED": "GKE's quota or rate limit was reached: try again later",
    "UNAVAILABLE": "GKE could not be reached: check the network, then try again",
}


class GkeError(ClusterError):
    """A GKE call failed; the message names the cluster (or project) and Google's message, the
    hint the next step. ``status`` is Google's status (``PERMISSION_DENIED``...) when known."""

    def __init__(self, message: str, *, hint: str | None = None, status: str = "") -> None:
        super().__init__(message, hint=hint)
        self.status = status


_lock = threading.Lock()


@functools.cache
def _default() -> tuple[Any, str | None]:
    import google.auth
    from google.auth.exceptions import DefaultCredentialsError

    try:
        return google.auth.default(scopes=list(SCOPES))
    except DefaultCredentialsError as exc:
        raise GkeError(
            f"no Google credentials found: {exc}", hint=_CREDENTIALS_HINT, status="UNAUTHENTICATED"
        ) from None


def credentials() -> Any:
    """The caller's Google credentials (``google.auth.default()``), read once per process."""
    with _lock:
        return _default()[0]


@functools.cache
def client() -> Any:
    """A ``ClusterManagerClient`` on the REST transport (``KUBECURRENT_GKE_ENDPOINT`` honoured)."""
    from google.api_core.client_options import ClientOptions
    from google.cloud import container_v1

    endpoint = os.environ.get(ENDPOINT_ENV, "").strip()
    options = ClientOptions(api_endpoint=endpoint) if endpoint else None
    return container_v1.ClusterManagerClient(
        credentials=credentials(), transport="rest", client_options=options
    )


def reset_clients() -> None:
    """Forget the credentials and client made so far (the environment changed)."""
    with _lock:
        _default.cache_clear()
        client.cache_clear()


def gke_call(what: str, call: Callable[[], T]) -> T:
    """``call()``, with Google's errors turned into a ``GkeError`` about ``what``."""
    from google.api_core import exceptions as gexc
    from google.auth import exceptions as aexc

    try:
        return call()
    except gexc.GoogleAPICallError as exc:
        status = _status(exc)
        message = re.sub(r"^[A-Z]+ https?://\S+: ", "", str(exc.message))  # the URL called
        raise GkeError(
            f"{what}: GKE said {status or exc.code}: {message}",
            hint=_HINTS.get(status, "see GKE's message"),
            status=status,
        ) from None
    except aexc.GoogleAuthError as exc:
        raise GkeError(
            f"{what}: Google credentials refused: {exc}",
            hint=_CREDENTIALS_HINT,
            status="UNAUTHENTICATED",
        ) from None


def _status(exc: Any) -> str:
    """Google's canonical status name (``PERMISSION_DENIED``) of an API error."""
    grpc_status = getattr(exc, "grpc_status_code", None)
    if grpc_status is not None:
        return str(grpc_status.name)
    found = (getattr(exc, "response", None) and _body_status(exc.response)) or ""
    return found or _BY_HTTP.get(int(getattr(exc, "code", 0) or 0), "")


def _body_status(response: Any) -> str:
    try:
        return str(response.json().get("error", {}).get("status", ""))
    except Exception:  # not JSON: the HTTP code tells
        return ""


_BY_HTTP = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ABORTED",
    412: "FAILED_PRECONDITION",
    429: "RESOURCE_EXHAUSTED",
    503: "UNAVAILABLE",
}

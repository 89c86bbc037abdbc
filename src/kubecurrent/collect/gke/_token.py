"""The bearer token of a GKE cluster's API server: the caller's Google OAuth access token.

GKE's API servers accept the Google access token of an identity with access to the cluster
(what ``gke-gcloud-auth-plugin`` prints, https://cloud.google.com/kubernetes-engine/docs/how-to/cluster-access-for-kubectl).
The credentials of ``google.auth.default()`` are refreshed (through their ``token_uri`` for a
service account) whenever they are no longer valid, under a lock so that threads share them.
"""

from __future__ import annotations

import threading
from typing import Any

from kubecurrent.collect.clouds import GkeRef
from kubecurrent.collect.gke._api import GkeError, credentials

__all__ = ["GkeToken"]


class GkeToken:
    """A bearer token for ``ref``'s API server, refreshed before it expires; thread-safe."""

    def __init__(self, ref: GkeRef, creds: Any = None) -> None:
        self.ref = ref
        self._creds = creds
        self._lock = threading.Lock()

    def __call__(self) -> str:
        import google.auth.transport.requests
        from google.auth import exceptions as aexc

        with self._lock:
            if self._creds is None:
                self._creds = credentials()
            if not self._creds.valid:
                try:
                    self._creds.refresh(google.auth.transport.requests.Request())
                except aexc.GoogleAuthError as exc:
                    raise GkeError(
                        f"token for {self.ref}: Google refused to refresh the credentials: {exc}",
                        hint="check the credentials (`gcloud auth application-default login`, "
                        "GOOGLE_APPLICATION_CREDENTIALS)",
                        status="UNAUTHENTICATED",
                    ) from None
            return str(self._creds.token)

"""An AKS cluster's API server: the server and CA from the cluster's user kubeconfig
(``managed_clusters.list_cluster_user_credentials``), and the credentials to send.

A cluster with Microsoft Entra integration gives a kubeconfig whose user runs ``kubelogin``;
kubecurrent does what kubelogin does without the binary: it asks azure-identity's credential
chain for a token of the AKS Microsoft Entra server application
(``6dae42f8-4368-4678-94ff-3960e28e3630``, the same for every AKS cluster; see
https://azure.github.io/kubelogin/concepts/aks.html) and sends it as the bearer token, renewed
before it expires. A cluster with local accounts only is collected through a kubeconfig
context instead. ``exec_user`` is the kubelogin kubeconfig user for people
(``inventory --write-kubeconfig``).
"""

from __future__ import annotations

import base64
import threading
import time
from collections.abc import Callable
from typing import Any

import yaml

from kubecurrent.collect.aks._azure import AksError, AksRef, aks_client, azure_call, credential
from kubecurrent.collect.clouds import server_config

__all__ = [
    "AKS_SERVER_APP",
    "AadToken",
    "aks_connection",
    "endpoint_of",
    "exec_user",
    "user_kubeconfig",
]

AKS_SERVER_APP = "6dae42f8-4368-4678-94ff-3960e28e3630"
_RENEW_BEFORE = 300.0


class AadToken:
    """A Microsoft Entra access token for AKS, renewed five minutes before it expires."""

    def __init__(self, ref: AksRef) -> None:
        self.ref = ref
        self._lock = threading.Lock()
        self._token = ""
        self._expires = 0.0

    def __call__(self) -> str:
        with self._lock:
            if time.time() >= self._expires - _RENEW_BEFORE:
                token = azure_call(
                    f"get a Microsoft Entra token for {self.ref}",
                    lambda: credential().get_token(f"{AKS_SERVER_APP}/.default"),
                )
                self._token, self._expires = str(token.token), float(token.expires_on)
            return self._token


def user_kubeconfig(ref: AksRef) -> dict[str, Any]:
    """The first kubeconfig ``listClusterUserCredential`` returns for ``ref``."""
    client = aks_client(ref.subscription)
    result = azure_call(
        f"get the user kubeconfig of {ref}",
        lambda: client.managed_clusters.list_cluster_user_credentials(
            ref.resource_group, ref.name
        ).as_dict(),
    )
    configs = result.get("kubeconfigs") or []
    if not configs:
        raise AksError(
            f"{ref} returned no kubeconfig",
            hint="check that the cluster is running (`az aks show`), then try again",
        )
    raw = configs[0].get("value") or ""
    data = base64.b64decode(raw) if isinstance(raw, str) else bytes(raw)
    loaded = yaml.safe_load(data)
    if not isinstance(loaded, dict) or not loaded.get("clusters"):
        raise AksError(f"the user kubeconfig of {ref} names no cluster", hint="try again later")
    return loaded


def endpoint_of(ref: AksRef) -> tuple[str, str]:
    """The API server URL and base64 CA of ``ref``, from its user kubeconfig."""
    config = user_kubeconfig(ref)
    cluster = config["clusters"][0].get("cluster") or {}
    server, ca = (
        str(cluster.get("server") or ""),
        str(cluster.get("certificate-authority-data") or ""),
    )
    if not server or not ca:
        raise AksError(
            f"the user kubeconfig of {ref} has no API server address or CA",
            hint="wait until the cluster is running (`az aks show`), then try again",
        )
    return server, ca


def aks_connection(ref: AksRef) -> tuple[Any, Callable[[], str]]:
    """The lightkube config of ``ref``'s API server and its Entra token source."""
    endpoint, ca = endpoint_of(ref)
    return server_config(ref.name, endpoint, ca), AadToken(ref)


def exec_user(ref: AksRef) -> dict[str, Any]:
    """The kubeconfig user running ``kubelogin get-token`` with the Azure CLI's login for the AKS
    Microsoft Entra server application (the exec entry ``kubelogin convert-kubeconfig -l
    azurecli`` makes, https://azure.github.io/kubelogin/cli/convert-kubeconfig.html); the same
    for every cluster, as the server application is."""
    del ref
    return {
        "exec": {
            "apiVersion": "client.authentication.k8s.io/v1beta1",
            "command": "kubelogin",
            "args": ["get-token", "--login", "azurecli", "--server-id", AKS_SERVER_APP],
            "interactiveMode": "IfAvailable",
        }
    }

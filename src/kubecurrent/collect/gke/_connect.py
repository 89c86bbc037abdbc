"""The exec-plugin kubeconfig entries of GKE clusters (``gke-gcloud-auth-plugin``) for users
who want one. The API server itself is reached through ``clouds.connection``: endpoint and CA
from ``clusters.get``, the Google token added to every request.
"""

from __future__ import annotations

from typing import Any

from kubecurrent.collect.clouds import GkeRef

__all__ = ["exec_user"]


def exec_user(_ref: GkeRef | None = None) -> dict[str, Any]:
    """The kubeconfig user running ``gke-gcloud-auth-plugin`` (what ``gcloud container
    clusters get-credentials`` writes; https://cloud.google.com/kubernetes-engine/docs/how-to/cluster-access-for-kubectl#install_plugin)."""
    return {
        "exec": {
            "apiVersion": "client.authentication.k8s.io/v1beta1",
            "command": "gke-gcloud-auth-plugin",
            "installHint": "Install gke-gcloud-auth-plugin for use with kubectl by following "
            "https://cloud.google.com/kubernetes-engine/docs/how-to/cluster-access-for-kubectl"
            "#install_plugin",
            "provideClusterInfo": True,
            "interactiveMode": "Never",
        }
    }

"""A GKE cluster's API server as a lightkube config (endpoint and CA from ``clusters.get``, no
user credentials: the Google token is added to every request by the connection), and the
exec-plugin kubeconfig entries (``gke-gcloud-auth-plugin``) for users who want one.
"""

from __future__ import annotations

from typing import Any

from lightkube import KubeConfig

from kubecurrent.collect.clouds import GkeRef

__all__ = ["exec_user", "gke_config"]


def gke_config(ref: GkeRef, endpoint: str, ca_data: str) -> Any:
    """The lightkube ``SingleConfig`` of ``ref``'s API server (server and CA only)."""
    name = ref.name
    return KubeConfig.from_dict(
        {
            "clusters": [
                {
                    "name": name,
                    "cluster": {"server": endpoint, "certificate-authority-data": ca_data},
                }
            ],
            "users": [{"name": name, "user": {}}],
            "contexts": [{"name": name, "context": {"cluster": name, "user": name}}],
            "current-context": name,
        }
    ).get()


def exec_user() -> dict[str, Any]:
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

"""The exec-plugin kubeconfig of EKS clusters, for users who want one (``aws eks get-token``).
The API server itself is reached through ``clouds.connection``: endpoint and CA from
``DescribeCluster``, the bearer token added to every request.
"""

from __future__ import annotations

from typing import Any

from kubecurrent.collect.eks._aws import EksRef

__all__ = ["exec_kubeconfig"]


def exec_kubeconfig(clusters: list[tuple[EksRef, str, str, str]]) -> dict[str, Any]:
    """A kubeconfig whose users run ``aws eks get-token`` (the AWS CLI's exec plugin).

    ``clusters`` holds ``(ref, context name, endpoint, CA data)``; the first is current.
    """
    entries: dict[str, list[dict[str, Any]]] = {"clusters": [], "users": [], "contexts": []}
    for ref, context, endpoint, ca in clusters:
        args = ["--region", ref.region, "eks", "get-token", "--cluster-name", ref.name]
        if ref.profile:
            args += ["--profile", ref.profile]
        entries["clusters"].append(
            {"name": context, "cluster": {"server": endpoint, "certificate-authority-data": ca}}
        )
        entries["users"].append(
            {
                "name": context,
                "user": {
                    "exec": {
                        "apiVersion": "client.authentication.k8s.io/v1beta1",
                        "command": "aws",
                        "args": args,
                        "interactiveMode": "Never",
                    }
                },
            }
        )
        entries["contexts"].append(
            {"name": context, "context": {"cluster": context, "user": context}}
        )
    current = clusters[0][1] if clusters else ""
    return {"apiVersion": "v1", "kind": "Config", "current-context": current, **entries}

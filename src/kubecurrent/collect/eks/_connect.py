"""The kubeconfig user of EKS clusters for people who want one (``aws eks get-token``).
The API server itself is reached through ``clouds.connection``: endpoint and CA from
``DescribeCluster``, the bearer token added to every request.
"""

from __future__ import annotations

from typing import Any

from kubecurrent.collect.eks._aws import EksRef

__all__ = ["exec_user"]


def exec_user(ref: EksRef) -> dict[str, Any]:
    """The kubeconfig user running ``aws eks get-token`` (the AWS CLI's exec plugin, as
    ``aws eks update-kubeconfig`` writes it), with the ref's region and profile."""
    args = ["--region", ref.region, "eks", "get-token", "--cluster-name", ref.name]
    if ref.profile:
        args += ["--profile", ref.profile]
    return {
        "exec": {
            "apiVersion": "client.authentication.k8s.io/v1beta1",
            "command": "aws",
            "args": args,
            "interactiveMode": "Never",
        }
    }

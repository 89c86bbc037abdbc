"""Installing kubecurrent's CRDs into a management cluster (the chart does it too)."""

from __future__ import annotations

import contextlib
import time
from typing import cast

import httpx2
from lightkube import Client
from lightkube.core.exceptions import ApiError
from lightkube.resources.apiextensions_v1 import CustomResourceDefinition

from kubecurrent.errors import ClusterError
from kubecurrent.kubestate._crds import FleetUpgrade, crd_documents

__all__ = ["install_crds", "require_crds"]


def install_crds(client: Client, field_manager: str, timeout: float = 60.0) -> list[str]:
    """Apply every CRD (server-side) and wait until each is Established; their names."""
    names = []
    for doc in crd_documents():
        crd = cast(CustomResourceDefinition, CustomResourceDefinition.from_dict(doc.body))
        try:
            client.apply(crd, field_manager=field_manager, force=True)
        except ApiError as exc:
            raise ClusterError(
                f"cannot install CRD {doc.body['metadata']['name']}: {exc.status.message}",
                hint="installing CRDs needs create and patch on "
                "customresourcedefinitions.apiextensions.k8s.io (cluster-wide); or install "
                "them with the Helm chart",
            ) from None
        names.append(str(doc.body["metadata"]["name"]))
    deadline = time.monotonic() + timeout
    for name in names:
        while not _established(client, name):
            if time.monotonic() > deadline:
                raise ClusterError(
                    f"CRD {name} was not Established within {timeout:.0f}s",
                    hint=f"see `kubectl get crd {name} -o yaml` for its conditions",
                )
            time.sleep(0.2)
    return names


def _established(client: Client, name: str) -> bool:
    with contextlib.suppress(ApiError):
        crd = client.get(CustomResourceDefinition, name)
        for cond in (crd.status.conditions if crd.status else None) or []:
            if cond.type == "Established" and cond.status == "True":
                return True
    return False


def require_crds(client: Client, namespace: str, where: str) -> None:
    """Refuse, naming the install step, a cluster that does not serve kubecurrent's resources.

    One list of at most one FleetUpgrade in ``namespace``: the API server answers 404 for a
    resource no CRD defines, as plain text rather than a ``Status`` (an empty namespace lists
    nothing, without error)."""
    try:
        next(iter(client.list(FleetUpgrade, namespace=namespace, chunk_size=1)), None)
    except httpx2.TransportError as exc:
        raise ClusterError(
            f"{where}: cannot reach the management cluster's API server: {exc}",
            hint="check that it is up and that the kubeconfig's context points at it "
            "(--kubeconfig, else KUBECONFIG; the context in --state k8s://CONTEXT/NAMESPACE)",
        ) from None
    except (ApiError, httpx2.HTTPStatusError) as exc:
        code = exc.status.code if isinstance(exc, ApiError) else exc.response.status_code
        if code == 403:
            raise ClusterError(
                f"{where}: may not list fleetupgrades.kubecurrent.io in namespace {namespace}",
                hint=f"grant list on fleetupgrades in {namespace} (the Helm chart's Roles do)",
            ) from None
        if code != 404:
            raise
        raise ClusterError(
            f"{where}: the cluster has no kubecurrent resources (fleetupgrades.kubecurrent.io "
            f"is not served), so namespace {namespace} holds no rollouts",
            hint="install kubecurrent's CRDs (cluster-wide, once): `kubectl apply --server-side "
            "-f deploy/chart/crds/` from a kubecurrent checkout, or the Helm chart "
            "(`helm install kc deploy/chart -n NAMESPACE`, docs/controller.md)",
        ) from None

"""Reading what GKE knows about one cluster, and listing a project's clusters.

Per cluster: ``projects.locations.clusters.get`` (versions, channel, node pools with their
upgrade settings, maintenance policy, endpoint and CA), ``projects.locations.getServerConfig``
for its location (the versions offered, per channel) and ``projects.locations.operations.list``
(operations still running on it). The cluster must be read; the server config and the
operations, when refused, become limitations. Per project: ``projects.locations.clusters.list``
with location ``-`` (every location). Each call goes through the ClusterManager client
(``_api.client``), its answers mapped by ``_facts``.
"""

from __future__ import annotations

from typing import Any

from kubecurrent.collect.clouds import CloudFacts, GkeRef
from kubecurrent.collect.gke._api import GkeError, client, gke_call
from kubecurrent.collect.gke._facts import cluster_of, endpoint_url

__all__ = ["describe_cluster", "endpoint_of", "gke_labels", "list_clusters", "to_dict"]


def to_dict(message: Any) -> dict[str, Any]:
    """A protobuf message of the SDK as a dict with the proto field names and enum names."""
    return dict(type(message).to_dict(message, use_integers_for_enums=False))


def _cluster(ref: GkeRef) -> dict[str, Any]:
    found = gke_call(f"read {ref}", lambda: client().get_cluster(name=ref.path))
    return to_dict(found)


def endpoint_of(ref: GkeRef) -> tuple[str, str]:
    """The API server URL and base64 CA of ``ref`` (``clusters.get`` only)."""
    data = _cluster(ref)
    return _endpoint(ref, data)


def _endpoint(ref: GkeRef, data: dict[str, Any]) -> tuple[str, str]:
    endpoint, ca = endpoint_url(data)
    if not endpoint or not ca:
        raise GkeError(
            f"{ref} has no API server endpoint yet (status {data.get('status')})",
            hint="wait until the cluster is RUNNING, then try again",
        )
    return endpoint, ca


def gke_labels(ref: GkeRef, channel: str, master: str) -> dict[str, str]:
    """The labels GKE gives a cluster: provider, project, location, channel, master version."""
    return {
        "provider": "gke",
        "project": ref.project,
        "location": ref.location,
        "channel": channel.lower(),
        "master-version": master,
    }


def describe_cluster(ref: GkeRef) -> CloudFacts:
    """Everything GKE knows about ``ref`` (see the module docstring for the calls)."""
    data = _cluster(ref)
    endpoint, ca = _endpoint(ref, data)
    parent = f"projects/{ref.project}/locations/{ref.location}"
    limitations: list[tuple[str, str]] = []
    config: dict[str, Any] | None = None
    try:
        config = to_dict(
            gke_call(f"server config of {parent}", lambda: client().get_server_config(name=parent))
        )
    except GkeError as exc:
        limitations.append(("GKE versions offered", exc.message))
    operations: list[dict[str, Any]] = []
    try:
        listed = gke_call(
            f"operations of {parent}", lambda: client().list_operations(parent=parent)
        )
        operations = [to_dict(o) for o in listed.operations]
    except GkeError as exc:
        limitations.append(("GKE operations", exc.message))
    cluster = cluster_of(ref.project, {**data, "location": ref.location}, config, operations)
    return CloudFacts(
        managed=cluster,
        endpoint=endpoint,
        ca_data=ca,
        labels=gke_labels(ref, str(cluster.channel), cluster.master_version),
        limitations=tuple(limitations),
    )


def list_clusters(project: str) -> list[GkeRef]:
    """Every GKE cluster of ``project``, in all its locations."""
    parent = f"projects/{project}/locations/-"
    found = gke_call(
        f"list GKE clusters of project {project}", lambda: client().list_clusters(parent=parent)
    )
    refs = [GkeRef(project, str(c.location or c.zone), str(c.name)) for c in found.clusters]
    return sorted(refs, key=lambda r: (r.location, r.name))

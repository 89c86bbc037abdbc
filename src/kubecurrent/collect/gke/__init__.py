"""Google GKE: discover a project's clusters, read what GKE knows about each, reach their API
servers with the caller's Google token.

``CLOUD`` is GKE behind the clouds seam (``kubecurrent.collect.clouds``): ``discover`` lists the
clusters of projects (every location), ``describe`` reads one cluster's facts into the
inventory's ``GkeCluster`` (see ``_read`` for the calls), ``token`` is the Google access token
refreshed as needed, ``config`` the API server as a lightkube config. Google errors become
``GkeError`` naming the cluster or project, Google's status and message. google-cloud-container
is imported lazily, on first use; ``KUBECURRENT_GKE_ENDPOINT`` points it at another endpoint.
"""

from kubecurrent.collect.gke._api import (
    ENDPOINT_ENV,
    SCOPES,
    GkeError,
    client,
    credentials,
    gke_call,
    reset_clients,
)
from kubecurrent.collect.gke._cloud import CLOUD, GkeCloud
from kubecurrent.collect.gke._connect import exec_user
from kubecurrent.collect.gke._discover import discover
from kubecurrent.collect.gke._facts import cluster_of, endpoint_url, is_running, operation_of
from kubecurrent.collect.gke._read import describe_cluster, endpoint_of, list_clusters, to_dict
from kubecurrent.collect.gke._token import GkeToken

__all__ = [
    "CLOUD",
    "ENDPOINT_ENV",
    "SCOPES",
    "GkeCloud",
    "GkeError",
    "GkeToken",
    "client",
    "cluster_of",
    "credentials",
    "describe_cluster",
    "discover",
    "endpoint_of",
    "endpoint_url",
    "exec_user",
    "gke_call",
    "is_running",
    "list_clusters",
    "operation_of",
    "reset_clients",
    "to_dict",
]

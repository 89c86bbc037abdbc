"""Azure Kubernetes Service: discover subscriptions' clusters, read what AKS knows about each,
reach their API servers with a Microsoft Entra token. ``CLOUD`` is AKS behind the clouds seam
(``kubecurrent.collect.clouds``).

``discover`` lists clusters per subscription (one failing subscription never stops the others);
``describe_cluster`` reads one cluster's facts into the inventory's ``AksCluster`` (see ``_read``
for the calls, ``_facts`` for the shapes); ``aks_connection`` is the API server as a lightkube
config with its token source; ``exec_user`` is the kubelogin kubeconfig user. Azure errors
become ``AksError`` naming the cluster or subscription with Azure's code and message. The Azure
SDK is imported lazily, on first use (``_azure``).
"""

from kubecurrent.collect.aks._azure import (
    DISCOVERY_ENV,
    ENDPOINT_ENV,
    AksError,
    AksRef,
    aks_client,
    azure_call,
    credential,
    http_error,
    reset_credential,
)
from kubecurrent.collect.aks._cloud import CLOUD, AksCloud, aks_labels
from kubecurrent.collect.aks._connect import (
    AKS_SERVER_APP,
    AadToken,
    aks_connection,
    endpoint_of,
    exec_user,
)
from kubecurrent.collect.aks._discover import AksDiscovery, discover
from kubecurrent.collect.aks._facts import cluster_of, minor_of, parse_id
from kubecurrent.collect.aks._read import AksFacts, describe_cluster, list_clusters

__all__ = [
    "AKS_SERVER_APP",
    "CLOUD",
    "DISCOVERY_ENV",
    "ENDPOINT_ENV",
    "AadToken",
    "AksCloud",
    "AksDiscovery",
    "AksError",
    "AksFacts",
    "AksRef",
    "aks_client",
    "aks_connection",
    "aks_labels",
    "azure_call",
    "cluster_of",
    "credential",
    "describe_cluster",
    "discover",
    "endpoint_of",
    "exec_user",
    "http_error",
    "list_clusters",
    "minor_of",
    "parse_id",
    "reset_credential",
]

"""Rollout state in a management cluster: kubecurrent's custom resources and their limits.

``crd_documents`` returns the CustomResourceDefinitions (``MemberCluster``, ``FleetUpgrade``,
``ClusterUpgrade`` in ``kubecurrent.io/v1alpha1``); the lightkube classes of the same names
address their objects; ``install_crds`` applies the definitions (``require_crds`` refuses a cluster without them); ``KubeStore`` keeps rollouts in them (the
``kubecurrent.rollout.RolloutStore`` protocol); ``open_store`` opens the one a ``--state k8s://CONTEXT/NAMESPACE`` names;
``worst_case_bytes`` bounds the size of an object from its schema.
"""

from kubecurrent.kubestate._bounds import ETCD_REQUEST_LIMIT, METADATA_ALLOWANCE, worst_case_bytes
from kubecurrent.kubestate._crds import (
    CRD_FILES,
    GROUP,
    VERSION,
    ClusterUpgrade,
    CrdDoc,
    FleetUpgrade,
    MemberCluster,
    crd_documents,
)
from kubecurrent.kubestate._install import install_crds, require_crds
from kubecurrent.kubestate._store import KubeStore
from kubecurrent.kubestate._url import (
    StateUrl,
    context_namespace,
    is_state_url,
    management_client,
    open_store,
    parse_state_url,
)

__all__ = [
    "CRD_FILES",
    "ETCD_REQUEST_LIMIT",
    "GROUP",
    "METADATA_ALLOWANCE",
    "VERSION",
    "ClusterUpgrade",
    "CrdDoc",
    "FleetUpgrade",
    "KubeStore",
    "MemberCluster",
    "StateUrl",
    "context_namespace",
    "crd_documents",
    "install_crds",
    "is_state_url",
    "management_client",
    "open_store",
    "parse_state_url",
    "require_crds",
    "worst_case_bytes",
]

"""Amazon EKS: discover an account's clusters, read what EKS knows about each, reach their API
servers with the standard EKS token.

``discover`` lists clusters per region; ``describe_cluster`` reads one cluster's facts into the
inventory's ``EksCluster`` (see ``_read`` for the calls); ``EksToken`` mints the bearer token as
``aws eks get-token`` does and renews it before it expires (the API server's config is the
registry's ``clouds.server_config``); ``exec_user`` is the exec-plugin kubeconfig user
(``inventory --write-kubeconfig`` writes it). AWS errors become
``EksError`` naming the cluster and region. boto3 is imported lazily, on first use.
"""

from kubecurrent.collect.eks._aws import (
    EKS_ATTEMPTS,
    EksError,
    EksRef,
    aws_call,
    check_region,
    client_error,
    default_region,
    eks_client,
    eks_regions,
    paginate,
)
from kubecurrent.collect.eks._cloud import CLOUD, EksCloud, eks_labels
from kubecurrent.collect.eks._connect import exec_user
from kubecurrent.collect.eks._discover import Discovery, discover, regions_of
from kubecurrent.collect.eks._facts import addon_version_key, minor_of, offered_minors
from kubecurrent.collect.eks._read import EksFacts, describe_cluster, endpoint_of
from kubecurrent.collect.eks._token import TOKEN_PREFIX, EksToken, token_of, url_of

__all__ = [
    "CLOUD",
    "EKS_ATTEMPTS",
    "TOKEN_PREFIX",
    "Discovery",
    "EksCloud",
    "EksError",
    "EksFacts",
    "EksRef",
    "EksToken",
    "addon_version_key",
    "aws_call",
    "check_region",
    "client_error",
    "default_region",
    "describe_cluster",
    "discover",
    "eks_client",
    "eks_labels",
    "eks_regions",
    "endpoint_of",
    "exec_user",
    "minor_of",
    "offered_minors",
    "paginate",
    "regions_of",
    "token_of",
    "url_of",
]

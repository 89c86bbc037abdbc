"""``--state k8s://CONTEXT/NAMESPACE``: a rollout store in a management cluster.

``CONTEXT`` is a context of the kubeconfig (``--kubeconfig``, else ``KUBECONFIG``/``~/.kube/
config``); empty (``k8s:///NAMESPACE``) means the pod's own service account when running in a
cluster, else the kubeconfig's current context.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from lightkube import Client, KubeConfig
from lightkube.config.kubeconfig import SingleConfig

from kubecurrent.collect.cluster import Connection
from kubecurrent.errors import ClusterError, UsageError
from kubecurrent.kubestate._install import require_crds
from kubecurrent.kubestate._store import KubeStore

__all__ = [
    "SCHEME",
    "StateUrl",
    "context_namespace",
    "is_state_url",
    "management_client",
    "open_store",
    "parse_state_url",
]

SCHEME = "k8s://"
_IN_CLUSTER = "/var/run/secrets/kubernetes.io/serviceaccount/token"


@dataclass(frozen=True)
class StateUrl:
    """A ``k8s://`` state URL: its context ("" = in-cluster or current) and namespace."""

    context: str
    namespace: str


def is_state_url(text: str) -> bool:
    return text.startswith(SCHEME)


def parse_state_url(text: str) -> StateUrl:
    """``k8s://CONTEXT/NAMESPACE`` split, or a ``UsageError`` saying how to write it."""
    rest = text.removeprefix(SCHEME)
    context, slash, namespace = rest.rpartition("/")
    if not is_state_url(text) or not slash or not namespace:
        raise UsageError(
            f"--state {text!r}: not a management-cluster state",
            hint="write k8s://CONTEXT/NAMESPACE (k8s:///NAMESPACE for the current context or "
            "the pod's own service account), or a file path",
        )
    return StateUrl(context, namespace)


def _single_config(kubeconfig: Path | None, context: str) -> SingleConfig:
    """The management cluster's configuration (see the module docstring for ``context``)."""
    try:
        if kubeconfig is None and not context and Path(_IN_CLUSTER).exists():
            config = KubeConfig.from_service_account()
        elif kubeconfig is not None:
            config = KubeConfig.from_file(kubeconfig)
        else:
            config = KubeConfig.from_env()
        single = config.get(context_name=context or None)
    except Exception as exc:
        raise ClusterError(
            f"cannot reach the management cluster (context {context or '(current)'}): {exc}",
            hint="check --kubeconfig (else KUBECONFIG) and the context: --context, or the one "
            "in --state k8s://CONTEXT/NAMESPACE",
        ) from None
    if single is None:
        raise ClusterError(
            "the kubeconfig has no current context",
            hint="name one with --context, or set it with `kubectl config use-context`",
        )
    return single


def management_client(kubeconfig: Path | None, context: str) -> Client:
    """A client for the management cluster (see the module docstring for ``context``)."""
    conn = Connection(_single_config(kubeconfig, context))
    return Client(
        conn.config, field_manager="kubecurrent", trust_env=False, transport=conn.transport()
    )


def context_namespace(kubeconfig: Path | None, context: str) -> str:
    """The namespace ``context`` names in the kubeconfig (the pod's own in a cluster), else
    ``default``: the namespace kubectl acts on without ``-n``."""
    return _single_config(kubeconfig, context).namespace


def open_store(text: str, kubeconfig: Path | None = None) -> KubeStore:
    """The ``KubeStore`` that ``--state k8s://CONTEXT/NAMESPACE`` names; a cluster without
    kubecurrent's CRDs is refused with the install step."""
    url = parse_state_url(text)
    if kubeconfig is None and os.environ.get("KUBECONFIG"):
        kubeconfig = Path(os.environ["KUBECONFIG"])
    client = management_client(kubeconfig, url.context)
    require_crds(client, url.namespace, text)
    return KubeStore(client, url.namespace, text)

"""What to collect and how: one cluster's address, the options of a collection, and where the
default kubeconfig is.

Kept apart from the collector so that naming clusters (fleet files, kubeconfig contexts) does not
import the cluster client.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kubecurrent.collect.clouds import CloudRef


@dataclass(frozen=True)
class CollectOptions:
    pool_label: str | None = None
    read_secrets: bool = True
    """Read Helm release Secrets (``--no-secrets`` turns this off)."""
    all_helm_revisions: bool = False
    read_metrics: bool = True
    request_timeout: float = 20.0
    today: dt.date | None = None


@dataclass(frozen=True)
class ClusterTarget:
    """One cluster to collect: where its credentials are and how to label it."""

    name: str
    kubeconfig: Path | None = None
    context: str | None = None
    labels: dict[str, str] = field(default_factory=dict)
    audit_log: Path | None = None
    timeout: float = 120.0
    cloud: CloudRef | None = None
    """A managed cloud's cluster (EKS, GKE, AKS): reached through the cloud's API and its
    token, not a kubeconfig (see ``kubecurrent.collect.clouds``)."""


def default_kubeconfig() -> Path:
    """``$KUBECONFIG`` (its first file) or ``~/.kube/config``, as kubectl reads it."""
    env = os.environ.get("KUBECONFIG", "")
    first = next((p for p in env.split(os.pathsep) if p), "")
    return Path(first).expanduser() if first else Path.home() / ".kube" / "config"

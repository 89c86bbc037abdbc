"""``inventory --write-kubeconfig``: a kubeconfig for the cloud clusters selected, one context per
cluster whose user runs the cloud's exec plugin (``aws eks get-token``,
``gke-gcloud-auth-plugin``, ``kubelogin get-token``), written all at once with mode 0600.

The server and CA of each cluster come from its cloud (``clouds.endpoint_of``); a cluster whose
cloud does not give them is named on stderr and left out, the others are written.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

import yaml

from kubecurrent.cli._app import err_console
from kubecurrent.collect import clouds
from kubecurrent.collect.clouds import CloudRef, title_of
from kubecurrent.collect.cluster import ClusterResult
from kubecurrent.errors import ClusterError, UsageError
from kubecurrent.textfile import write_atomic

__all__ = ["write_cloud_kubeconfig"]

Endpoint = Callable[[CloudRef], tuple[str, str]]


def write_cloud_kubeconfig(
    path: Path, results: Sequence[ClusterResult], endpoint: Endpoint = clouds.endpoint_of
) -> str:
    """Write the contexts of the cloud clusters among ``results``; returns what was written
    (also printed on stderr). Raises UsageError when no cloud cluster is selected."""
    chosen = [(r.target.name, r.target.cloud) for r in results if r.target.cloud is not None]
    if not chosen:
        raise UsageError(
            "--write-kubeconfig writes EKS, GKE and AKS clusters' contexts and none is selected",
            hint="add --discover eks, gke or aks (or eks:/gke:/aks: entries in the fleet file)",
        )
    entries: list[tuple[str, CloudRef, str, str]] = []
    for name, ref in chosen:
        try:
            server, ca = endpoint(ref)
        except ClusterError as exc:
            err_console().print(f"not in the kubeconfig: {name}: {exc.message}", highlight=False)
            continue
        entries.append((name, ref, server, ca))
    config = clouds.exec_kubeconfig(entries)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, yaml.safe_dump(config, sort_keys=False), mode=0o600)
    counts = Counter(ref.provider for _, ref, _, _ in entries)
    parts = [f"{n} {title_of(p)}" for p, n in sorted(counts.items())]
    written = " and ".join([", ".join(parts[:-1]), parts[-1]] if len(parts) > 1 else parts) or "no"
    message = f"wrote {written} contexts to {path}"
    err_console().print(message, highlight=False)
    return message

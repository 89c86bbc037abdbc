"""``--state``: where rollouts are kept, for every command that reads or changes them.

A path names a SQLite file; ``k8s://CONTEXT/NAMESPACE`` names the custom resources of a
management cluster (docs/controller.md). Both open as a ``kubecurrent.rollout.RolloutStore``.
"""

from __future__ import annotations

from pathlib import Path

from kubecurrent.rollout import RolloutStore, Store, default_state_path

__all__ = ["open_state", "state_url"]


def state_url(path: Path | None) -> str | None:
    """``--state k8s://CONTEXT/NAMESPACE`` as written (a Path folds its ``//``), else None."""
    text = str(path) if path is not None else ""
    if not text.startswith("k8s:/"):
        return None
    rest = text.removeprefix("k8s:/")
    return "k8s://" + rest if "/" in rest else "k8s:///" + rest


def open_state(
    path: Path | None, *, create: bool = False, kubeconfig: Path | None = None
) -> RolloutStore:
    """The state file (created when ``create``), or the management cluster's store that
    ``--state k8s://CONTEXT/NAMESPACE`` names, reached through ``kubeconfig`` (default:
    ``KUBECONFIG``, then the pod's service account or ``~/.kube/config``)."""
    url = state_url(path)
    if url is not None:
        from kubecurrent.kubestate import open_store

        return open_store(url, kubeconfig)
    return Store((path or default_state_path()).expanduser(), create=create)

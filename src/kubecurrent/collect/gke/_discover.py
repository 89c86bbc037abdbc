"""Finding the GKE clusters of projects: every location of each project, in turn. A project that
fails (permission denied, API disabled) is reported and the others go on."""

from __future__ import annotations

from kubecurrent.collect.clouds import CloudRef, Discovery
from kubecurrent.collect.gke._api import GkeError
from kubecurrent.collect.gke._read import list_clusters

__all__ = ["discover"]


def discover(projects: tuple[str, ...]) -> Discovery:
    """The GKE clusters of ``projects``; ``failed`` holds ``(project, reason)``."""
    found: list[CloudRef] = []
    failed: list[tuple[str, str]] = []
    for project in projects:
        try:
            found += list_clusters(project)
        except GkeError as exc:
            failed.append((project, exc.message + (f" ({exc.hint})" if exc.hint else "")))
    return Discovery(tuple(found), tuple(failed))

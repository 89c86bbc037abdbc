"""Facts the catalog knows about the versions a cluster runs: end of life and CVEs."""

from __future__ import annotations

import datetime as dt

from kubecurrent.catalog import Catalog, Cve, DottedVersion
from kubecurrent.model import KubeVersion
from kubecurrent.model.inventory import NodePool

CONTROL_PLANE_COMPONENTS = ("kube-apiserver", "kube-controller-manager", "kube-scheduler")
NODE_COMPONENTS = ("kubelet", "kube-proxy")


def end_of_life(
    catalog: Catalog, version: KubeVersion, today: dt.date
) -> tuple[str | None, bool | None]:
    """The release line's end-of-life date and whether it has passed on ``today``."""
    release = catalog.release(version.minor_version)
    if release is None:
        return None, None
    return release.end_of_life.isoformat(), today >= release.end_of_life


def affects(cve: Cve, version: KubeVersion) -> bool:
    dotted = DottedVersion.parse(f"{version.major}.{version.minor}.{version.patch}")
    return any(dotted in a.range for a in cve.affected)


def applicable_cves(
    catalog: Catalog, control_plane: KubeVersion, pools: tuple[NodePool, ...]
) -> list[tuple[Cve, str]]:
    """CVEs that apply to the running versions, with where (``kube-apiserver``, ``pool x``)."""
    hits: list[tuple[Cve, str]] = []
    for component in CONTROL_PLANE_COMPONENTS:
        hits += [(c, component) for c in catalog.cves_for(component) if affects(c, control_plane)]
    for component in NODE_COMPONENTS:
        for cve in catalog.cves_for(component):
            where = [p.name for p in pools if affects(cve, p.kubelet)]
            if where:
                hits.append((cve, f"{component} in pools {', '.join(where)}"))
    return hits

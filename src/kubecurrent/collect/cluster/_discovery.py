"""Discovery: which of the resources worth listing this API server serves, and at which version.

Objects are listed through the group's preferred version: every object of a resource can be
read through any served version, and its managedFields still say which version each manager
wrote with.

An API server of 1.30 or later answers ``GET /apis`` with every group's versions and resources
at once (aggregated discovery, ``apidiscovery.k8s.io/v2``:
https://kubernetes.io/docs/concepts/overview/kubernetes-api/#aggregated-discovery), versions in
order of preference; an older one answers with the groups only, and each group version's
resources take a request of their own. A version marked ``Stale`` (an aggregated API whose
server did not answer) serves nothing, as its own request would have failed.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from kubecurrent.collect.cluster._api import ClusterApi, Resource
from kubecurrent.errors import ClusterError

AGGREGATED = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json"
"""Aggregated discovery if the server has it, else the plain group list."""


class Discovery:
    def __init__(self, api: ClusterApi, *, aggregated: bool = True) -> None:
        self._api = api
        self._accept = AGGREGATED if aggregated else "application/json"
        self._groups: dict[str, list[str]] | None = None
        self._lists: dict[str, list[dict[str, Any]]] = {}

    async def versions(self, group: str) -> list[str]:
        """Served versions of ``group``, preferred first ("" is the core group: v1)."""
        if not group:
            return ["v1"]
        if self._groups is None:
            data = await self._api.get_json("/apis", accept=self._accept)
            if data.get("kind") == "APIGroupDiscoveryList":
                self._groups = self._aggregated(data)
            else:
                self._groups = _group_list(data)
        return self._groups.get(group, [])

    def _aggregated(self, data: dict[str, Any]) -> dict[str, list[str]]:
        """Every group's versions from an ``APIGroupDiscoveryList``; each version's resources
        are kept in the shape of its own resource list."""
        groups: dict[str, list[str]] = {}
        for g in data.get("items") or []:
            name = str((g.get("metadata") or {}).get("name", ""))
            versions = [v for v in g.get("versions") or [] if v.get("version")]
            groups[name] = [str(v["version"]) for v in versions]
            for v in versions:
                fresh = v.get("freshness", "Current") != "Stale"
                self._lists[f"{name}/{v['version']}"] = [
                    {
                        "name": r.get("resource"),
                        "verbs": r.get("verbs") or [],
                        "namespaced": r.get("scope") == "Namespaced",
                    }
                    for r in (v.get("resources") or [] if fresh else [])
                    if isinstance(r, dict)
                ]
        return groups

    async def resource(self, group: str, plural: str, kind: str) -> Resource | None:
        for version in await self.versions(group):
            for res in await self._resource_list(group, version):
                if res.get("name") == plural and "list" in (res.get("verbs") or []):
                    return Resource(group, version, plural, kind, bool(res.get("namespaced")))
        return None

    async def resources(self, wanted: Iterable[tuple[str, str, str]]) -> list[Resource]:
        found = []
        for group, plural, kind in sorted(set(wanted)):
            res = await self.resource(group, plural, kind)
            if res is not None:
                found.append(res)
        return found

    async def _resource_list(self, group: str, version: str) -> list[dict[str, Any]]:
        gv = f"{group}/{version}" if group else version
        if gv not in self._lists:
            path = f"/apis/{gv}" if group else f"/api/{version}"
            try:
                data = await self._api.get_json(path)
            except ClusterError:
                data = {}
            self._lists[gv] = [r for r in data.get("resources") or [] if isinstance(r, dict)]
        return self._lists[gv]


def _group_list(data: dict[str, Any]) -> dict[str, list[str]]:
    """Every group's versions, preferred first, from an ``APIGroupList``."""
    groups: dict[str, list[str]] = {}
    for g in data.get("groups") or []:
        preferred = (g.get("preferredVersion") or {}).get("version")
        others = [v.get("version") for v in g.get("versions") or []]
        ordered = [preferred, *[v for v in others if v != preferred]]
        groups[g.get("name", "")] = [v for v in ordered if v]
    return groups

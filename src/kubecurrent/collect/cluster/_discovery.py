"""Discovery: which of the resources worth listing this API server serves, and at which version.

Objects are listed through the group's preferred version: every object of a resource can be
read through any served version, and its managedFields still say which version each manager
wrote with.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from kubecurrent.collect.cluster._api import ClusterApi, Resource
from kubecurrent.errors import ClusterError


class Discovery:
    def __init__(self, api: ClusterApi) -> None:
        self._api = api
        self._groups: dict[str, list[str]] | None = None
        self._lists: dict[str, list[dict[str, Any]]] = {}

    async def versions(self, group: str) -> list[str]:
        """Served versions of ``group``, preferred first ("" is the core group: v1)."""
        if not group:
            return ["v1"]
        if self._groups is None:
            data = await self._api.get_json("/apis")
            self._groups = {}
            for g in data.get("groups") or []:
                preferred = (g.get("preferredVersion") or {}).get("version")
                others = [v.get("version") for v in g.get("versions") or []]
                ordered = [preferred, *[v for v in others if v != preferred]]
                self._groups[g.get("name", "")] = [v for v in ordered if v]
        return self._groups.get(group, [])

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

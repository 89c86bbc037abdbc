"""What an API server serves: every resource that can be listed and created, per version."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import quote

from kubecurrent.rehearse._kube import Kube

__all__ = ["ApiResource", "Served", "discover"]


def _segment(text: str) -> str:
    """One path segment: every character that could end or climb it percent-encoded."""
    return (
        quote(text, safe="")
        if text not in (".", "..")
        else quote(text, safe="").replace(".", "%2E")
    )


@dataclass(frozen=True, order=True)
class ApiResource:
    group: str
    version: str
    plural: str
    kind: str
    namespaced: bool

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    def path(self, namespace: str = "", name: str = "") -> str:
        """The URL path; ``namespace`` and ``name`` come from manifests and cluster data, so
        each is one escaped path segment (``../x`` or ``a/b`` can never address another path)."""
        base = f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"
        where = f"/namespaces/{_segment(namespace)}" if namespace and self.namespaced else ""
        tail = f"/{_segment(name)}" if name else ""
        return f"{base}{where}/{self.plural}{tail}"

    def at(self, api_version: str) -> ApiResource:
        """The same resource addressed through another version of its group."""
        return ApiResource(
            self.group, api_version.rpartition("/")[2], self.plural, self.kind, self.namespaced
        )


@dataclass
class Served:
    preferred: list[ApiResource] = field(default_factory=list)
    """One entry per resource (group and plural) at the group's preferred version, only those
    that can be listed and created."""
    group_versions: set[str] = field(default_factory=set)
    by_kind: dict[tuple[str, str], ApiResource] = field(default_factory=dict)
    """(group, kind) -> the resource at the preferred version that serves it."""

    def of_kind(self, group: str, kind: str) -> ApiResource | None:
        return self.by_kind.get((group, kind))


def discover(kube: Kube) -> Served:
    served = Served()
    groups: list[tuple[str, list[str]]] = [("", ["v1"])]
    for g in kube.json("/apis").get("groups") or []:
        preferred = (g.get("preferredVersion") or {}).get("version")
        versions = [str(v.get("version")) for v in g.get("versions") or [] if v.get("version")]
        ordered = [preferred, *[v for v in versions if v != preferred]] if preferred else versions
        groups.append((str(g.get("name", "")), [v for v in ordered if v]))
    for group, versions in groups:
        for rank, version in enumerate(versions):
            served.group_versions.add(f"{group}/{version}" if group else version)
            path = f"/apis/{group}/{version}" if group else f"/api/{version}"
            reply = kube.get(path)
            if not reply.ok:
                continue
            for r in reply.body.get("resources") or []:
                name = str(r.get("name", ""))
                verbs = r.get("verbs") or []
                if "/" in name or "list" not in verbs or "create" not in verbs:
                    continue
                res = ApiResource(
                    group, version, name, str(r.get("kind")), bool(r.get("namespaced"))
                )
                if rank == 0:
                    served.preferred.append(res)
                served.by_kind.setdefault((group, res.kind), res)
    return served

"""What the catalog says is worth looking for in a cluster: deprecated (apiVersion, kind)
pairs, the resources to list for them, and RBAC rules naming them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kubecurrent.catalog import Catalog


@dataclass(frozen=True)
class Watch:
    """Lookups built once per scan from the catalog."""

    pairs: frozenset[tuple[str, str]]
    """(apiVersion, kind) that some Kubernetes or add-on version deprecates or removes."""
    kinds: dict[tuple[str, str, str], str]
    """(group, version, plural) -> kind."""
    resources: frozenset[tuple[str, str, str]]
    """(group, plural, kind) to list metadata-only for managedFields and last-applied."""
    rbac_pairs: frozenset[tuple[str, str]] = frozenset()
    """(group, plural) that every catalog entry removes, with no replacement in the group."""

    @classmethod
    def from_catalog(cls, catalog: Catalog) -> Watch:
        pairs: set[tuple[str, str]] = set()
        kinds: dict[tuple[str, str, str], str] = {}
        resources: set[tuple[str, str, str]] = set()
        for a in catalog.apis:
            pairs.add((a.api_version, a.kind))
            plural = a.resource.split("/")[0]
            kinds[(a.group, a.version, plural)] = a.kind
            if "/" not in a.resource:
                resources.add((a.group, plural, a.kind))
        for addon in catalog.addons:
            for api in addon.apis:
                for kind in api.kinds:
                    pairs.add((f"{api.group}/{api.version}", kind))
                    kinds[(api.group, api.version, kind.lower() + "s")] = kind
        return cls(frozenset(pairs), kinds, frozenset(resources), _rbac_pairs(catalog))

    def with_crd_versions(self, extra: list[tuple[str, str, str, str]]) -> Watch:
        """Add (group, version, plural, kind) of CRD versions marked deprecated."""
        pairs = set(self.pairs) | {(f"{g}/{v}", k) for g, v, _, k in extra}
        kinds = dict(self.kinds) | {(g, v, p): k for g, v, p, k in extra}
        resources = set(self.resources) | {(g, p, k) for g, _, p, k in extra}
        return Watch(frozenset(pairs), kinds, frozenset(resources), self.rbac_pairs)

    def kind_of(self, group: str, version: str, plural: str) -> str | None:
        return self.kinds.get((group, version, plural))

    def rbac_relevant(self, rules: Any) -> bool:
        """Whether any rule grants a (group, resource) that the catalog lists."""
        wanted = self.rbac_pairs
        for rule in rules if isinstance(rules, list) else []:
            if not isinstance(rule, dict):
                continue
            for group in rule.get("apiGroups") or []:
                for resource in rule.get("resources") or []:
                    base = str(resource).split("/")[0]
                    if (group, base) in wanted or base == "podsecuritypolicies":
                        return True
        return False


def _rbac_pairs(catalog: Catalog) -> frozenset[tuple[str, str]]:
    entries: dict[tuple[str, str], list[bool]] = {}
    for a in catalog.apis:
        same_group = bool(a.replacement) and (a.replacement or "").rpartition("/")[0] == a.group
        gone = a.removed_in is not None and not same_group
        entries.setdefault((a.group, a.resource.split("/")[0]), []).append(gone)
    return frozenset(k for k, v in entries.items() if all(v))

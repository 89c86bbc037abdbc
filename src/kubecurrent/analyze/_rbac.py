"""RBAC rules judged by the access a role still has at the target (and PSP ``use`` grants).

RBAC rules carry no version: a grant on group G and resource R is dead only when *no* version
of G serves R at the target, i.e. every catalog entry for (G, R) is removed and none was
replaced within G (``batch`` ``cronjobs`` lives on in batch/v1; ``extensions`` ``ingresses``
does not). What counts is what the role can still do, over all its rules:

* every grant of R points at groups that no longer serve it: the role loses access, a
  ``KC-RBAC-REMOVED-API`` finding with status removed;
* a dead group sits beside the group that serves R now (``["extensions",
  "networking.k8s.io"]``): access is kept, the old group is clean-up (``KC-RBAC-CLEANUP``,
  informational, status deprecated);
* R is deprecated in G but still served (core ``endpoints`` since 1.33) and the role does not
  grant its replacement: ``KC-RBAC-CLEANUP`` naming the replacement resource and group.

A grant to ``use`` PodSecurityPolicies is ``KC-PSP`` before 1.25 (PSP admission still
enforces it) and clean-up from 1.25 on (nothing is left to use; the role still applies).

One finding per role and resource, naming the resource and the rules that grant it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import msgspec

from kubecurrent.analyze._apis import ApiRule
from kubecurrent.analyze._context import Context, finding
from kubecurrent.collect.files import Document
from kubecurrent.model.findings import Finding, Severity, Status

FIELDS = ("rules",)
"""The top-level fields ``check_rbac`` reads beyond the object's identity."""
PSP_RESOURCE = "podsecuritypolicies"


class _Grants(msgspec.Struct):
    """Which groups a role grants each resource in, and in which rules."""

    groups: dict[str, set[str]] = msgspec.field(default_factory=dict)
    rules: dict[tuple[str, str], list[int]] = msgspec.field(default_factory=dict)
    psp_use: list[int] = msgspec.field(default_factory=list)

    def add(self, index: int, rule: dict[str, Any]) -> None:
        verbs = _strings(rule.get("verbs"))
        for resource in _strings(rule.get("resources")):
            base = resource.split("/")[0]
            for group in _strings(rule.get("apiGroups")):
                if base == PSP_RESOURCE:
                    if ("use" in verbs or "*" in verbs) and index not in self.psp_use:
                        self.psp_use.append(index)
                    continue
                self.groups.setdefault(base, set()).add(group)
                self.rules.setdefault((group, base), []).append(index)

    def grants(self, group: str, resource: str) -> bool:
        return bool({group, "*"} & self.groups.get(resource, set())) or bool(
            {group, "*"} & self.groups.get("*", set())
        )


def check_rbac(doc: Document, ctx: Context) -> list[Finding]:
    rules = doc.data.get("rules")
    if not isinstance(rules, list):
        return []
    grants = _Grants()
    for index, rule in enumerate(rules):
        if isinstance(rule, dict):
            grants.add(index, rule)
    out = list(_resource_findings(doc, ctx, grants))
    if grants.psp_use:
        out.append(_psp_use(doc, ctx, grants.psp_use))
    return out


def _strings(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _resource_findings(doc: Document, ctx: Context, grants: _Grants) -> Iterator[Finding]:
    for resource in sorted(grants.groups):
        removed: list[tuple[str, ApiRule]] = []
        deprecated: list[tuple[str, ApiRule]] = []
        for group in sorted(grants.groups[resource]):
            state = _state(ctx, group, resource)
            if state is not None:
                (removed if state[0] is Status.REMOVED else deprecated).append((group, state[1]))
        if removed:
            yield _removed(doc, ctx, grants, resource, removed)
        elif deprecated:
            hit = _deprecated(doc, grants, resource, deprecated)
            if hit is not None:
                yield hit


def _state(ctx: Context, group: str, resource: str) -> tuple[Status, ApiRule] | None:
    """Whether (group, resource) is served by no version at the target (removed), only by
    deprecated versions (deprecated), or fine (None); with the entry that says so."""
    entries = [e for e in ctx.table.by_resource.get((group, resource), ()) if e.addon is None]
    if not entries or any(_replaced_in_group(e) for e in entries):
        return None
    statuses = [e.status_at(ctx.target) for e in entries]
    if all(s is Status.REMOVED for s in statuses):
        return Status.REMOVED, max(entries, key=lambda e: _minor(e.removed_in))
    if all(s is not None for s in statuses):
        return Status.DEPRECATED, entries[0]
    return None


def _minor(text: str | None) -> tuple[int, ...]:
    return tuple(int(p) for p in (text or "0").split("."))


def _replaced_in_group(entry: ApiRule) -> bool:
    return entry.replacement is not None and _group_of(entry.replacement) == entry.group


def _group_of(api_version: str) -> str:
    return api_version.split("/")[0] if "/" in api_version else ""


def _new_home(entry: ApiRule, resource: str) -> tuple[str, str] | None:
    """The (group, resource) that replaces a grant on ``entry``'s group."""
    if entry.replacement is None:
        return None
    kind = entry.replacement_kind
    return _group_of(entry.replacement), _plural(kind) if kind else resource


def _plural(kind: str) -> str:
    lower = kind.lower()
    if lower.endswith("y"):
        return lower[:-1] + "ies"
    return lower + ("es" if lower.endswith(("s", "x", "ch")) else "s")


def _where(grants: _Grants, pairs: list[tuple[str, ApiRule]], resource: str) -> str:
    indices = sorted({i for group, _ in pairs for i in grants.rules.get((group, resource), [])})
    groups = ", ".join(repr(group) for group, _ in pairs)
    word = "group" if len(pairs) == 1 else "groups"
    return f"rules[{', '.join(map(str, indices))}] grant {resource} in API {word} {groups}"


def _home_text(home: tuple[str, str]) -> str:
    """``resource.group`` as kubectl writes it (the resource alone for the core group)."""
    return f"{home[1]}.{home[0]}" if home[0] else home[1]


def _removed(
    doc: Document,
    ctx: Context,
    grants: _Grants,
    resource: str,
    removed: list[tuple[str, ApiRule]],
) -> Finding:
    homes = [h for h in (_new_home(e, resource) for _, e in removed) if h is not None]
    kept = next((h for h in homes if grants.grants(*h)), None)
    entry = max((e for _, e in removed), key=lambda e: _minor(e.removed_in))
    where = _where(grants, removed, resource)
    since = f"removed in {entry.removed_in}"
    if kept is not None:
        return finding(
            doc,
            "KC-RBAC-CLEANUP",
            Status.DEPRECATED,
            f"{where}, which no version serves at {ctx.target} ({since}); the role keeps "
            f"access through {_home_text(kept)}",
            severity=Severity.INFO,
            removed_in=entry.removed_in,
            replacement=_home_text(kept),
            remediation=f"drop the old group once no cluster older than {entry.removed_in} "
            "uses this role",
        )
    home = homes[0] if homes else None
    fix = f"grant {_home_text(home)} instead" if home else "drop the grant"
    return finding(
        doc,
        "KC-RBAC-REMOVED-API",
        Status.REMOVED,
        f"{where}, which no version serves at {ctx.target} ({since}): the role loses this access",
        severity=Severity.WARNING,
        removed_in=entry.removed_in,
        fix_by=entry.removed_in,
        replacement=_home_text(home) if home else None,
        remediation=f"{fix}; keep the old group only while clusters older than "
        f"{entry.removed_in} use this role",
    )


def _deprecated(
    doc: Document, grants: _Grants, resource: str, deprecated: list[tuple[str, ApiRule]]
) -> Finding | None:
    entry = deprecated[0][1]
    home = _new_home(entry, resource)
    if home is not None and grants.grants(*home):
        return None  # the replacement is granted too: nothing to add
    until = f", removed in {entry.removed_in}" if entry.removed_in else ", still served"
    advice = f"grant {_home_text(home)} as well" if home else "plan to drop the grant"
    return finding(
        doc,
        "KC-RBAC-CLEANUP",
        Status.DEPRECATED,
        f"{_where(grants, deprecated, resource)}, deprecated since {entry.deprecated_in}{until}",
        severity=Severity.INFO,
        deprecated_in=entry.deprecated_in,
        removed_in=entry.removed_in,
        replacement=_home_text(home) if home else None,
        remediation=f"{advice} for clients that move to the replacement API",
    )


def _psp_use(doc: Document, ctx: Context, indices: list[int]) -> Finding:
    """Before 1.25 the grant still matters (PSP admission enforces it): migrate to Pod Security
    Admission. From 1.25 there is nothing to use: the grant is dead, the role still applies and
    nothing loses access, so it is clean-up, not a removal."""
    rules = f"rules[{', '.join(map(str, indices))}]"
    if ctx.target < ctx.target.parse("1.25"):
        return finding(
            doc,
            "KC-PSP",
            Status.DEPRECATED,
            f"{rules} grant use of PodSecurityPolicies (deprecated since 1.21, removed in 1.25)",
            severity=Severity.WARNING,
            removed_in="1.25",
            fix_by="1.25",
            remediation="remove the grant once namespaces enforce Pod Security Admission labels",
        )
    return finding(
        doc,
        "KC-RBAC-CLEANUP",
        Status.DEPRECATED,
        f"{rules} grant use of podsecuritypolicies, which no version serves at {ctx.target} "
        "(removed in 1.25): the grant is dead",
        severity=Severity.INFO,
        removed_in="1.25",
        remediation="drop the grant (Pod Security Admission labels on namespaces replace PSPs)",
    )

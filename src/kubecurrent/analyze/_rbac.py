"""RBAC rules that name API groups or resources the target no longer serves (and PSP ``use``).

RBAC rules carry no version: a rule on group G and resource R is dead only when *no* version of
G serves R at the target, i.e. every catalog entry for (G, R) is removed and none was replaced
within G (``batch`` ``cronjobs`` lives on in batch/v1; ``extensions`` ``ingresses`` does not).
"""

from __future__ import annotations

from typing import Any

from kubecurrent.analyze._apis import ApiRule
from kubecurrent.analyze._context import Context, finding
from kubecurrent.collect.files import Document
from kubecurrent.model.findings import Finding, Severity, Status

FIELDS = ("rules",)
"""The top-level fields ``check_rbac`` reads beyond the object's identity."""


def check_rbac(doc: Document, ctx: Context) -> list[Finding]:
    rules = doc.data.get("rules")
    if not isinstance(rules, list):
        return []
    out: list[Finding] = []
    for index, rule in enumerate(rules):
        if isinstance(rule, dict):
            out += _check_rule(doc, ctx, index, rule)
    return out


def _strings(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _check_rule(doc: Document, ctx: Context, index: int, rule: dict[str, Any]) -> list[Finding]:
    out: list[Finding] = []
    verbs = _strings(rule.get("verbs"))
    for group in _strings(rule.get("apiGroups")):
        for resource in _strings(rule.get("resources")):
            if resource == "podsecuritypolicies":
                if "use" in verbs or "*" in verbs:
                    out.append(_psp_use(doc, ctx, index, group))
                continue  # KC-PSP says what to do; a second finding would only repeat it
            gone = _gone(ctx, group, resource)
            if gone is not None:
                out.append(_dead_grant(doc, index, group, resource, *gone))
    return out


def _gone(ctx: Context, group: str, resource: str) -> tuple[Status, ApiRule] | None:
    """Whether (group, resource) is served by no version at the target, and the entry saying so."""
    base = resource.split("/")[0]
    entries = [e for e in ctx.table.by_resource.get((group, base), ()) if e.addon is None]
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
    if entry.replacement is None:
        return False
    group = entry.replacement.split("/")[0] if "/" in entry.replacement else ""
    return group == entry.group


def _dead_grant(
    doc: Document, index: int, group: str, resource: str, status: Status, entry: ApiRule
) -> Finding:
    new_group = (entry.replacement or "").split("/")[0] if entry.replacement else None
    where = f"grant it on API group {new_group!r} instead" if new_group else "drop the rule"
    verb = "is served by no version at the target" if status is Status.REMOVED else "is deprecated"
    when = (
        f"removed in {entry.removed_in}"
        if entry.removed_in
        else f"deprecated in {entry.deprecated_in}, no removal scheduled"
    )
    keep = (
        f"; keep the old group only while clusters older than {entry.removed_in} use this role"
        if entry.removed_in
        else ""
    )
    return finding(
        doc,
        "KC-RBAC-REMOVED-API",
        status,
        f"rules[{index}] grants {resource} in API group {group!r}, which {verb} ({when})",
        severity=Severity.WARNING,
        removed_in=entry.removed_in,
        fix_by=entry.removed_in,
        replacement=entry.replacement,
        remediation=where + keep,
    )


def _psp_use(doc: Document, ctx: Context, index: int, group: str) -> Finding:
    removed = ctx.target >= ctx.target.parse("1.25")
    return finding(
        doc,
        "KC-PSP",
        Status.REMOVED if removed else Status.DEPRECATED,
        f"rules[{index}] grants use of PodSecurityPolicies (API group {group!r})",
        severity=Severity.WARNING,
        removed_in="1.25",
        fix_by="1.25",
        remediation="remove the grant once namespaces enforce Pod Security Admission labels",
    )

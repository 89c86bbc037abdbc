"""One answer to "what does the target say about this apiVersion and kind?", used by the scan
rules, the cluster rules and ``fix files`` alike.

The hand-written catalog entry (``apis.yaml``, add-on APIs) wins when it has something to say at
the target; otherwise upstream's generated lifecycle decides whether the target serves a
built-in kind at all. Either way the replacement is resolved at the target: the version named
is one the target serves (``_served.replacement_at``).
"""

from __future__ import annotations

import msgspec

from kubecurrent.analyze._apis import ApiRule, ApiTable
from kubecurrent.analyze._context import Context
from kubecurrent.analyze._served import NotServed, Why, not_served, replacement_at
from kubecurrent.model import MinorVersion

NO_MIGRATION = (
    "no field-level migration is recorded for this move: compare the two versions in the API "
    "reference before changing the apiVersion"
)


def judge(ctx: Context, api_version: str, kind: str) -> ApiRule | None:
    """The rule that applies at ``ctx.target`` (replacement resolved there), or None.

    An add-on API is judged against the add-on version in ``ctx.addon_versions`` when known.
    Answers are kept in ``ctx.judged`` (rules are frozen: one object serves every document)."""
    key = (api_version, kind)
    if key not in ctx.judged:
        ctx.judged[key] = _judge(ctx, api_version, kind)
    return ctx.judged[key]


def _judge(ctx: Context, api_version: str, kind: str) -> ApiRule | None:
    table, target = ctx.table, ctx.target
    rule = table.lookup(api_version, kind)
    if rule is not None and rule.addon is not None:
        installed = ctx.addon_versions.get(rule.addon)
        rule = msgspec.structs.replace(rule, installed=installed) if installed else rule
    if rule is not None and rule.status_at(target) is not None:
        return _resolved(table, rule, target)
    gone = not_served(table.lifecycle, api_version, kind, target)
    if gone is None:
        return None
    return _resolved(table, _from_lifecycle(gone), target)


def _from_lifecycle(gone: NotServed) -> ApiRule:
    api = gone.api
    removed = str(gone.removed_in) if gone.removed_in else None
    deprecated = api.deprecated if api is not None and api.deprecated else gone.removed_in
    return ApiRule(
        group=gone.group,
        version=gone.version,
        kind=gone.kind,
        resource=gone.kind.lower() + "s",
        deprecated_in=str(deprecated) if deprecated else "-",
        removed_in=removed,
        replacement=api.replacement if api is not None else None,
        migration=(NO_MIGRATION,),
        unserved=gone.why,
        alpha="alpha" in gone.version,
        first_served=str(gone.first_served) if gone.first_served else None,
    )


def _resolved(table: ApiTable, rule: ApiRule, target: MinorVersion) -> ApiRule:
    """``rule`` with its replacement moved to the version the target serves.

    A kind first served after the target keeps no replacement: the fix is a newer target."""
    if rule.addon is not None:
        return rule
    if rule.unserved is Why.NOT_YET:
        return msgspec.structs.replace(rule, replacement=None)
    start = (rule.replacement, rule.kind) if rule.replacement else (rule.api_version, rule.kind)
    found = replacement_at(table.lifecycle, start, target)
    if found is None or (found.api_version, found.kind) == (rule.api_version, rule.kind):
        return rule
    since = str(found.since) if found.since else None
    if found.api_version == rule.replacement and rule.replacement_since:
        since = rule.replacement_since
    return msgspec.structs.replace(rule, replacement=found.api_version, replacement_since=since)

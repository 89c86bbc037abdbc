"""``fix files``: rewrite removed and deprecated apiVersions where the change is mechanical.

Pure text in, text out: the CLI reads and writes the files. Comments, key order, quoting and
every untouched document survive byte for byte; what needs a human is refused with the reason.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from dataclasses import dataclass, field
from typing import Any

from ruamel.yaml.error import YAMLError

from kubecurrent.analyze._context import Context
from kubecurrent.analyze._judge import judge
from kubecurrent.analyze.fix._document import Chunk, dump, join, load, split
from kubecurrent.analyze.fix._migrate import MIGRATIONS, Refusal, migration_for

__all__ = ["MIGRATIONS", "Change", "Chunk", "FixResult", "fix_text", "join", "load", "split"]
"""``split``/``join``/``load`` are shared with the GitOps editor: documents of a YAML file and
their round-trip parse, so that both rewriters keep untouched bytes as they were."""


@dataclass(frozen=True, slots=True)
class Change:
    """One object migrated (``refused`` set when it was left alone, with the reason)."""

    line: int
    kind: str
    name: str
    old: str
    new: str | None
    refused: str | None = None


@dataclass
class FixResult:
    text: str
    changes: list[Change] = field(default_factory=list)

    @property
    def applied(self) -> list[Change]:
        return [c for c in self.changes if c.refused is None]

    @property
    def refused(self) -> list[Change]:
        return [c for c in self.changes if c.refused is not None]


def fix_text(text: str, ctx: Context) -> FixResult:
    """Migrate every object in ``text`` whose apiVersion is removed or deprecated at the target."""
    bom = text.startswith("\ufeff")
    crlf = "\r\n" in text
    work = text.removeprefix("\ufeff").replace("\r\n", "\n")
    chunks = split(work)
    result = FixResult(text)
    for chunk in chunks:
        _fix_chunk(chunk, ctx, result)
    if not result.applied:
        return result
    out = join(chunks)
    out = out.replace("\n", "\r\n") if crlf else out
    result.text = ("\ufeff" if bom else "") + out
    return result


def _fix_chunk(chunk: Chunk, ctx: Context, result: FixResult) -> None:
    if "apiVersion" not in chunk.body:
        return
    try:
        data, yaml = load(chunk.body)
    except YAMLError:
        return  # the scan reports unparseable documents; fix leaves them alone
    objects = _objects(data)
    changed = False
    for obj in objects:
        change = _fix_object(obj, ctx, chunk.line)
        if change is not None:
            result.changes.append(change)
            changed = changed or change.refused is None
    if changed:
        chunk.body = dump(data, yaml, chunk.body)


def _objects(data: Any) -> list[MutableMapping[str, Any]]:
    if not isinstance(data, MutableMapping):
        return []
    items = data.get("items")
    if str(data.get("kind", "")).endswith("List") and isinstance(items, list):
        return [i for i in items if isinstance(i, MutableMapping)]
    return [data]


def _fix_object(obj: MutableMapping[str, Any], ctx: Context, line: int) -> Change | None:
    api_version, kind = str(obj.get("apiVersion", "")), str(obj.get("kind", ""))
    rule = judge(ctx, api_version, kind)
    if rule is None or rule.status_at(ctx.target) is None:
        return None
    meta = obj.get("metadata")
    name = str(meta.get("name", "")) if isinstance(meta, MutableMapping) else ""
    try:
        migrate = migration_for(rule)
        migrate(obj)
    except Refusal as exc:
        return Change(line, kind, name, api_version, rule.replacement, refused=str(exc))
    assert rule.replacement is not None  # migration_for refuses rules without one
    obj["apiVersion"] = rule.replacement
    return Change(line, kind, name, api_version, rule.replacement)

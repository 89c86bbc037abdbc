"""Stream Kubernetes objects out of YAML and JSON, one document at a time, with line numbers.

Multi-document files, ``List`` kinds, anchors and merge keys, a byte-order mark and CRLF line
ends are all handled by the YAML parser (libyaml through PyYAML's C loader). A document that
does not parse is reported with its line and reading resumes at the next ``---``; text with
unrendered Helm template syntax (``{{ }}``) is reported as such. A document that is no
Kubernetes object (no ``apiVersion`` and ``kind`` strings) is reported as ``Skipped``.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from pathlib import Path
from typing import IO, Any

import yaml

from kubecurrent.collect.files._quick import quick_items
from kubecurrent.collect.files._types import BodyFields, Document, Skipped, SkipReason
from kubecurrent.model.findings import EvidenceSource, ScanError

_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
TEMPLATE_HINT = (
    "unrendered Helm template syntax ({{ }}): scan the chart directory so kubecurrent renders "
    "it, or pipe `helm template` output into `kubecurrent scan files -`"
)
Item = Document | ScanError | Skipped
NO_IDENTITY = "a mapping without apiVersion and kind strings"
QUICK_MAX_BYTES = 4 * 1024 * 1024
"""Files up to this size are read whole for the fast path; larger ones always stream."""


def read_file(
    path: Path,
    source: EvidenceSource = EvidenceSource.MANIFEST,
    body_fields: BodyFields | None = None,
) -> Iterator[Item]:
    """Every object in the file at ``path``; parse errors are items too, never exceptions.

    With ``body_fields``, plain YAML is read by ``_quick``: objects hold their identity and only
    the top-level fields ``body_fields`` names (``complete=False``), which skips most of the
    parsing; the objects' identities, lines and the errors are the same."""
    if body_fields is not None and _quick_size(path):
        items = quick_items(path.read_bytes(), str(path), source, body_fields, _read_all)
        if items is not None:
            yield from items
            return
    offset_bytes, offset_lines = 0, 0
    while True:
        with path.open("rb") as fh:
            fh.seek(offset_bytes)
            failed = yield from _read_from(fh, str(path), source, offset_lines)
        if failed is None:
            return
        resume = _next_document(path, failed)
        if resume is None:
            return
        offset_bytes, offset_lines = resume


def read_stream(stream: IO[bytes] | IO[str], name: str, source: EvidenceSource) -> Iterator[Item]:
    """Every object in an unseekable stream such as stdin (no resuming after an error)."""
    yield from _read_from(stream, name, source, 0)
    return None


def _quick_size(path: Path) -> bool:
    try:
        return path.stat().st_size <= QUICK_MAX_BYTES
    except OSError:
        return False


def _read_all(stream: IO[bytes], name: str, source: EvidenceSource, offset: int) -> list[Item]:
    return list(_read_from(stream, name, source, offset))


def _read_from(
    stream: IO[bytes] | IO[str], name: str, source: EvidenceSource, line_offset: int
) -> Generator[Item, None, int | None]:
    """Yields items; returns the 0-based absolute line of a parse error, or None at the end."""
    loader = _Loader(stream)
    try:
        while True:
            try:
                node = loader.get_node() if loader.check_node() else None
                if node is None:
                    return None
                data = _construct(loader, node)
            except yaml.YAMLError as exc:
                mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
                line = line_offset + (mark.line if mark is not None else 0)
                yield ScanError(file=name, line=line + 1, message=_describe(exc, name, line))
                return line
            yield from _objects(node, data, name, line_offset, source)
    finally:
        loader.dispose()


def _construct(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    """The document's value; a scalar the resolver took for a date or number that does not
    convert (``2024-02-30``, ``0x_``) is a YAML error at that document, not a crash."""
    try:
        return loader.construct_document(node)
    except ValueError as exc:
        raise yaml.constructor.ConstructorError(
            problem=str(exc), problem_mark=node.start_mark
        ) from exc


def _objects(
    node: yaml.Node, data: Any, name: str, line_offset: int, source: EvidenceSource
) -> Iterator[Item]:
    line = line_offset + node.start_mark.line + 1
    if not isinstance(data, dict):
        if data is not None:
            yield Skipped(name, line, SkipReason.NOT_AN_OBJECT, type(data).__name__)
        return
    kind, items = data.get("kind"), data.get("items")
    if isinstance(kind, str) and kind.endswith("List") and isinstance(items, list):
        lines = _item_lines(node, line_offset)
        for index, item in enumerate(items):
            item_line = lines[index] if index < len(lines) else line
            if isinstance(item, dict):
                yield from _object(item, name, item_line, source)
        return
    yield from _object(data, name, line, source)


def _object(data: dict[str, Any], name: str, line: int, source: EvidenceSource) -> Iterator[Item]:
    api_version, kind = data.get("apiVersion"), data.get("kind")
    if not (isinstance(api_version, str) and isinstance(kind, str)):
        yield Skipped(name, line, SkipReason.NO_IDENTITY, NO_IDENTITY)
        return
    if "{{" in api_version or "{{" in kind:
        yield ScanError(file=name, line=line, message=TEMPLATE_HINT)
        return
    yield Document(data=data, file=name, line=line, source=source)


def _item_lines(node: yaml.Node, line_offset: int) -> list[int]:
    if not isinstance(node, yaml.MappingNode):
        return []
    for key, value in node.value:
        if getattr(key, "value", None) == "items" and isinstance(value, yaml.SequenceNode):
            return [line_offset + child.start_mark.line + 1 for child in value.value]
    return []


def _describe(exc: yaml.YAMLError, name: str, line: int) -> str:
    if _has_template_syntax(name, line):
        return TEMPLATE_HINT
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    return f"not valid YAML: {problem}"


def _has_template_syntax(name: str, line: int, window: int = 3) -> bool:
    path = Path(name)
    if not path.is_file():
        return False
    with path.open("rb") as fh:
        for number, text in enumerate(fh):
            if number > line + window:
                return False
            if number >= line - window and b"{{" in text:
                return True
    return False


def _next_document(path: Path, after_line: int) -> tuple[int, int] | None:
    """Byte offset and line number of the first ``---`` line after ``after_line``."""
    offset = 0
    with path.open("rb") as fh:
        for number, text in enumerate(fh):
            if number > after_line and text.startswith(b"---"):
                return offset, number
            offset += len(text)
    return None

"""Read Kubernetes objects out of YAML and JSON, one document at a time, with line numbers.

A file is cut into documents at its ``---`` lines first (a document marker at column 0 ends any
document, even inside a quoted scalar, so the cut is exact), then each document is parsed on
its own by ``KubeLoader`` (libyaml, with the scalar typing Kubernetes uses, see ``_yaml``). A
document that does not parse is an error with its line and never hides the next one.

What a document holds decides what it yields:

* a mapping with ``apiVersion`` and ``kind`` strings: an object (a ``*List`` kind: each item),
  unless ``metadata`` is not a mapping or its ``name``/``namespace`` is not a string, which is an
  error naming the field;
* anything else (text, a list, a tool's config without ``apiVersion``/``kind``): a ``Skipped``
  item, counted, never an error;
* a parse error: an error; in a directory walk (``walked``) only when the document looks like a
  Kubernetes object (top-level ``apiVersion`` and ``kind`` keys), otherwise ``Skipped``. Text
  with unrendered Helm template syntax (``{{ }}``) around the error is reported as such.
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, cast

from kubecurrent.collect.files._quick import ReadFull, quick_items
from kubecurrent.collect.files._types import BodyFields, Document, Skipped, SkipReason
from kubecurrent.model.findings import EvidenceSource, ScanError

if TYPE_CHECKING:
    import yaml

TEMPLATE_HINT = (
    "unrendered Helm template syntax ({{ }}): scan the chart directory so kubecurrent renders "
    "it, or pipe `helm template` output into `kubecurrent scan files -`"
)
Item = Document | ScanError | Skipped


class TemplateSyntax(ScanError, frozen=True, kw_only=True):
    """A document with unrendered template syntax: an error when the file was named, a skip
    (``SkipReason.TEMPLATE``) in a walk, where it is some other tool's template."""


QUICK_MAX_BYTES = 4 * 1024 * 1024
"""Files up to this size are tried on the fast path first."""

_MARKER = re.compile(rb"---(?:[ \t\r\n]|$)")
_PREAMBLE = re.compile(rb"\A(?:[ \t]*(?:[%#][^\n]*)?\r?\n)*[ \t]*(?:[%#][^\n]*)?\Z")
_IDENTITY_KEYS = (
    re.compile(rb"^apiVersion[ \t]*:|(?:^|[{,\s])\"apiVersion\"\s*:", re.MULTILINE),
    re.compile(rb"^kind[ \t]*:|(?:^|[{,\s])\"kind\"\s*:", re.MULTILINE),
)
_UTF16 = (b"\xff\xfe", b"\xfe\xff")


def read_file(
    path: Path,
    source: EvidenceSource = EvidenceSource.MANIFEST,
    body_fields: BodyFields | None = None,
    walked: bool = False,
) -> Iterator[Item]:
    """Every object in the file at ``path``; problems are items too, never exceptions.

    With ``body_fields``, plain YAML is read by ``_quick``: objects hold their identity and only
    the top-level fields ``body_fields`` names (``complete=False``), which skips most of the
    parsing; the objects' identities, lines and the errors are the same. Larger files are read
    a document at a time, so memory follows the largest document, not the file."""
    try:
        data = None if body_fields is None else _small_file(path)
        if body_fields is not None and data is not None:
            items = quick_items(data, str(path), source, body_fields, _full(body_fields, True))
            if items is not None:
                yield from _walk_filter(items, walked)
                return
        with path.open("rb") as fh:
            yield from read_stream(fh, str(path), source, walked=walked)
    except OSError as exc:
        yield ScanError(file=str(path), message=f"cannot read file: {exc.strerror or exc}")
    except UnicodeDecodeError as exc:
        yield ScanError(
            file=str(path),
            message=f"not {exc.encoding.upper()} text ({exc.reason} at byte {exc.start}): "
            "save it as UTF-8",
        )


def _small_file(path: Path) -> bytes | None:
    """The bytes of the file at ``path`` when it holds at most ``QUICK_MAX_BYTES`` (None when
    more), read with plain system calls (a buffered file object costs more than the read)."""
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        size = os.fstat(fd).st_size
        if size > QUICK_MAX_BYTES:
            return None
        parts = [os.read(fd, size + 1)]
        while parts[-1]:
            parts.append(os.read(fd, 1 << 16))
        return b"".join(parts)
    finally:
        os.close(fd)


def read_stream(
    stream: IO[bytes] | IO[str],
    name: str,
    source: EvidenceSource,
    walked: bool = False,
    template_hint: bool = True,
) -> Iterator[Item]:
    """Every item of ``stream`` (a file, stdin, a renderer's output), document by document.

    ``template_hint``: describe a parse error near ``{{`` as unrendered template syntax (off for
    a renderer's output)."""
    for text, first_line in split_documents(_lines(stream)):
        items = _read_document(text, name, source, first_line, template_hint)
        yield from _walk_filter(items, walked, text)


def read_bytes(
    data: bytes,
    name: str,
    source: EvidenceSource,
    body_fields: BodyFields | None = None,
    template_hint: bool = True,
) -> list[Item]:
    """Every item of ``data`` (a renderer's output, held in memory), as ``read_file`` reads a
    file: on the fast path with ``body_fields`` (same identities, lines and errors), else in
    full. ``template_hint`` as for ``read_stream``."""
    if body_fields is not None and len(data) <= QUICK_MAX_BYTES:
        items = quick_items(data, name, source, body_fields, _full(body_fields, template_hint))
        if items is not None:
            return items
    return list(read_stream(io.BytesIO(data), name, source, template_hint=template_hint))


def split_documents(stream: Iterable[bytes]) -> Iterator[tuple[bytes, int]]:
    """Each document's bytes (from its ``---`` line) and its first line, 0-based. Directive and
    comment lines before a ``---`` go with the document they introduce."""
    lines: list[bytes] = []
    start = 0
    for number, line in enumerate(stream):
        if lines and _MARKER.match(line):
            carried = _directives_at_end(lines)
            if len(carried) < len(lines):
                yield b"".join(lines[: len(lines) - len(carried)]), start
                lines, start = carried, number - len(carried)
        lines.append(line)
    if lines:
        yield b"".join(lines), start


def _directives_at_end(lines: list[bytes]) -> list[bytes]:
    """The directive lines (``%YAML``, ``%TAG``, with comments and blank lines among them) that
    end ``lines``: they belong to the document the next ``---`` starts."""
    at = len(lines)
    while at and _PREAMBLE.match(lines[at - 1]):
        at -= 1
    tail = lines[at:]
    return tail if any(t.lstrip().startswith(b"%") for t in tail) else []


def _lines(stream: IO[bytes] | IO[str]) -> Iterator[bytes]:
    """The stream's lines as bytes (UTF-16 text re-encoded), read as they are needed."""
    head = stream.read(2)
    if isinstance(head, str):
        text = head + cast(IO[str], stream).read()
        yield from text.encode().splitlines(keepends=True)
        return
    binary = cast(IO[bytes], stream)
    if head in _UTF16:
        yield from (head + binary.read()).decode("utf-16").encode().splitlines(keepends=True)
        return
    yield from (head + binary.readline()).splitlines(keepends=True)
    yield from binary


def _walk_filter(items: list[Item], walked: bool, text: bytes | None = None) -> list[Item]:
    """In a walk, template syntax is skipped (some other tool's template), and so is a parse
    error in a document that does not look like an object."""
    if not walked:
        return items
    obvious = text is None or looks_like_object(text)
    return [_as_skip(i) if _skippable(i, obvious) else i for i in items]


def _skippable(item: Item, looks_like_an_object: bool) -> bool:
    if isinstance(item, TemplateSyntax):
        return True
    return isinstance(item, ScanError) and not looks_like_an_object


def _as_skip(error: Item) -> Skipped:
    assert isinstance(error, ScanError)
    if isinstance(error, TemplateSyntax):
        detail = "unrendered template syntax ({{ }}) outside a chart: name the file to see it"
        return Skipped(error.file, error.line, SkipReason.TEMPLATE, detail)
    return Skipped(error.file, error.line, SkipReason.NOT_YAML, error.message)


def looks_like_object(text: bytes) -> bool:
    """Top-level ``apiVersion`` and ``kind`` keys (block or JSON style) in the text."""
    return all(rx.search(text) for rx in _IDENTITY_KEYS)


def _read_one(stream: IO[bytes], name: str, source: EvidenceSource, offset: int) -> list[Item]:
    """One document's items, read in full; line numbers offset by ``offset``."""
    return _read_document(stream.read(), name, source, offset, True)


SEEN_MIN_BYTES = 32 * 1024
"""Documents the fast path hands to the full parser from this size up are remembered
(``_SEEN``)."""
SEEN_MAX = 4096
_SEEN: dict[tuple[bytes, bool], list[tuple[dict[str, Any], int]]] = {}
"""Large documents read in full by this process, by their content's digest: the identity and
relative line of each object, when every item was an object whose rules read nothing beyond its
identity. A repository holds the same large document in many places (a CRD in its ``crds/``
file, in every install manifest, in the output of every overlay building it): it is parsed once
per process, the rest yield what the fast path yields (``complete=False``)."""


def _full(body_fields: BodyFields, template_hint: bool) -> ReadFull:
    """The fast path's fallback: one document's items, line numbers offset by ``offset``;
    large documents seen before in this process are not parsed again (``_SEEN``)."""

    def full(stream: IO[bytes], name: str, source: EvidenceSource, offset: int) -> list[Item]:
        text = stream.read()
        if len(text) < SEEN_MIN_BYTES:
            return _read_document(text, name, source, offset, template_hint)
        import hashlib  # only for large documents

        key = (hashlib.sha256(text).digest(), template_hint)
        seen = _SEEN.get(key)
        if seen is not None:
            return [Document(data, name, offset + at, source, complete=False) for data, at in seen]
        items = _read_document(text, name, source, offset, template_hint)
        identities = _identities(items, body_fields, offset)
        if identities is not None:
            if len(_SEEN) >= SEEN_MAX:
                _SEEN.clear()
            _SEEN[key] = identities
        return items

    return full


def _identities(
    items: list[Item], body_fields: BodyFields, offset: int
) -> list[tuple[dict[str, Any], int]] | None:
    """Each object's identity and line relative to ``offset``; None unless every item is an
    object and none of their rules reads more than the identity."""
    found: list[tuple[dict[str, Any], int]] = []
    for item in items:
        if not isinstance(item, Document) or body_fields(item.api_version, item.kind):
            return None
        data: dict[str, Any] = {"apiVersion": item.api_version, "kind": item.kind}
        meta = item.data.get("metadata")
        if isinstance(meta, dict):
            data["metadata"] = {k: meta[k] for k in ("name", "namespace") if k in meta}
        found.append((data, item.line - offset))
    return found


def _read_document(
    text: bytes, name: str, source: EvidenceSource, line_offset: int, template_hint: bool
) -> list[Item]:
    import yaml  # the full reader: only for what the fast path passes on

    from kubecurrent.collect.files._yaml import KubeLoader

    items: list[Item] = []
    loader = KubeLoader(io.BytesIO(text))
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is None:
                break
            items += _objects(node, _construct(loader, node), name, line_offset, source)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line if mark is not None else 0
        hint = template_hint and _near_template(text, line)
        error = TemplateSyntax if hint else ScanError
        message = TEMPLATE_HINT if hint else f"not valid YAML: {_problem(exc)}"
        items.append(error(file=name, line=line_offset + line + 1, message=message))
    finally:
        loader.dispose()
    return items


def _construct(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    """The document's value; a scalar that does not convert is a YAML error at that document,
    not a crash."""
    import yaml

    try:
        return loader.construct_document(node)
    except (ValueError, TypeError) as exc:
        raise yaml.constructor.ConstructorError(
            problem=str(exc), problem_mark=node.start_mark
        ) from exc


def _problem(exc: yaml.YAMLError) -> str:
    return str(getattr(exc, "problem", None) or str(exc).splitlines()[0])


def _objects(
    node: yaml.Node, data: Any, name: str, line_offset: int, source: EvidenceSource
) -> list[Item]:
    line = line_offset + node.start_mark.line + 1
    if data is None:
        return []
    if not isinstance(data, dict):
        return [Skipped(name, line, SkipReason.NOT_AN_OBJECT, _what(data))]
    kind, items = data.get("kind"), data.get("items")
    if isinstance(kind, str) and kind.endswith("List") and isinstance(items, list):
        lines = _item_lines(node, line_offset)
        out: list[Item] = []
        for index, item in enumerate(items):
            item_line = lines[index] if index < len(lines) else line
            if isinstance(item, dict):
                out += _object(item, name, item_line, source)
        return out
    return _object(data, name, line, source)


def _what(data: Any) -> str:
    if isinstance(data, list):
        return "a list (JSON array), not an object"
    if isinstance(data, str):
        return "plain text, not an object"
    return f"a {type(data).__name__}, not an object"


def _object(data: dict[str, Any], name: str, line: int, source: EvidenceSource) -> list[Item]:
    api_version, kind = data.get("apiVersion"), data.get("kind")
    if not (isinstance(api_version, str) and isinstance(kind, str)):
        return [
            Skipped(
                name, line, SkipReason.NO_IDENTITY, "a mapping without apiVersion and kind strings"
            )
        ]
    if "{{" in api_version or "{{" in kind:
        return [TemplateSyntax(file=name, line=line, message=TEMPLATE_HINT)]
    problem = metadata_problem(data.get("metadata"))
    if problem:
        return [ScanError(file=name, line=line, message=f"{kind} {problem}")]
    return [Document(data=data, file=name, line=line, source=source)]


def metadata_problem(meta: Any) -> str | None:
    """Why ``metadata`` cannot identify an object (None when it can)."""
    if meta is None:
        return None
    if not isinstance(meta, dict):
        return f"metadata is {_typed(meta)}, not a mapping"
    for field in ("name", "namespace"):
        value = meta.get(field)
        if value is not None and not isinstance(value, str):
            return f"metadata.{field} is {_typed(value)}, not a string: quote it in the file"
    return None


def _typed(value: Any) -> str:
    names = {bool: "a boolean", int: "a number", float: "a number", list: "a list", dict: "a map"}
    return f"{_plain(value)!s} ({names.get(type(value), type(value).__name__)})"


def _plain(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _item_lines(node: yaml.Node, line_offset: int) -> list[int]:
    import yaml

    if not isinstance(node, yaml.MappingNode):
        return []
    for key, value in node.value:
        if getattr(key, "value", None) == "items" and isinstance(value, yaml.SequenceNode):
            return [line_offset + child.start_mark.line + 1 for child in value.value]
    return []


def _near_template(text: bytes, line: int, window: int = 3) -> bool:
    lines = text.splitlines()
    return any(b"{{" in t for t in lines[max(0, line - window) : line + window + 1])

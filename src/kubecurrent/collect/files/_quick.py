"""A fast path for plain block-YAML files: objects no rule reads beyond their identity are never
built by PyYAML.

The first tier is ``_rapid`` (rapidyaml parses the whole file in C++, msgspec decodes each
document's identity from its JSON); a file it cannot vouch for comes to this one. Here libyaml
first validates the whole file in C (``raw_parse``, which makes no Python objects).
Then each document, split at its ``---`` line, is read as text: its top-level ``apiVersion`` and
``kind`` lines and ``metadata``'s ``name`` and ``namespace`` lines. The object is emitted with
only those, plus the top-level fields the caller's ``body_fields`` names, each parsed on its own
(``complete=False``). Whatever this module is not sure about goes to the full reader, so the
objects, lines and errors are the same:

* the whole file, on a number that may not build (``0x_``, ``._``), a byte-order mark, a lone
  CR, a YAML 1.1 line break libyaml knows and Python does not (NEL, LS, PS), a directive
  (``%``), a ``...`` line, content on a ``---`` line, a file libyaml refuses, or when any
  document read in full has an error (the full reader owns error lines and resuming);
* one document, unless every line is of a small block-style grammar (``_grammar``) that can
  neither span lines with a quote or flow collection nor change how the object is built (no
  anchor, alias, tag, merge or complex key, no timestamp or hex number, whose construction can
  fail); also a ``List`` kind, template syntax (``{{``), a document not a block mapping at
  column 0, or an identity value that is not a one-line string.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from kubecurrent.collect.files._grammar import safe_document
from kubecurrent.collect.files._rapid import rapid_items, unbuildable
from kubecurrent.collect.files._scalars import IMPLICIT
from kubecurrent.collect.files._types import BodyFields, Document, Skipped
from kubecurrent.model.findings import EvidenceSource, ScanError

Item = Document | ScanError | Skipped
ReadFull = Callable[[io.BytesIO, str, EvidenceSource, int], list[Item]]
"""Reads one document's bytes in full, line numbers offset by the given line."""


_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")
_LONE_CR = re.compile(rb"\r(?!\n)")
_FILE_UNSURE = re.compile(rb"\n(?:%|\.\.\.(?=[ \t\n]|\Z))|\xc2\x85|\xe2\x80[\xa8\xa9]")
_MARKER = re.compile(rb"\n---(?=[ \t\n]|\Z)([^\n]*)")
_EMPTY = re.compile(rb"[ \t]*(?:#[^\n]*)?")
_CONTENT = re.compile(rb"\n([ \t]*)[^\s#]")
_TOP = re.compile(rb"\n(?:[^ \t#\n-]|-[^ \t\n])")  # a top-level key line, not a "- " entry
_QUOTED_TOP = re.compile(rb"\n[\"']")
# A one-line string; its next line (``%s``) must not continue it.
_STRING = (
    rb":[ \t]+(?:\"([^\"\\\n]*)\"|'([^'\n]*)'|([A-Za-z0-9_.][A-Za-z0-9_./:-]*))"
    rb"[ \t]*(?:[ \t]#[^\n]*)?(?=%s|\n?\Z)"
)
_TOP_KEYS = re.compile(rb"\n(apiVersion|kind):(?=[ \t\n]|\Z)")
_TOP_STRINGS = re.compile(rb"\n(apiVersion|kind)" + _STRING % rb"\n[^\s]")
_METADATA = re.compile(rb"\nmetadata:(?=[ \t\n]|\Z)")
_METADATA_BLOCK = re.compile(rb"\nmetadata:[ \t]*(?:#[^\n]*)?(?=\n)")
_KEY_LINE = re.compile(rb"\n[ ]+[A-Za-z0-9_][A-Za-z0-9_./-]*:(?=[ \t\n]|\Z)")


class _Unsure(Exception):
    """This document needs the full parser."""


def quick_items(
    data: bytes,
    name: str,
    source: EvidenceSource,
    body_fields: BodyFields,
    read_full: ReadFull,
) -> list[Item] | None:
    """Every item of the file ``data``, or None when the whole file needs the full reader."""
    if data.startswith(_BOMS):
        return None
    if b"\r" in data:
        if _LONE_CR.search(data):
            return None
        data = data.replace(b"\r\n", b"\n")
    data = b"\n" + data  # every line, the first too, starts after a newline
    maybe = b"\n%" in data or b"\n..." in data or not data.isascii()
    if maybe and _FILE_UNSURE.search(data):  # the search alone scans slowly
        return None
    documents = _documents(data)
    if any(text is None for text, _ in documents):
        return None
    cut = [(text, line) for text, line in documents if text is not None]
    fastest = rapid_items(data, cut, name, source, body_fields, read_full)
    if fastest is not None:
        return None if any(isinstance(i, ScanError) for i in fastest) else fastest
    if not _valid(data) or unbuildable(data):
        return None
    items: list[Item] = []
    for text, first_line in cut:
        found = _document(text, first_line, name, source, body_fields, read_full)
        if any(isinstance(i, ScanError) for i in found):
            return None
        items += found
    return items


def _valid(data: bytes) -> bool:
    import yaml  # PyYAML only for the files the rapidyaml tier passes on

    loader = yaml.CSafeLoader(data)
    try:
        loader.raw_parse()
    except yaml.YAMLError:
        return False
    finally:
        loader.dispose()
    return True


def _documents(data: bytes) -> list[tuple[bytes | None, int]]:
    """Each document's bytes (from the newline before its first line) and that line, 0-based;
    [(None, 0)] when a ``---`` line has content."""
    docs: list[tuple[bytes | None, int]] = []
    start, counted, lines = 0, 0, 0
    for marker in _MARKER.finditer(data):
        if not _EMPTY.fullmatch(marker.group(1)):
            return [(None, 0)]
        docs.append((data[start : marker.start()], lines))
        start = marker.end()
        lines += data.count(b"\n", counted, start)
        counted = start
    docs.append((data[start:], lines))
    return docs


def _document(
    text: bytes,
    first_line: int,
    name: str,
    source: EvidenceSource,
    body_fields: BodyFields,
    read_full: ReadFull,
) -> list[Item]:
    try:
        ident = _identity(text)
        if ident is None:
            if _CONTENT.search(text) is None:
                return []
            raise _Unsure  # not an object: the full parser tells what it is
        api_version, kind, meta, at = ident
        if kind.endswith("List"):
            raise _Unsure  # its items are the objects
        data: dict[str, Any] = {"apiVersion": api_version, "kind": kind}
        if meta is not None:
            data["metadata"] = meta
        data.update(_fields(text, body_fields(api_version, kind)))
    except _Unsure:
        return read_full(io.BytesIO(text[1:]), name, source, first_line)
    return [Document(data, name, first_line + text.count(b"\n", 0, at), source, complete=False)]


def _fields(text: bytes, names: tuple[str, ...]) -> dict[str, Any]:
    """Top-level fields parsed on their own: in a document of this grammar a top-level entry
    runs from its key line to the next one and refers to nothing outside it."""
    import yaml

    from kubecurrent.collect.files._yaml import KubeLoader

    out: dict[str, Any] = {}
    for field in names:
        lines = list(_key_line(field).finditer(text))
        if len(lines) > 1:
            raise _Unsure
        if lines:
            end = _TOP.search(text, lines[0].end())
            entry = text[lines[0].start() + 1 : end.start() if end else None]
            try:
                out.update(yaml.load(entry, Loader=KubeLoader))  # noqa: S506 - a safe loader
            except (yaml.YAMLError, ValueError, TypeError) as exc:
                raise _Unsure from exc
    return out


def _identity(text: bytes) -> tuple[str, str, dict[str, str] | None, int] | None:
    """apiVersion, kind, metadata name/namespace and where the object starts; None when it has
    no apiVersion or kind (or no content); raises _Unsure when only the full parser can tell."""
    first = _CONTENT.search(text)
    if first is None:
        return None
    if b"{{" in text or first.group(1) or _QUOTED_TOP.search(text):
        raise _Unsure  # template syntax, or not a block mapping at column 0
    if not safe_document().fullmatch(text):
        raise _Unsure
    found = _strings(text, _TOP_KEYS, _TOP_STRINGS)
    api_version, kind = found.get("apiVersion"), found.get("kind")
    if api_version is None or kind is None:
        return None
    return api_version, kind, _metadata(text), first.start() + 1


def _metadata(text: bytes) -> dict[str, str] | None:
    """metadata's name and namespace, when metadata is a block mapping (None if absent)."""
    count = len(_METADATA.findall(text))
    line = _METADATA_BLOCK.search(text)
    if count == 0:
        return None
    if count > 1 or line is None:
        raise _Unsure
    end = _TOP.search(text, line.end())
    block = text[line.end() : end.start() if end else None]
    first = _CONTENT.search(block)
    if first is None or not first.group(1) or b"\t" in first.group(1):
        raise _Unsure  # null or tab-indented metadata: the full parser knows
    if block[first.end() - 1] == ord("-"):
        raise _Unsure  # a sequence
    if not _KEY_LINE.match(block, first.start()):
        raise _Unsure  # text (a scalar over several lines), not a mapping
    quoted, keys, strings = _children(len(first.group(1)))
    if quoted.search(block):
        raise _Unsure
    return _strings(block, keys, strings)


@lru_cache(maxsize=64)
def _key_line(field: str) -> re.Pattern[bytes]:
    return re.compile(rb"\n%s:(?=[ \t\n]|\Z)" % re.escape(field.encode()))


@lru_cache(maxsize=64)
def _children(
    indent: int,
) -> tuple[re.Pattern[bytes], re.Pattern[bytes], re.Pattern[bytes]]:
    """Quoted keys, name/namespace keys and their one-line strings at ``indent``."""
    at = rb"\n {%d}" % indent
    return (
        re.compile(at + rb"[\"']"),
        re.compile(at + rb"(name|namespace):(?=[ \t\n]|\Z)"),
        re.compile(at + rb"(name|namespace)" + _STRING % (rb"\n {0,%d}[^\s]" % indent)),
    )


def _strings(text: bytes, keys: re.Pattern[bytes], strings: re.Pattern[bytes]) -> dict[str, str]:
    """Each key ``keys`` finds, found once and holding a one-line string ``strings`` reads."""
    present = keys.findall(text)
    values = {
        key.decode(): _string(double, single, plain)
        for key, double, single, plain in strings.findall(text)
    }
    if len(values) != len(present) or len(set(present)) != len(present):
        raise _Unsure
    return values


def _string(double: bytes, single: bytes, plain: bytes) -> str:
    if not plain:
        return (double or single).decode()
    value = plain.decode()
    if any(rx.match(value) for _, rx in IMPLICIT.get(value[0], ())):
        raise _Unsure  # a number, bool, null or date: the full parser builds it
    return value

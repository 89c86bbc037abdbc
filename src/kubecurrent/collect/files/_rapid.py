"""The fastest tier of the fast path: a whole file parsed by rapidyaml (C++), each document's
identity decoded from rapidyaml's JSON by msgspec.

rapidyaml (``ryml``) parses a file about three times faster than libyaml only validates it
(measured on the bench corpus, 4,327 files, 59 MB: 0.30 s against 0.91 s of CPU), and no regex
grammar runs over every document as in the older tier. The file is then emitted as JSON by
rapidyaml, and msgspec decodes from each document only ``apiVersion``, ``kind`` and
``metadata``'s ``name`` and ``namespace``, skipping the rest in C: no Python object is built
for the body, and no Python code runs per node. Where every document of the file is a mapping
of that shape, one decode of the whole file gives every identity (``_at_once``); otherwise each
document's JSON is cut out and decoded on its own. rapidyaml emits a scalar as a JSON string
unless it reads it as a JSON number, boolean or null; a string Kubernetes would type as a
number, boolean or null (``0x1F``, ``yes``, ``~``) is recognised by the full reader's own
resolvers, and such a document is read in full.

It is used only where its answer is the full reader's, so it says ``None`` (the caller then
takes the slower tier, which takes the full reader where it is unsure) for a whole file where
libyaml could read it differently from rapidyaml (measured: rapidyaml accepts each of these
and libyaml refuses it):

* a byte that is not printable ASCII and not printable, valid UTF-8 (libyaml refuses control
  characters); a tab;
* ``&``, ``*``, ``!``, ``@``, a backtick, ``%``, ``]``, ``}`` or ``,`` starting a token
  (anchors, aliases, tags; libyaml refuses an alias to nothing, ``@``, backticks and ``%``, and
  reads the flow indicators as such where rapidyaml may read a plain scalar), except inside a
  one-line double-quoted string (a cron schedule ``"*/5 * * * *"``);
* an empty key (``: x``, ``[: x]``), a merge key (``<<``), template syntax (``{{``), a
  backslash (escapes), a number the full reader would fail to build (``0x_``, ``._``);
* a flow collection over several lines, a ``:`` right before ``}``, ``]`` or ``,``, a ``?`` on
  a line with a flow collection;
* a block scalar header libyaml refuses (``|1.0``);
* a line of 1,000 bytes or more, and some of 500 or more (libyaml refuses a key over 1,024
  bytes);
* a file rapidyaml refuses, or whose documents do not pair one to one with the ``---`` cut.

One document is read in full (``read_full``) when it is not a mapping; when ``apiVersion`` or
``kind`` is written twice (the full reader refuses that), not a one-line string, or typed as
something else by the resolvers; when ``metadata`` is not a mapping or its ``name`` or
``namespace`` is not such a string; for a ``List`` kind; and for a kind whose rules read its
body (``body_fields``). rapidyaml reports a parse error on standard error itself; that is
silenced while it parses. Agreement with the full reader is tested on the bench corpus, the
test fixtures and odd inputs (``tests/unit/scan/test_rapid.py``).
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from functools import cache, lru_cache
from typing import Any

import msgspec

from kubecurrent.collect.files._scalars import IMPLICIT
from kubecurrent.collect.files._types import BodyFields, Document, Skipped, SkipReason
from kubecurrent.model.findings import EvidenceSource, ScanError
from kubecurrent.yamljson import long_line, to_json

Item = Document | ScanError | Skipped
ReadFull = Callable[[io.BytesIO, str, EvidenceSource, int], list[Item]]

_INDICATORS = b"&*!@`"
_PLAIN = bytes(b for b in range(128) if b not in b"%&*!@`<{\\" and (b == 10 or 32 <= b < 127))
"""Bytes that need no second look: all but control characters, tabs, non-ASCII bytes, the
indicators that can start an anchor, alias or tag or that libyaml refuses at a token's start,
the first bytes of a merge key or of template syntax, and the backslash (escapes)."""
_NON_ASCII = bytes(range(128, 256))
_UNPRINTABLE = re.compile("[\x80-\x9f\u2028\u2029\ufeff\ufffe\uffff]")
_TOKEN_START = re.compile(rb"[ \n\[{,][%&*!@`]")
_CLOSING_STARTS = (b" ]", b" }", b" ,", b"\n]", b"\n}", b"\n,")
"""A flow indicator starting a token: libyaml reads it as one (an error in block context)
where rapidyaml may read a plain scalar; in a flow collection written ``[ a ]``, only slower."""
_QUOTED_LINE = re.compile(rb'\n[ ]*(?:- )*(?:[A-Za-z0-9_./-]+: )?"[^"\\\n]*"[ ]*(?=\n|\Z)')
_BLOCK = 500
_HEADER = re.compile(rb"[|>](?:[1-9][-+]?|[-+][1-9]?)?(?:[ ]+(?:#[^\n]*)?)?\Z")
UNBUILDABLE = (b"0x_", b"0b_", b"0o_", b"._")
"""Where a plain scalar the full reader types as a number may not convert (``0x_``, ``._``)."""
_CONTENT = re.compile(rb"\n[ \t]*[^\s#]")


class _Meta(msgspec.Struct):
    name: Any = msgspec.UNSET
    namespace: Any = msgspec.UNSET


class _Identity(msgspec.Struct):
    apiVersion: Any = msgspec.UNSET
    kind: Any = msgspec.UNSET
    metadata: _Meta | msgspec.UnsetType | None = msgspec.UNSET


_DECODER = msgspec.json.Decoder(_Identity)
_STREAM = msgspec.json.Decoder(list[msgspec.Raw])
_IDENTITIES = msgspec.json.Decoder(list[_Identity | None])
_TOP_KEYS = (b'\n  "apiVersion":', b'\n  "kind":')
"""A top-level key in rapidyaml's JSON of a lone document (nested keys are indented further)."""
_STREAM_KEYS = (b'\n    "apiVersion":', b'\n    "kind":')
"""The same in its JSON of a stream of documents (a list)."""


class _Unsure(Exception):
    """This document needs the full reader."""


def rapid_items(
    data: bytes,
    documents: list[tuple[bytes, int]],
    name: str,
    source: EvidenceSource,
    body_fields: BodyFields,
    read_full: ReadFull,
) -> list[Item] | None:
    """Every item of the file, or None when this tier cannot vouch for it.

    ``data`` is the file with a newline put in front; ``documents`` is its ``---`` cut (each
    document's bytes from the newline before its first line, and that line, 0-based)."""
    if not _plain_text(data):
        return None
    firsts = [_CONTENT.search(text) for text, _ in documents]
    emitted = _file_json(data)
    if emitted is None:
        return None
    content = [first is not None for first in firsts]
    identities = _at_once(*emitted, content)
    if identities is not None:
        whole = _Whole(documents, firsts, content, emitted, name, source, body_fields, read_full)
        return whole.items(identities)
    jsons = _paired(_split(*emitted), content)
    if jsons is None:
        return None
    items: list[Item] = []
    for (text, first_line), first, (json, keys) in zip(documents, firsts, jsons, strict=True):
        if first is None:
            continue
        line = first_line + text.count(b"\n", 0, first.start() + 1)
        try:
            item = _item(json, keys, name, line, source, body_fields)
        except _Unsure:
            items += read_full(io.BytesIO(text[1:]), name, source, first_line)
            continue
        items.append(item)
    return items


def _plain_text(data: bytes) -> bool:
    """Text libyaml and rapidyaml read alike (see the module docstring)."""
    odd = data.translate(None, _PLAIN)
    if odd:
        if odd.translate(None, b"%&*!@`<{").translate(None, _NON_ASCII):
            return False  # a control character, a tab or a backslash
        if not odd.isascii() and not _printable_utf8(data):
            return False
        if (b"<" in odd and b"<<" in data) or (b"{" in odd and b"{{" in data):
            return False
        if odd.translate(None, b"<{" + _NON_ASCII) and not _inert_indicators(data):
            return False
    return not (
        _empty_key(data)
        or unbuildable(data)
        or _closing_start(data)
        or _flow_over_lines(data)
        or _odd_block_header(data)
        or long_line(data, _BLOCK)
    )


def _odd_block_header(data: bytes) -> bool:
    """Whether a ``|`` or ``>`` starting a token is not followed by a block scalar header as
    libyaml reads it (rapidyaml takes ``|1.0``)."""
    for symbol in (b"|", b">"):
        at = data.find(symbol)
        while at >= 0:
            end = data.find(b"\n", at)
            if data[at - 1] in b" \n" and not _HEADER.match(
                data, at, end if end >= 0 else len(data)
            ):
                return True
            at = data.find(symbol, end) if end >= 0 else -1
    return False


def _flow_over_lines(data: bytes) -> bool:
    """Whether a line opens more flow collections (``[``, ``{``) than it closes: libyaml and
    rapidyaml differ on keys over several lines inside them."""
    for opening in (b"[", b"{"):
        at = data.find(opening)
        while at >= 0:
            start, end = data.rfind(b"\n", 0, at), data.find(b"\n", at)
            line = data[start:end] if end >= 0 else data[start:]
            if line.count(b"[") + line.count(b"{") != line.count(b"]") + line.count(b"}"):
                return True
            if b":}" in line or b":]" in line or b":," in line or b"?" in line:
                return True  # a ":" libyaml refuses there, a "?" it may read as a key
            at = data.find(opening, end) if end >= 0 else -1
    return False


def _empty_key(data: bytes) -> bool:
    """Whether a key may be empty: a line's first ``:`` after indentation and ``-`` entries,
    or a ``:`` right after ``[``, ``{`` or ``,`` (space and line breaks aside)."""
    unindented = data.translate(None, b" -")
    if b"\n:" in unindented:
        return True
    return any(_colon_after(unindented, opening) for opening in b"[{,")


def _colon_after(data: bytes, byte: int) -> bool:
    """Whether a ``:`` follows ``byte`` somewhere, line breaks between them aside. (Finding
    the rarer byte and looking at what follows is many times faster than searching for a
    two-byte string whose first byte is everywhere.)"""
    at = data.find(byte)
    while at >= 0:
        end = at + 1
        while data[end : end + 1] == b"\n":
            end += 1
        if data[end : end + 1] == b":":
            return True
        at = data.find(byte, end)
    return False


def _closing_start(data: bytes) -> bool:
    """Whether ``]``, ``}`` or ``,`` follows a space or a line break (``_CLOSING_STARTS``),
    found from the rarer byte."""
    for closing in b"]},":
        at = data.find(closing)
        while at >= 0:
            if at > 0 and data[at - 1] in b" \n":
                return True
            at = data.find(closing, at + 1)
    return False


def unbuildable(data: bytes) -> bool:
    """Whether ``UNBUILDABLE`` occurs, found from its ``_``."""
    at = data.find(b"_")
    while at >= 0:
        before = data[max(0, at - 2) : at]
        if before.endswith(b".") or before in (b"0x", b"0b", b"0o"):
            return True
        at = data.find(b"_", at + 1)
    return False


def _inert_indicators(data: bytes) -> bool:
    """Whether every indicator starting a token is inside a one-line double-quoted string."""
    for found in _TOKEN_START.finditer(data):
        start = data.rfind(b"\n", 0, found.end())
        line = _QUOTED_LINE.match(data, start)
        quote = data.find(b'"', start)
        if line is None or not quote < found.start() < line.end() - 1:
            return False
    return True


def _printable_utf8(data: bytes) -> bool:
    try:
        return _UNPRINTABLE.search(data.decode()) is None
    except UnicodeDecodeError:
        return False


def _file_json(data: bytes) -> tuple[bytes, bool] | None:
    """``data`` as rapidyaml's JSON, and whether it is a stream of documents (a list); None
    when rapidyaml refuses the file."""
    emitted = to_json(data)
    return None if emitted is None else (emitted.json, emitted.stream)


def _split(json: bytes, stream: bool) -> list[tuple[bytes, tuple[bytes, ...]]] | None:
    """Each document's JSON, with its top-level identity keys as they appear there; None when
    the JSON does not decode."""
    if not stream:
        return [(json, _TOP_KEYS)]
    try:
        return [(bytes(raw), _STREAM_KEYS) for raw in _STREAM.decode(json)]
    except msgspec.MsgspecError:
        return None


def _at_once(json: bytes, stream: bool, content: list[bool]) -> list[_Identity | None] | None:
    """Every document's identity from one decode of the whole file, paired with the cut
    (``None`` for a piece without content, or a document that is ``null``); None when the
    per-document path must decide: a document that is not a mapping or not of the
    identity's shape, an identity key written twice in one, or a cut that does not pair.

    An identity key is written twice in some document exactly when the file's JSON holds
    more of it at a document's top level than there are documents that have it."""
    keys = _STREAM_KEYS if stream else _TOP_KEYS
    try:
        found: list[_Identity | None] = (
            _IDENTITIES.decode(json) if stream else [_DECODER.decode(json)]
        )
    except msgspec.MsgspecError:
        return None
    if json.count(keys[0]) != sum(
        f is not None and f.apiVersion is not msgspec.UNSET for f in found
    ):
        return None
    if json.count(keys[1]) != sum(f is not None and f.kind is not msgspec.UNSET for f in found):
        return None
    if len(found) == len(content):
        unpaired = (f for f, full in zip(found, content, strict=True) if not full)
        return None if any(f is not None for f in unpaired) else found
    if len(found) != sum(content):
        return None
    each = iter(found)
    return [next(each) if full else None for full in content]


def _per_document(found: _Identity, body_fields: BodyFields) -> bool:
    """A ``List`` kind, or one whose rules read its body: read from its own JSON."""
    api_version, kind = found.apiVersion, found.kind
    if api_version.__class__ is not str or kind.__class__ is not str:
        return False  # read in full, as that path would
    return bool(kind.endswith("List") or body_fields(api_version, kind))


class _Whole(msgspec.Struct, frozen=True):
    """A file whose identities were decoded at once (``_at_once``), and what reads it."""

    documents: list[tuple[bytes, int]]
    firsts: list[re.Match[bytes] | None]
    content: list[bool]
    emitted: tuple[bytes, bool]
    name: str
    source: EvidenceSource
    body_fields: BodyFields
    read_full: ReadFull

    def items(self, identities: list[_Identity | None]) -> list[Item] | None:
        """The file's items; a document whose body is read, or a ``List``, is read from its own
        JSON (as the per-document path reads it); None when that JSON does not pair."""
        items: list[Item] = []
        jsons: list[tuple[bytes, tuple[bytes, ...]]] | None = None
        pieces = zip(self.documents, self.firsts, identities, strict=True)
        for index, ((text, first_line), first, found) in enumerate(pieces):
            if first is None:
                continue
            line = first_line + text.count(b"\n", 0, first.start() + 1)
            try:
                if found is None:
                    raise _Unsure  # a document that is null
                api_version, kind = found.apiVersion, found.kind
                if (
                    api_version.__class__ is str
                    and kind.__class__ is str
                    and _plain_kind(api_version, kind, self.body_fields)
                ):
                    data = {"apiVersion": api_version, "kind": kind}
                    _add_metadata(data, found.metadata)
                    items.append(Document(data, self.name, line, self.source, complete=False))
                    continue
                if not _per_document(found, self.body_fields):
                    items.append(_from_identity(found, self.name, line, self.source))
                    continue
                jsons = jsons or _paired(_split(*self.emitted), self.content)
                if jsons is None:
                    return None
                json, keys = jsons[index]
                items.append(_item(json, keys, self.name, line, self.source, self.body_fields))
            except _Unsure:
                items += self.read_full(io.BytesIO(text[1:]), self.name, self.source, first_line)
        return items


def _paired(
    jsons: list[tuple[bytes, tuple[bytes, ...]]] | None, content: list[bool]
) -> list[tuple[bytes, tuple[bytes, ...]]] | None:
    """The JSON for each piece of the cut (``null`` for one without ``content``); None when
    the two do not pair."""
    if jsons is None:
        return None
    if len(jsons) == len(content):
        paired = zip(jsons, content, strict=True)
        return None if any(j.strip() != b"null" for (j, _), full in paired if not full) else jsons
    if len(jsons) != sum(content):
        return None
    found = iter(jsons)
    return [next(found) if full else (b"null", ()) for full in content]


def _item(
    json: bytes,
    keys: tuple[bytes, ...],
    name: str,
    line: int,
    source: EvidenceSource,
    body_fields: BodyFields,
) -> Item:
    if not json.startswith(b"{") or json.count(keys[0]) > 1 or json.count(keys[1]) > 1:
        raise _Unsure  # not a mapping, or an identity key written twice
    try:
        found = _DECODER.decode(json)
    except msgspec.MsgspecError as exc:  # not valid JSON, or not of that shape
        raise _Unsure from exc
    return _from_identity(found, name, line, source, lambda a, k: _body(json, body_fields(a, k)))


def _from_identity(
    found: _Identity,
    name: str,
    line: int,
    source: EvidenceSource,
    body: Callable[[str, str], dict[str, Any]] | None = None,
) -> Item:
    """The item for a decoded identity; ``body`` reads the top-level fields its rules read
    (None: none do)."""
    if found.apiVersion is msgspec.UNSET or found.kind is msgspec.UNSET:
        detail = "a mapping without apiVersion and kind strings"
        return Skipped(name, line, SkipReason.NO_IDENTITY, detail)
    api_version, kind = _string(found.apiVersion), _string(found.kind)
    if kind.endswith("List"):
        raise _Unsure  # its items are the objects
    data: dict[str, Any] = {"apiVersion": api_version, "kind": kind}
    if body is not None:
        data.update(body(api_version, kind))
    _add_metadata(data, found.metadata)
    return Document(data, name, line, source, complete=False)


@lru_cache(maxsize=1024)
def _plain_kind(api_version: str, kind: str, body_fields: BodyFields) -> bool:
    """Whether an object of this apiVersion and kind (strings) is read from its identity
    alone, as ``_from_identity`` reads it: both are one-line strings to the full reader, the
    kind is not a ``List``, and no rule reads its body. Kept per kind: most files hold a few
    kinds many times."""
    if _typed(api_version) or _typed(kind) or kind.endswith("List"):
        return False
    return not body_fields(api_version, kind)


def _add_metadata(data: dict[str, Any], meta: _Meta | msgspec.UnsetType | None) -> None:
    """``metadata``'s name and namespace into ``data``, when they are one-line strings."""
    if isinstance(meta, _Meta):
        named: dict[str, str] = {}
        if meta.name is not msgspec.UNSET:
            named["name"] = _string(meta.name)
        if meta.namespace is not msgspec.UNSET:
            named["namespace"] = _string(meta.namespace)
        data["metadata"] = named
    elif meta is not msgspec.UNSET:
        raise _Unsure


def _body(json: bytes, fields: tuple[str, ...]) -> dict[str, Any]:
    """The top-level ``fields`` of the document, when every key and value in them is a string
    the full reader reads alike (a quoted empty string included)."""
    if not fields:
        return {}
    try:
        whole = msgspec.json.decode(json)
    except msgspec.MsgspecError as exc:
        raise _Unsure from exc
    found = {field: whole[field] for field in fields if field in whole}
    if not all(_plain(value) for value in found.values()):
        raise _Unsure
    return found


def _plain(value: Any) -> bool:
    if isinstance(value, str):
        return value == "" or not _typed(value)
    if isinstance(value, list):
        return all(_plain(v) for v in value)
    if isinstance(value, dict):
        return all(not _typed(k) and _plain(v) for k, v in value.items())
    return False


def _string(value: Any) -> str:
    """``value`` when the full reader would read the same one-line string."""
    if value.__class__ is not str or _typed(value):
        raise _Unsure
    return value


@cache
def _typed(value: str) -> bool:
    """Whether the full reader would not read ``value`` as a one-line string: empty, on
    several lines, or a number, bool or null to its resolvers (quoted, it knows better)."""
    if not value or "\n" in value:
        return True
    return any(rx.match(value) for _, rx in IMPLICIT.get(value[0], ()))

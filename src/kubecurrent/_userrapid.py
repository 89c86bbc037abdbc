"""The fastest tier of the user-YAML reader (``useryaml``): rapidyaml (C++) parses a plain file
and emits it as JSON, msgspec decodes that JSON, and one walk checks what the JSON cannot say.

It answers only where its answer is the libyaml reader's, and says None otherwise (the caller
then reads the text with libyaml, which words every error). None for:

* a byte other than ASCII letters, digits, space, newline and ``._/:'"#=+~()-``: no tabs,
  control characters or non-ASCII text, no flow collections (``[`` ``{``), no anchors,
  aliases, tags, directives or block scalars (``&`` ``*`` ``!`` ``%`` ``|`` ``>``), no
  merge keys or complex keys (``<`` ``?``), no escapes (a backslash), no commas;
* a line of 1,000 bytes or more (libyaml refuses a key over 1,024 bytes), or a file whose
  last 500 bytes hold no newline;
* a line starting with a document marker (``---``, ``...``), or holding an odd number of
  ``'`` or of ``"`` (a quoted scalar over several lines);
* a file rapidyaml refuses, a stream of documents, or a document that is not a mapping or a
  sequence;
* a key the libyaml reader would not read as a string (rapidyaml's JSON writes every key as
  a string: ``1``, ``true``, ``~`` and the empty key); a string value the libyaml reader types
  otherwise when it is written plain (``True``, ``NULL``, ``~``, ``0x1F``, ``010``, ``.inf``,
  the empty string), unless it is a decimal number, ``true``, ``false`` or ``null``
  (rapidyaml writes such a plain scalar as a JSON literal, so the string ``"3.1"`` was quoted
  in the file);
* a key written twice in one mapping: rapidyaml keeps both in its JSON, msgspec keeps the
  last, so the mapping sizes do not add up to the keys the JSON writes.

Agreement with the libyaml reader is tested on odd and generated inputs
(``tests/unit/test_useryaml_fast.py``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import msgspec

from kubecurrent.yamljson import long_line, to_json

__all__ = ["rapid_load"]

_OUTSIDE = re.compile(rb"[^A-Za-z0-9 \n._/:'\"#=+~()-]")
_BLOCK = 500
_MARKER = re.compile(rb"^(?:---|\.\.\.)", re.MULTILINE)
_LITERAL = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?|true|false|null")
"""Plain scalars rapidyaml writes as JSON literals (measured on 14,399 numbers of this shape;
not every JSON number: it writes ``0e0`` as a string)."""
_NULL = re.compile(r"~|null|Null|NULL|")


class _Unusual(Exception):
    """The libyaml reader may read this file differently."""


def rapid_load(text: str, typed: Callable[[str], bool]) -> dict[str, Any] | list[Any] | None:
    """The parsed ``text``, or None where the libyaml reader must read it (module docstring).

    ``typed(s)`` is True when the libyaml reader's resolvers give the plain scalar ``s`` a type
    other than string (a boolean, an integer or a float; nulls are known here)."""
    if not text.isascii():
        return None
    data = text.encode("ascii")
    if (
        _OUTSIDE.search(data)
        or long_line(data, _BLOCK)
        or _MARKER.search(data)
        or _open_quote(data)
    ):
        return None
    emitted = to_json(data)
    if emitted is None or emitted.stream or not emitted.container:
        return None
    try:
        value = msgspec.json.decode(emitted.json)
    except msgspec.DecodeError:
        return None
    if not isinstance(value, dict | list):
        return None
    keys = emitted.json.count(b'":') - emitted.json.count(b'\\":')
    try:
        found = _Walk(typed).keys(value)
    except (_Unusual, RecursionError):
        return None
    return value if found == keys else None


def _open_quote(data: bytes) -> bool:
    """True when a line holds an odd number of ``'`` or ``"``: a quoted scalar may go on over
    the next line (libyaml refuses such a key, rapidyaml does not)."""
    return any(line.count(b"'") % 2 or line.count(b'"') % 2 for line in data.split(b"\n"))


class _Walk:
    """Counts the keys of every mapping, refusing the keys and strings of the module docstring;
    each distinct string is judged once."""

    def __init__(self, typed: Callable[[str], bool]) -> None:
        self._typed = typed
        self._keys: dict[str, bool] = {}
        self._strings: dict[str, bool] = {}

    def keys(self, node: Any) -> int:
        if isinstance(node, dict):
            count = len(node)
            for key, value in node.items():
                if self._odd_key(key):
                    raise _Unusual
                count += self._value(value)
            return count
        count = 0
        for item in node:
            count += self._value(item)
        return count

    def _value(self, value: Any) -> int:
        if isinstance(value, str):
            if self._odd_string(value):
                raise _Unusual
            return 0
        if isinstance(value, dict | list):
            return self.keys(value)
        return 0

    def _odd_key(self, key: str) -> bool:
        odd = self._keys.get(key)
        if odd is None:
            odd = self._keys[key] = bool(_NULL.fullmatch(key)) or self._typed(key)
        return odd

    def _odd_string(self, value: str) -> bool:
        odd = self._strings.get(value)
        if odd is None:
            plain_typed = bool(_NULL.fullmatch(value)) or self._typed(value)
            odd = plain_typed and not _LITERAL.fullmatch(value)
            self._strings[value] = odd
        return odd

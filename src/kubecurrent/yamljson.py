"""rapidyaml for the fast YAML readers: a text to rapidyaml's JSON form, in one place.

Two fast paths read YAML with rapidyaml and decode its JSON with msgspec: the file scan
(``collect.files``) and big user files (``useryaml``). Each decides for itself which texts it
trusts rapidyaml with and falls back to libyaml on the rest; what they share is here:

- rapidyaml is imported when first needed, so start-up does not pay for it;
- it prints its parse errors on file descriptor 2 itself: that descriptor points at /dev/null
  while it parses, and a refused text is ``None``;
- ``emit_json`` leaks what it returns (measured: 73 MiB over the file-scan bench corpus), so
  the JSON is emitted into a reused buffer, grown when a tree needs more;
- ``long_line``, the check both paths use to keep long lines away from rapidyaml.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any

import msgspec

__all__ = ["Emitted", "long_line", "to_json"]

_BUFFER = 1 << 20
_buffers: list[bytearray] = []
"""Emit buffers not in use (a thread takes one and puts it back: never shared)."""


class Emitted(msgspec.Struct, frozen=True):
    """A text as rapidyaml's JSON."""

    json: bytes
    stream: bool
    """The text holds several documents (``---``): ``json`` is the list of them."""
    container: bool
    """The root is a mapping, a sequence or a stream (not a lone scalar)."""


def to_json(data: bytes) -> Emitted | None:
    """``data`` parsed by rapidyaml, as its JSON; None when rapidyaml refuses it."""
    ryml = _ryml()
    with _quiet_stderr():
        try:
            tree = ryml.parse_in_arena(data)
            json = _emit(ryml, tree)
        except ryml.ExceptionBasic:
            return None
    if json is None:
        return None
    root = tree.root_id()
    stream = bool(tree.is_stream(root))
    return Emitted(json, stream, stream or bool(tree.is_map(root) or tree.is_seq(root)))


def long_line(data: bytes, block: int) -> bool:
    """Whether some ``block`` bytes of ``data`` hold no line break (so a line of ``2 * block``
    bytes or more always is one)."""
    return any(data.find(b"\n", at, at + block) < 0 for at in range(0, len(data), block))


@cache
def _ryml() -> Any:
    import ryml  # type: ignore[import-untyped]

    return ryml


def _emit(ryml: Any, tree: Any) -> bytes | None:
    buffer = _buffers.pop() if _buffers else bytearray(_BUFFER)
    try:
        for _ in range(2):
            failed, size = ryml.emit_json_to_substr(tree, tree.root_id(), buffer)
            if not failed:
                return bytes(memoryview(buffer)[:size])
            buffer = bytearray(size * 2)
        return None
    finally:
        _buffers.append(buffer)


@contextmanager
def _quiet_stderr() -> Iterator[None]:
    saved = os.dup(2)
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(null)

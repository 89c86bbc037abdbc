"""Reading the YAML files a user writes for kubecurrent: one reader, one set of rules.

Fleet specs, fleet files, rollout strategies, catalog extras, the dashboard's users file and a
chart's Chart.yaml are all read here (manifests being scanned are not: they are read the way
Kubernetes reads them, in ``collect.files``). The rules:

- the safe C loader (``CSafeLoader``) when PyYAML has it, the pure-Python safe loader otherwise;
- UTF-8 only (a byte-order mark is allowed); other bytes are an error naming the file and line;
- a key written twice in one mapping is an error naming both lines (the last one no longer
  silently wins, hiding the first);
- values are resolved as YAML 1.2's core schema does, without YAML 1.1's surprises: ``22:00``
  and ``1:30:00`` stay the strings they look like (YAML 1.1 reads them as base-60 numbers),
  dates stay strings (the field that wants a date parses it and names the field when it is
  invalid), ``yes``/``no``/``on``/``off`` stay strings (only ``true``/``false`` are booleans),
  ``=`` is a string;
- a syntax error names the file, line and column.
Every error is a ``UsageError`` with the file's name and a hint saying what to change.

How it is fast on big files (a 1,000-cluster fleet spec): a plain text of 16 KiB or more is
parsed by rapidyaml and decoded from its JSON by msgspec (``_userrapid``, which answers only
where its answer is the one below, and otherwise leaves the text to it). Else the C parser
composes the node tree once, scalar tags are resolved through a per-file memo (the same values recur), and one walk
over the tree builds the Python values and finds duplicate keys. That walk knows only plain
documents: string/int/float/bool/null scalars, mappings and sequences with their standard tags,
each node used once (the cyclic garbage collector paused meanwhile). Anything else — a duplicate key, an anchor used twice, a merge key, any
other tag, an unhashable key, a value its constructor refuses — sends the same text through
PyYAML's constructor with the rules above (the careful path), so results and error messages are
those of the careful path by construction.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Protocol

import yaml

try:
    from yaml import CSafeLoader as _Base
except ImportError:  # PyYAML built without libyaml
    from yaml import SafeLoader as _Base  # type: ignore[assignment]

from kubecurrent._userrapid import rapid_load
from kubecurrent.errors import UsageError
from kubecurrent.gcpause import collector_paused

__all__ = ["load_user_yaml", "parse_user_yaml"]

_DROPPED = {
    "tag:yaml.org,2002:timestamp",
    "tag:yaml.org,2002:value",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
}
_BOOL = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
_INT = re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$")
_FLOAT = re.compile(
    r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
    r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
)


class _Loader(_Base):
    """The safe loader with YAML 1.2 core resolution and duplicate keys refused."""

    yaml_implicit_resolvers = {  # noqa: RUF012 - PyYAML's own class-level table
        first: [(tag, rx) for tag, rx in resolvers if tag not in _DROPPED]
        for first, resolvers in _Base.yaml_implicit_resolvers.items()
    }

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._tags: dict[tuple[str, tuple[bool, bool]], str] = {}

    def resolve(self, kind: type[yaml.Node], value: Any, implicit: Any) -> str:
        """The base resolver's tag, memoised per file for scalars (values recur)."""
        base = super().resolve
        if kind is not yaml.ScalarNode:
            tag: str = base(kind, value, implicit)  # type: ignore[no-untyped-call]
            return tag
        key = (value, implicit)
        found = self._tags.get(key)
        if found is None:
            found = self._tags[key] = base(kind, value, implicit)  # type: ignore[no-untyped-call]
        return found

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            try:
                first = seen.setdefault(key, line)
            except TypeError:  # an unhashable key: the base class explains it
                break
            if first != line:
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"the key {key!r} is written twice (lines {first} and {line})",
                    key_node.start_mark,
                )
        mapping: dict[Any, Any] = super().construct_mapping(node, deep=deep)
        return mapping


def _construct_int(loader: yaml.SafeLoader, node: yaml.Node) -> int:
    text = str(loader.construct_scalar(node))  # type: ignore[arg-type]
    if text.startswith("0o"):
        return int(text[2:], 8)
    return int(text, 0) if text.startswith("0x") else int(text)


for _tag, _rx, _first in (
    ("tag:yaml.org,2002:bool", _BOOL, "tTfF"),
    ("tag:yaml.org,2002:int", _INT, "-+0123456789"),
    ("tag:yaml.org,2002:float", _FLOAT, "-+.0123456789"),
):
    _Loader.add_implicit_resolver(_tag, _rx, list(_first))
_Loader.add_constructor("tag:yaml.org,2002:int", _construct_int)


RAPID_FROM = 16 * 1024
"""Texts this long (characters) or longer try rapidyaml first (``_userrapid``); below that the
C parser's walk is as fast, without importing rapidyaml."""

_STR = "tag:yaml.org,2002:str"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"


class _ScalarConstructor(Protocol):
    def __call__(self, loader: _Loader, node: yaml.ScalarNode, /) -> Any: ...


_SCALARS: dict[str, _ScalarConstructor] = {
    tag: _Loader.yaml_constructors[tag]
    for tag in (
        "tag:yaml.org,2002:null",
        "tag:yaml.org,2002:bool",
        "tag:yaml.org,2002:int",
        "tag:yaml.org,2002:float",
    )
}


class _Unusual(Exception):
    """The document needs the careful path (see the module docstring)."""


class _Builder:
    """One walk over a composed node tree: the values, or ``_Unusual``."""

    def __init__(self, loader: _Loader) -> None:
        self._loader = loader
        self._seen: set[int] = set()

    def build(self, node: yaml.Node) -> Any:
        tag = node.tag
        if tag == _STR:
            return node.value
        if isinstance(node, yaml.ScalarNode):
            make = _SCALARS.get(tag)
            if make is None:
                raise _Unusual
            return make(self._loader, node)
        if id(node) in self._seen:  # an alias of a collection
            raise _Unusual
        self._seen.add(id(node))
        if tag == _MAP:
            return self._mapping(node.value)
        if tag == _SEQ:
            return [self.build(item) for item in node.value]
        raise _Unusual

    def _mapping(self, pairs: list[tuple[yaml.Node, yaml.Node]]) -> dict[Any, Any]:
        built = {self.build(key): self.build(value) for key, value in pairs}
        if len(built) != len(pairs):  # a key written twice: the careful path words it
            raise _Unusual
        return built


def _typed(plain: str) -> bool:
    """True when the plain scalar ``plain`` resolves to a boolean, an integer or a float."""
    return bool(_BOOL.match(plain) or _INT.match(plain) or _FLOAT.match(plain))


def _load(text: str) -> Any:
    with collector_paused():
        if len(text) >= RAPID_FROM:
            found = rapid_load(text, _typed)
            if found is not None:
                return found
        return _fast_or_careful(text)


def _fast_or_careful(text: str) -> Any:
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        try:
            return _Builder(loader).build(node)
        except (_Unusual, LookupError, TypeError, ValueError, ArithmeticError, RecursionError):
            pass
    finally:
        loader.dispose()
    return _careful_load(text)


def _careful_load(text: str) -> Any:
    with collector_paused():
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - a safe loader


def load_user_yaml(path: Path, what: str) -> Any:
    """The parsed file at ``path``; ``what`` says what the file is for (``fleet spec``)."""
    try:
        data = path.read_bytes()
    except IsADirectoryError:
        raise UsageError(f"{what} {path}: is a directory", hint="pass a YAML file") from None
    except OSError as exc:
        raise UsageError(
            f"{what} {path}: cannot read: {exc.strerror or exc}",
            hint="check the path and its permissions",
        ) from None
    return parse_user_yaml(data, str(path), what)


def parse_user_yaml(data: bytes | str, source: str, what: str, *, careful: bool = False) -> Any:
    """Parse ``data`` (read from ``source``) by the rules of the module docstring.

    ``careful=True`` skips the fast walk: every document through PyYAML's constructor, the
    reference the fast walk is tested against (same values, same errors).
    """
    if isinstance(data, bytes):
        data = _decode(data, source, what)
    try:
        return _careful_load(data) if careful else _load(data)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f", line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = " ".join(str(p) for p in (exc.context, exc.problem) if p)
        if not isinstance(exc, yaml.constructor.ConstructorError):
            problem = f"not valid YAML: {problem}" if problem else "not valid YAML"
        raise UsageError(
            f"{source}{where}: {problem}", hint=f"fix the {what} at the line shown"
        ) from None
    except yaml.YAMLError as exc:
        raise UsageError(
            f"{source}: not valid YAML: {exc}", hint=f"fix the {what}'s YAML"
        ) from None


def _decode(data: bytes, source: str, what: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise UsageError(
            f"{source}, line {line}: not UTF-8 text (byte 0x{data[exc.start]:02x} at "
            f"offset {exc.start})",
            hint=f"save the {what} as UTF-8",
        ) from None

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
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

try:
    from yaml import CSafeLoader as _Base
except ImportError:  # PyYAML built without libyaml
    from yaml import SafeLoader as _Base  # type: ignore[assignment]

from kubecurrent.errors import UsageError

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


def parse_user_yaml(data: bytes | str, source: str, what: str) -> Any:
    """Parse ``data`` (read from ``source``) by the rules of the module docstring."""
    if isinstance(data, bytes):
        data = _decode(data, source, what)
    try:
        return yaml.load(data, Loader=_Loader)  # noqa: S506 - a safe loader
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

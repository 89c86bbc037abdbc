"""How Kubernetes types a plain scalar (the implicit resolvers of ``_yaml.KubeLoader``), as
data: the fast readers (``_rapid``, ``_quick``) ask it whether a value would stay a string
without loading PyYAML; ``_yaml`` gives the same table to its loader. Why each differs from
PyYAML's YAML 1.1: see ``_yaml``."""

from __future__ import annotations

import re

_BOOL = re.compile(
    r"^(?:y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$"
)
_INT = re.compile(
    r"^(?:[-+]?0b[0-1_]+|[-+]?0o[0-7_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)"
    r"|[-+]?0x[0-9a-fA-F_]+)$"
)
_FLOAT = re.compile(
    r"^(?:[-+]?(?:\.[0-9_]+|[0-9][0-9_]*(?:\.[0-9_]*)?)(?:[eE][-+]?[0-9]+)?"
    r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
)
_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_MERGE = re.compile(r"^(?:<<)$")

IMPLICIT: dict[str | None, list[tuple[str, re.Pattern[str]]]] = {}
"""By a value's first character (None: any): the tags it may resolve to and their patterns, in
the order they are tried."""


def _add(tag: str, pattern: re.Pattern[str], first: str | None) -> None:
    starts: list[str | None] = list(first) if first is not None else [None]
    for start in starts:
        IMPLICIT.setdefault(start, []).append((tag, pattern))


_add("tag:yaml.org,2002:bool", _BOOL, "yYnNtTfFoO")
_add("tag:yaml.org,2002:float", _FLOAT, "-+0123456789.")
_add("tag:yaml.org,2002:int", _INT, "-+0123456789")
_add("tag:yaml.org,2002:merge", _MERGE, "<")
_add("tag:yaml.org,2002:null", _NULL, "~nN")
_add("tag:yaml.org,2002:null", _NULL, None)
# int before float where both match: go-yaml tries an integer first.
for _start, _entries in IMPLICIT.items():
    _entries.sort(key=lambda e: e[0] != "tag:yaml.org,2002:int")

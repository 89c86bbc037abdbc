"""Reading upstream's generated Go files: prerelease lifecycle functions and ``register.go``.

Kubernetes API packages (``k8s.io/api/<group>/<version>``, and the aggregator's and
apiextensions' ``pkg/apis/...``) carry two regular, machine-written files this module reads as
text, without a Go toolchain:

- ``zz_generated.prerelease-lifecycle.go``: per type, ``APILifecycleIntroduced``,
  ``APILifecycleDeprecated``, ``APILifecycleRemoved`` (each ``return <major>, <minor>``) and
  ``APILifecycleReplacement`` (``return schema.GroupVersionKind{Group: "...", Version: "...",
  Kind: "..."}``);
- ``types.go`` (and the package's other hand-written files): which types carry the
  ``+genclient`` tag, i.e. are REST resources rather than payloads, options or subresources;
- ``register.go``: ``GroupName``, the ``SchemeGroupVersion`` version, and the types passed to
  ``AddKnownTypes`` (the kinds the group/version registers).

A lifecycle function the patterns do not recognise is an error naming the type: upstream
changed its generator and the parser must follow, rather than silently dropping facts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_MINOR_FUNC = re.compile(
    r"func \(in \*(?P<type>\w+)\) APILifecycle(?P<what>Introduced|Deprecated|Removed)\(\) "
    r"\(major, minor int\) \{\s*return (?P<major>\d+), (?P<minor>\d+)\s*\}"
)
_REPLACEMENT_FUNC = re.compile(
    r"func \(in \*(?P<type>\w+)\) APILifecycleReplacement\(\) schema\.GroupVersionKind \{\s*"
    r'return schema\.GroupVersionKind\{Group: "(?P<group>[^"]*)", '
    r'Version: "(?P<version>[^"]*)", Kind: "(?P<kind>[^"]*)"\}\s*\}'
)
_ANY_FUNC = re.compile(r"func \(in \*(?P<type>\w+)\) APILifecycle(?P<what>\w+)\(")
_GROUP_NAME = re.compile(r'\bGroupName\s*=\s*"(?P<group>[^"]*)"')
_GROUP_VERSION = re.compile(
    r"SchemeGroupVersion\s*=\s*schema\.GroupVersion\{Group:\s*GroupName,\s*"
    r'Version:\s*"(?P<version>[^"]+)"\}'
)
_ADD_KNOWN = re.compile(r"AddKnownTypes\(\s*SchemeGroupVersion\s*,(?P<args>[^)]*)\)")
_TYPE_LITERAL = re.compile(r"&(?P<type>[A-Z]\w*)\{\}")
_TYPE_WITH_COMMENTS = re.compile(
    r"(?P<comments>(?:^//.*\n)+(?:\n(?:^//.*\n)+)?)^type (?P<type>[A-Z]\w*) struct", re.M
)
_GENCLIENT = re.compile(r"^//\s*\+genclient\s*$", re.M)

Minor = tuple[int, int]


class GoSourceError(ValueError):
    """A generated Go file that does not have the shape this parser knows."""


@dataclass(frozen=True, slots=True)
class TypeLifecycle:
    """Upstream's lifecycle facts for one Go type (one kind)."""

    type_name: str
    introduced: Minor | None = None
    deprecated: Minor | None = None
    removed: Minor | None = None
    replacement: tuple[str, str, str] | None = None
    """(group, version, kind) to use instead."""


@dataclass(frozen=True, slots=True)
class Registration:
    """What a ``register.go`` declares: the group/version and the kinds it registers."""

    group: str
    version: str
    kinds: tuple[str, ...]


def parse_lifecycle(text: str) -> dict[str, TypeLifecycle]:
    """Every type's lifecycle in a ``zz_generated.prerelease-lifecycle.go`` file, by type name."""
    facts: dict[str, dict[str, object]] = {}
    recognised = 0
    for m in _MINOR_FUNC.finditer(text):
        value = (int(m["major"]), int(m["minor"]))
        facts.setdefault(m["type"], {})[m["what"].lower()] = value
        recognised += 1
    for m in _REPLACEMENT_FUNC.finditer(text):
        facts.setdefault(m["type"], {})["replacement"] = (m["group"], m["version"], m["kind"])
        recognised += 1
    functions = list(_ANY_FUNC.finditer(text))
    if recognised != len(functions):
        known = {(n, w.lower()) for n, f in facts.items() for w in f}
        odd = next(
            f"{m['type']}.APILifecycle{m['what']}"
            for m in functions
            if (m["type"], m["what"].lower()) not in known
        )
        raise GoSourceError(f"unrecognised lifecycle function {odd}: update the parser")
    return {
        name: TypeLifecycle(
            type_name=name,
            introduced=_minor(f.get("introduced")),
            deprecated=_minor(f.get("deprecated")),
            removed=_minor(f.get("removed")),
            replacement=_gvk(f.get("replacement")),
        )
        for name, f in facts.items()
    }


def _minor(value: object) -> Minor | None:
    if value is None:
        return None
    assert isinstance(value, tuple)
    return (int(value[0]), int(value[1]))


def _gvk(value: object) -> tuple[str, str, str] | None:
    if value is None:
        return None
    assert isinstance(value, tuple)
    return (str(value[0]), str(value[1]), str(value[2]))


def parse_register(text: str) -> Registration:
    """The group, version and registered kinds of a ``register.go``."""
    group = _GROUP_NAME.search(text)
    version = _GROUP_VERSION.search(text)
    if group is None or version is None:
        missing = "GroupName" if group is None else "SchemeGroupVersion"
        raise GoSourceError(f"register.go without a recognisable {missing}")
    kinds: list[str] = []
    for call in _ADD_KNOWN.finditer(text):
        kinds += [t["type"] for t in _TYPE_LITERAL.finditer(call["args"])]
    return Registration(group["group"], version["version"], tuple(dict.fromkeys(kinds)))


def resource_types(text: str) -> set[str]:
    """Types tagged ``+genclient`` (in the one or two comment blocks above ``type X struct``)."""
    return {
        m["type"] for m in _TYPE_WITH_COMMENTS.finditer(text) if _GENCLIENT.search(m["comments"])
    }

"""Plain scalars typed the way Kubernetes types them, not the way PyYAML's YAML 1.1 does.

The API server and kubectl read YAML with sigs.k8s.io/yaml, which converts it to JSON through
its fork of go-yaml v2 (``goyaml.v2/resolve.go``; decoding into ``interface{}``). Where that
differs from PyYAML's YAML 1.1 resolver, ``KubeLoader`` follows Kubernetes:

* ``=`` is the string ``"="`` (YAML 1.1's value tag, which PyYAML cannot construct);
* no base-60 numbers: ``1:30`` and ``190:20:30`` are strings;
* timestamps are strings (go-yaml v2 keeps them as text when decoding into ``interface{}``), so
  ``2024-02-30`` is a string, not an error;
* ``y``/``Y``/``n``/``N`` are booleans, like ``yes``/``no``/``on``/``off``/``true``/``false``;
* ``1e3`` is a float (no decimal point needed), ``0o17`` is an octal integer;
* a mapping key typed as a boolean or number becomes its JSON text (``y:`` is the key
  ``"true"``), as sigs.k8s.io/yaml does when it converts to JSON;
* a tag go-yaml does not know (``!!string``, ``!Ref``, ``!!python/name:x``) is ignored: the
  value is read as its plain text, list or mapping (nothing is ever called or built).

One thing Kubernetes' non-strict reading does that a scan must not: a mapping with
``apiVersion`` or ``kind`` written twice keeps the last one silently, so a second ``apiVersion:``
would hide a removed one. ``KubeLoader`` (manifests) refuses it, naming both lines; ``load``
(Chart.yaml, kustomization files, which helm and kustomize read non-strictly) does not.

Everything else (null words, ``0x``/``0b``/leading-zero integers, ``.inf``/``.nan``, ``<<``
merge keys, anchors) already agrees. The fields kubecurrent judges (``apiVersion``, ``kind``,
``metadata.name``/``namespace``, RBAC rules) must be strings, so the point is only that a value
Kubernetes reads as a string is read as one here, and one it reads as a number or boolean is not.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

import yaml

from kubecurrent.collect.files._scalars import IMPLICIT

_Base: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class KubeLoader(_Base):  # type: ignore[valid-type,misc]
    """A safe loader (libyaml's parser where available) with Kubernetes' scalar typing."""

    yaml_implicit_resolvers: ClassVar[dict[str | None, list[tuple[str, re.Pattern[str]]]]] = (
        IMPLICIT
    )
    identity_once: ClassVar[bool] = True
    """Refuse a mapping with ``apiVersion`` or ``kind`` written twice."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        """Keys as JSON has them: a key typed as a boolean or number becomes its text; an
        identity key written twice is an error."""
        if self.identity_once:
            _identity_once(node)
        mapping = super().construct_mapping(node, deep=deep)
        return {_key(k): v for k, v in mapping.items()}


_IDENTITY_KEYS = frozenset({"apiVersion", "kind"})


def _identity_once(node: yaml.MappingNode) -> None:
    seen: dict[str, int] = {}
    for key, _ in node.value:
        if isinstance(key, yaml.ScalarNode) and key.value in _IDENTITY_KEYS:
            line = key.start_mark.line + 1
            if key.value in seen:
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"the key {key.value!r} is written twice (lines {seen[key.value]} and "
                    f"{line}), so one of them would be silently ignored: keep one",
                    key.start_mark,
                )
            seen[key.value] = line


def _key(key: Any) -> Any:
    if isinstance(key, bool):
        return "true" if key else "false"
    if isinstance(key, int | float):
        return format(key, "g") if isinstance(key, float) else str(key)
    return key


def _construct_int(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> int:
    text = str(loader.construct_scalar(node)).replace("_", "")
    sign = -1 if text.startswith("-") else 1
    digits = text.lstrip("+-")
    if digits.startswith("0o"):
        return sign * int(digits[2:], 8)
    return sign * int(digits, 0) if digits[:2] in ("0x", "0b") else _plain_int(sign, digits)


def _plain_int(sign: int, digits: str) -> int:
    if len(digits) > 1 and digits.startswith("0"):
        return sign * int(digits, 8)
    return sign * int(digits)


def _construct_bool(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> bool:
    return str(loader.construct_scalar(node)).lower() in ("y", "yes", "true", "on")


def _construct_float(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> float:
    text = str(loader.construct_scalar(node)).replace("_", "")
    lowered = text.lower()
    if lowered.endswith(".inf"):
        return float("-inf") if lowered.startswith("-") else float("inf")
    if lowered == ".nan":
        return float("nan")
    return float(text)


def _construct_untagged(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    """A tag go-yaml does not know (``!!string``, ``!Ref``, ``!!python/name:x``) is ignored:
    the node is read as its plain text, list or mapping. Nothing is ever called or built."""
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node)
    return loader.construct_scalar(node)  # type: ignore[arg-type]


KubeLoader.add_constructor(None, _construct_untagged)
KubeLoader.add_constructor("tag:yaml.org,2002:bool", _construct_bool)
KubeLoader.add_constructor("tag:yaml.org,2002:merge", yaml.SafeLoader.construct_yaml_str)
KubeLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)
KubeLoader.add_constructor("tag:yaml.org,2002:float", _construct_float)


class _ToolLoader(KubeLoader):
    """For the files helm and kustomize read themselves, as leniently as they do."""

    identity_once = False


def load(text: bytes | str) -> Any:
    """One document of a tool's own file (Chart.yaml, kustomization), typed as Kubernetes
    would type it."""
    return yaml.load(text, Loader=_ToolLoader)  # noqa: S506 - a safe loader

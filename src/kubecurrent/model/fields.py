"""Pydantic field types for versions, for the models that validate input (catalog, inventory).

Kept apart from ``kubecurrent.model.version`` so that version arithmetic does not import
pydantic: a file scan uses the one and not the other.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BeforeValidator, PlainSerializer

from kubecurrent.model.version import KubeVersion, MinorVersion


def _parse_minor(value: object) -> MinorVersion:
    if isinstance(value, MinorVersion):
        return value
    if isinstance(value, float):  # YAML reads an unquoted 1.30 as the float 1.3
        raise ValueError(f"write the minor version {value!r} in quotes, e.g. '1.30'")
    return MinorVersion.parse(str(value))


def _parse_kube(value: object) -> KubeVersion:
    if isinstance(value, KubeVersion):
        return value
    if isinstance(value, float):
        raise ValueError(f"write the version {value!r} in quotes, e.g. '1.30.4'")
    return KubeVersion.parse(str(value))


MinorField = Annotated[
    MinorVersion, BeforeValidator(_parse_minor), PlainSerializer(str, return_type=str)
]
"""A pydantic field type: accepts ``"1.36"``, serialises back to ``"1.36"``."""

KubeVersionField = Annotated[
    KubeVersion,
    BeforeValidator(_parse_kube),
    PlainSerializer(lambda v: str(v).removeprefix("v"), return_type=str),
]
"""A pydantic field type: accepts ``"1.36.3"`` or ``"v1.36.3"``, serialises as ``"1.36.3"``."""

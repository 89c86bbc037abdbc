"""Pydantic field types for add-on versions and ranges, for the catalog's validated models.

Apart from ``_dotted`` so that a file scan compares add-on versions without importing pydantic.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BeforeValidator, PlainSerializer

from kubecurrent.catalog._dotted import DottedVersion, VersionRange


def _parse_dotted(value: object) -> DottedVersion:
    if isinstance(value, DottedVersion):
        return value
    if isinstance(value, float | int):  # YAML reads an unquoted 1.10 as the float 1.1
        raise ValueError(f"write the version {value!r} in quotes, e.g. '1.10'")
    return DottedVersion.parse(str(value))


def _parse_range(value: object) -> VersionRange:
    return value if isinstance(value, VersionRange) else VersionRange.parse(str(value))


DottedField = Annotated[
    DottedVersion, BeforeValidator(_parse_dotted), PlainSerializer(str, return_type=str)
]
RangeField = Annotated[
    VersionRange, BeforeValidator(_parse_range), PlainSerializer(str, return_type=str)
]

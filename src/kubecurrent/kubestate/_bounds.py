"""The largest JSON text an object of a CRD can be, computed from its schema's limits.

etcd refuses a write larger than its request limit (``--max-request-bytes``, 1.5 MiB by
default: https://etcd.io/docs/v3.5/dev-guide/limit/), so every list and string of the status
kubecurrent writes has a ``maxItems``/``maxLength``, and ``worst_case_bytes`` adds them up the
way the API server serialises the object (JSON; a character may take up to 6 bytes, ``\\u003c``
for ``<``). A test keeps each CRD's bound below the limit.
"""

from __future__ import annotations

from typing import Any

from kubecurrent.errors import UsageError

__all__ = ["ETCD_REQUEST_LIMIT", "METADATA_ALLOWANCE", "worst_case_bytes"]

ETCD_REQUEST_LIMIT = 1536 * 1024
"""etcd's default ``--max-request-bytes`` (1.5 MiB)."""

METADATA_ALLOWANCE = 64 * 1024
"""``metadata`` (name, labels, owner references, managedFields) of an object kubecurrent writes."""

_BYTES_PER_CHAR = 6
_FORMATTED = {"date-time": 35, "date": 12, "int64": 20}
_NUMBER = 24


def worst_case_bytes(schema: dict[str, Any], where: str = "") -> int:
    """Upper bound of the JSON text of a value valid under ``schema`` (a structural schema).

    A string or list without a bound makes the bound infinite: that is reported as an error
    naming the field, because such a field could make the object too large for etcd.
    """
    kind = schema.get("type")
    if kind is None and schema.get("x-kubernetes-preserve-unknown-fields"):
        return _either(schema, where)
    if "enum" in schema:
        return max(len(str(v)) for v in schema["enum"]) + 2
    if kind == "string":
        if "format" in schema and "maxLength" not in schema:
            return _FORMATTED[schema["format"]] + 2
        if "maxLength" not in schema:
            raise _unbounded(where, "maxLength")
        return int(schema["maxLength"]) * _BYTES_PER_CHAR + 2
    if kind in ("integer", "number"):
        return _NUMBER
    if kind == "boolean":
        return 5
    if kind == "array":
        if "maxItems" not in schema:
            raise _unbounded(where, "maxItems")
        item = worst_case_bytes(schema["items"], f"{where}[]")
        return int(schema["maxItems"]) * (item + 1) + 2
    if kind == "object":
        if "additionalProperties" in schema:
            if "maxProperties" not in schema:
                raise _unbounded(where, "maxProperties")
            value = worst_case_bytes(schema["additionalProperties"], f"{where}.*")
            return int(schema["maxProperties"]) * (63 * _BYTES_PER_CHAR + value + 4) + 2
        props = schema.get("properties", {})
        return 2 + sum(
            len(key) + 4 + worst_case_bytes(sub, f"{where}.{key}") for key, sub in props.items()
        )
    raise UsageError(f"schema at {where or '.'}: type {kind!r} has no size bound")


def _either(schema: dict[str, Any], where: str) -> int:
    """A node that is a string or a one-key map (a webhook URL, or ``{env: NAME}`` /
    ``{file: PATH}``): ``maxLength`` bounds the string, ``maxProperties: 1`` the map, whose value
    the controller refuses beyond ``maxLength`` (``SecretSource``) before recording it."""
    if "maxLength" not in schema or schema.get("maxProperties") != 1:
        raise _unbounded(where, "maxLength and maxProperties: 1")
    return (int(schema["maxLength"]) + 8) * _BYTES_PER_CHAR + 4


def _unbounded(where: str, limit: str) -> UsageError:
    return UsageError(
        f"schema at {where}: no {limit}, so an object could outgrow etcd's request limit",
        hint=f"give {where} a {limit}",
    )

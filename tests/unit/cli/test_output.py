"""JSON output: the fast writers print exactly what ``json.dumps(indent=2, default=str)`` does."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from kubecurrent.cli._output import to_json, typed_json

_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=30,
)


@given(_json)
def test_any_json_value_is_written_as_the_standard_library_writes_it(value: Any) -> None:
    assert to_json(value) == json.dumps(value, indent=2, default=str)


def test_values_json_cannot_hold_are_written_with_str_and_non_ascii_is_escaped() -> None:
    value = {
        "when": dt.datetime(2026, 12, 6, 7, 0, tzinfo=dt.UTC),
        "path": Path("/srv/app.yaml"),
        "arrow": "1.31 → 1.32",
        "empty": [{}, []],
        "numbers": (1, 2.5, -0.0, 10**20, float("inf")),
    }
    text = to_json(value)
    assert text == json.dumps(value, indent=2, default=str)
    assert '"when": "2026-12-06 07:00:00+00:00"' in text
    assert "\\u2192" in text


_typed = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=30,
)
"""What ``typed_json`` is for: JSON without floats (any text, control characters, non-ASCII
and DEL included)."""


@given(_typed)
def test_typed_json_writes_what_the_standard_library_writes(value: Any) -> None:
    assert typed_json(value) == json.dumps(value, indent=2, default=str)


def test_typed_json_escapes_every_ascii_byte_as_the_standard_library_does() -> None:
    ascii_text = "".join(map(chr, range(128)))  # control characters, quotes, backslash, DEL
    for text in (ascii_text, ascii_text.replace("\x7f", ""), "café", "plain", 'q"uote\\'):
        value = {"findings": [{"name": text, "line": 3, "ok": True, "none": None}], text: []}
        assert typed_json(value) == json.dumps(value, indent=2, default=str)


def test_typed_json_falls_back_for_values_msgspec_cannot_write() -> None:
    value = {"path": Path("/srv/app.yaml"), "items": [{}, []]}
    assert typed_json(value) == json.dumps(value, indent=2, default=str)

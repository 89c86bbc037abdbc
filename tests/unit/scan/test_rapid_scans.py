"""The rapid tier's byte scans, written to find the rarer byte first, against their plain
definitions (substring tests over the whole file): the same answer on every input."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from kubecurrent.collect.files._rapid import (
    _BLOCK,
    _CLOSING_STARTS,
    UNBUILDABLE,
    _closing_start,
    _empty_key,
    unbuildable,
)
from kubecurrent.yamljson import long_line

# Bytes the scans look at, and some they do not, so that hits and near misses are both common.
ALPHABET = list(b" \n-:[]{},_.0xbo a\t#")
texts = st.lists(st.sampled_from(ALPHABET), max_size=60).map(lambda b: b"\n" + bytes(b))


def plain_empty_key(data: bytes) -> bool:
    unindented = data.translate(None, b" -")
    flat = unindented.translate(None, b"\n")
    return b"\n:" in unindented or b"[:" in flat or b"{:" in flat or b",:" in flat


@settings(max_examples=1000)
@given(texts)
def test_scans_answer_as_their_substring_definitions(data: bytes) -> None:
    assert _closing_start(data) == any(n in data for n in _CLOSING_STARTS)
    assert unbuildable(data) == any(n in data for n in UNBUILDABLE)
    assert _empty_key(data) == plain_empty_key(data)


@given(st.lists(st.integers(min_value=0, max_value=3 * _BLOCK), max_size=6))
def test_long_line_is_a_block_without_a_line_break(lengths: list[int]) -> None:
    data = b"\n".join(b"x" * n for n in lengths)
    blocks = range(0, len(data), _BLOCK)
    assert long_line(data, _BLOCK) == any(b"\n" not in data[at : at + _BLOCK] for at in blocks)


def test_the_scans_find_what_they_look_for() -> None:
    assert _closing_start(b"\na: [x ]\n") and not _closing_start(b"\na: [x]\n")
    assert unbuildable(b"\na: 0x_1\n") and unbuildable(b"\na: ._\n")
    assert not unbuildable(b"\nMY_VAR: x_y\n")
    assert _empty_key(b"\na: [\n\n: x]\n") and not _empty_key(b"\na: [b: x]\n")

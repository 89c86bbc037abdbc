"""The fast readers' shared rapidyaml step: JSON equal to what libyaml reads, at any size."""

from __future__ import annotations

import msgspec
import pytest
import yaml

from kubecurrent.yamljson import long_line, to_json

pytestmark = pytest.mark.unit


def test_a_tree_bigger_than_the_buffer_is_emitted_whole() -> None:
    # 3 MiB of JSON: more than the first buffer, so the buffer is grown and the emit repeated
    text = "\n".join(f"key{i}: value-{i}-" + "x" * 40 for i in range(60_000)).encode()
    emitted = to_json(text)
    assert emitted is not None and len(emitted.json) > 1 << 21
    assert msgspec.json.decode(emitted.json) == yaml.load(text, Loader=yaml.CSafeLoader)
    again = to_json(b"a: 1\n")  # the grown buffer is reused: nothing of the last text shows
    assert again is not None and msgspec.json.decode(again.json) == {"a": 1}


def test_streams_scalars_and_refusals_are_told_apart(capfd: pytest.CaptureFixture[str]) -> None:
    stream = to_json(b"a: 1\n---\nb: 2\n")
    assert stream is not None and stream.stream and stream.container
    assert msgspec.json.decode(stream.json) == [{"a": 1}, {"b": 2}]
    scalar = to_json(b"just words\n")
    assert scalar is not None and not scalar.stream and not scalar.container
    assert to_json(b"a: {b: c: d}\n") is None
    assert capfd.readouterr().err == "", "rapidyaml's own error message is kept off stderr"


def test_a_long_line_is_a_block_without_a_line_break() -> None:
    assert long_line(b"x" * 10, 5)
    assert not long_line(b"xxxx\nxxxx\n", 5)
    assert not long_line(b"", 5)

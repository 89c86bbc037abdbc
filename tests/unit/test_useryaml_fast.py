"""The fast walk of the user-YAML reader gives exactly what the careful path gives (issue #14).

``parse_user_yaml`` builds plain documents in one walk over the composed tree and hands anything
unusual to PyYAML's constructor; ``careful=True`` always takes the constructor. Both must agree
on every input: the same values of the same types in the same order, or the same error.
"""

from __future__ import annotations

import gc
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kubecurrent.errors import UsageError
from kubecurrent.useryaml import parse_user_yaml

ODD = [
    "",
    "# only a comment\n",
    "--- a\n--- b\n",
    "a: &x {b: 1}\nc: *x\n",
    "a: &x [1, 2]\nc: *x\nd: *x\n",
    "base: &b {x: 1, y: 2}\nover:\n  <<: *b\n  y: 3\n",
    "a: &s text\nb: *s\n",
    "a: *missing\n",
    "a: !!str 5\nb: !!int '7'\nc: !!float 1\nd: !!bool yes\ne: !!null ''\n",
    "a: !!int abc\n",
    "a: !!binary aGVsbG8=\n",
    "a: !!set {x, y}\n",
    "a: !!omap [x: 1]\n",
    "a: !!timestamp 2024-01-01\n",
    "a: !custom {b: 1}\n",
    "a: !!python/object:os.system x\n",
    "{a: 1, a: 2}\n",
    "a: 1\nb: 2\na: 3\n",
    "x:\n  k: 1\n  k: 1\n",
    "? [a, b]\n: c\n",
    "? {a: 1}\n: c\n",
    "1: a\n1.0: b\ntrue: c\n",
    "~: a\nnull: b\n",
    "a: .inf\nb: -.Inf\nc: .NaN\nd: +.INF\ne: -0.0\nf: 1.\ng: .5\nh: 1e3\n",
    "a: 0o17\nb: 0x1F\nc: 010\nd: +5\ne: -0\nf: 1_000\ng: 0b11\n",
    "a: 99999999999999999999999999999\n",
    "a: " + "9" * 5000 + "\n",
    "a: 22:00\nb: 1:30:00\nc: 2024-02-30\nd: yes\ne: off\nf: =\ng: True\nh: FALSE\n",
    "a: 'true'\nb: \"1\"\nc: |\n  5\nd: >\n  null\n",
    "[" * 200 + "]" * 200 + "\n",
    "a:\n" + "".join(f"{'  ' * i}- \n" for i in range(1, 60)),
    "clusters:\n  - name: a\n    kubernetes: '1.30.1'\n    nodePools: [{name: p, kubelet: 1.29.3}]\n",
]

_ODD_SCALARS = [
    "1",
    "-1",
    "+1",
    "0x1f",
    "0o7",
    "1.5",
    ".inf",
    "-.inf",
    ".nan",
    "true",
    "False",
    "yes",
    "no",
    "~",
    "null",
    "22:00",
    "2024-01-01",
    "=",
    "<<",
    "'q'",
    '"d"',
    "[]",
    "{}",
    "[1,1]",
    "{k:1,k:2}",
    "*a",
]
SCALARS = st.one_of(
    st.sampled_from([*_ODD_SCALARS, "!!str 1", "!!int 2", "&a 1"]),
    st.text(alphabet="abc019.:-+_ xe", max_size=8),
)
KEYS = st.one_of(st.sampled_from(["a", "b", "1", "true", "<<", "~", "? [x]"]), SCALARS)


@st.composite
def documents(draw: st.DrawFn) -> str:
    """Block mappings and sequences, nested, with keys and scalars that test the resolver."""
    lines: list[str] = []
    for _ in range(draw(st.integers(1, 12))):
        indent = "  " * draw(st.integers(0, 3))
        shape = draw(st.sampled_from(["pair", "item", "open", "anchor"]))
        key, value = draw(KEYS), draw(SCALARS)
        if shape == "pair":
            lines.append(f"{indent}{key}: {value}")
        elif shape == "item":
            lines.append(f"{indent}- {value}")
        elif shape == "open":
            lines.append(f"{indent}{key}:")
        else:
            lines.append(f"{indent}{key}: &a {{x: {value}}}")
    return "\n".join(lines) + "\n"


def _outcome(text: str, *, careful: bool) -> tuple[str, str]:
    try:
        value: Any = parse_user_yaml(text, "f.yaml", "fleet spec", careful=careful)
    except UsageError as exc:
        return ("usage error", f"{exc.message} | {exc.hint}")
    except Exception as exc:  # whatever the careful path raises, the fast one must
        return (type(exc).__name__, str(exc))
    return ("value", repr(value))


def _same(text: str) -> None:
    assert _outcome(text, careful=False) == _outcome(text, careful=True), text


@pytest.mark.parametrize("text", ODD)
def test_odd_documents_read_the_same_on_both_paths(text: str) -> None:
    _same(text)


@settings(max_examples=300, deadline=None)
@given(text=documents())
def test_generated_documents_read_the_same_on_both_paths(text: str) -> None:
    _same(text)


def test_aliases_stay_shared_objects() -> None:
    data = parse_user_yaml("a: &x [1]\nb: *x\n", "f.yaml", "fleet spec")
    assert data["a"] is data["b"]


def test_the_collector_is_back_on_after_reading_even_on_error() -> None:
    assert gc.isenabled()
    parse_user_yaml("a: 1\n", "f.yaml", "fleet spec")
    with pytest.raises(UsageError):
        parse_user_yaml("a: 1\na: 2\n", "f.yaml", "fleet spec")
    assert gc.isenabled()

"""The fast tiers of the user-YAML reader give exactly what the careful path gives (issue #14).

``parse_user_yaml`` builds plain documents in one walk over the composed tree and hands anything
unusual to PyYAML's constructor; ``careful=True`` always takes the constructor. Both must agree
on every input: the same values of the same types in the same order, or the same error.
"""

from __future__ import annotations

import gc
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kubecurrent._userrapid import rapid_load
from kubecurrent.errors import UsageError
from kubecurrent.useryaml import RAPID_FROM, _typed, parse_user_yaml

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"

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


# The rapidyaml tier (``_userrapid``): where it answers, the careful path gives the same value;
# where the careful path refuses a text, it does not answer.

_RAPID_SCALARS = [
    *("0", "7", "10", "-3", "010", "00", "-0", "+1", "1_000", "0x1F", "0o7", "0b11"),
    *("3.1", "1.24", "-1.5", "0.0", "-0.0", "1.", "0.", ".5", "-.5", "1.e3", ".5e3"),
    *("1e3", "1E3", "0e0", "1e-3", "1.5E+3", "1e", "1.5.", ".inf", "-.Inf", ".NaN"),
    *("true", "false", "True", "FALSE", "yes", "off", "null", "Null", "NULL", "~", ""),
    *("'3.1'", '"1.24"', "'88'", "'true'", "'null'", "'~'", "''", '""', "'it''s'"),
    *('"a\'b"', "'a\"b'", "'0x1F'", "'True'", "'a # b'", '"a:b"', "'-'"),
    *("a", "a b", "a:b", "a#b", "a # comment", "-a", "a-", "a.b/c", "=", "(x)", "a: b"),
    *("1.33.2", "v1.2.3", "22:00", "1:30:00", "2024-01-01", "a:", "'", '"', "#"),
]
RAPID_SCALARS = st.one_of(
    st.sampled_from(_RAPID_SCALARS), st.text(alphabet="ab01.:-+_ e#'\"~", max_size=6)
)
RAPID_KEYS = st.one_of(
    st.sampled_from(["a", "b", "name", "1", "true", "~", "'1'", '"x"', "a b", "''"]),
    st.text(alphabet="ab1.-_'", min_size=1, max_size=4),
)


@st.composite
def plain_documents(draw: st.DrawFn) -> str:
    """Block documents in the alphabet the rapidyaml tier takes, with odd scalars, indents,
    nested sequences, continuation lines, comments and document markers."""
    lines: list[str] = []
    for _ in range(draw(st.integers(1, 12))):
        indent = " " * draw(st.sampled_from([0, 0, 2, 2, 4, 1, 3]))
        key, value = draw(RAPID_KEYS), draw(RAPID_SCALARS)
        shape = draw(st.sampled_from(["pair", "pair", "item", "open", "item-pair", "odd"]))
        if shape == "pair":
            lines.append(f"{indent}{key}: {value}")
        elif shape == "item":
            lines.append(f"{indent}- {value}")
        elif shape == "open":
            lines.append(f"{indent}{key}:")
        elif shape == "item-pair":
            lines.append(f"{indent}- {key}: {value}")
        else:
            odd = ["---", "...", "- - a", "# comment", "", f"{indent}  {value}", "  - x"]
            lines.append(draw(st.sampled_from(odd)))
    return "\n".join(lines) + draw(st.sampled_from(["\n", "", "\n\n"]))


def _rapid_agrees(text: str) -> bool:
    """Whether the rapidyaml tier answered; asserts its answer is the careful path's."""
    fast = rapid_load(text, _typed)
    if fast is None:
        return False
    assert _outcome(text, careful=True) == ("value", repr(fast)), text
    return True


@pytest.mark.parametrize("text", ODD)
def test_odd_documents_are_left_to_libyaml_or_read_the_same(text: str) -> None:
    _rapid_agrees(text)


RAPID_ODD = [
    "a: 1\nb: 2\na: 3\n",
    "x:\n  k: 1\n  k: 1\n",
    "a:\n  b: 1\n c: 2\n",
    "a: b\n  c: d\n",
    "- a\nb: c\n",
    "a:\n- b\n- c\nd: e\n",
    "'1': a\n1: b\n",
    "a: 'x\n  y'\n",
    "a: x\n  y\n  z\n",
    "a: 'unterminated\n",
    "a: b # c: d\n",
    "---\na: 1\n",
    "a: 1\n...\n",
    "k: " + "x" * 1200 + "\n",
    "k" * 1100 + ": v\n",
]


@pytest.mark.parametrize("text", RAPID_ODD)
def test_odd_plain_documents_are_left_to_libyaml_or_read_the_same(text: str) -> None:
    _rapid_agrees(text)


@settings(max_examples=600, deadline=None)
@given(text=plain_documents())
def test_generated_plain_documents_read_the_same_on_the_rapidyaml_tier(text: str) -> None:
    _rapid_agrees(text)


def test_the_rapidyaml_tier_reads_a_generated_fleet_spec_as_libyaml_does() -> None:
    text = (FIXTURES / "plan" / "fleet.yaml").read_text()
    assert _rapid_agrees(text * 1)  # answered, and the same
    assert len(text) >= RAPID_FROM  # so the golden plan test (plan/test_same_output) reads it here


def test_the_rapidyaml_tier_leaves_a_duplicate_key_to_libyaml() -> None:
    text = "clusters:\n- name: a\n  name: b\n" + "# pad\n" * 4000
    assert rapid_load(text, _typed) is None
    with pytest.raises(UsageError, match="written twice"):
        parse_user_yaml(text, "f.yaml", "fleet spec")

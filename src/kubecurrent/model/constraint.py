"""Semantic-version constraints as Helm charts write ``kubeVersion`` (Masterminds semver syntax).

Supported: ``||`` alternatives; comparisons joined by spaces or commas (``>= 1.21.0-0 < 1.30``);
``=``, ``!=``, ``>``, ``<``, ``>=``, ``<=``, ``~`` (patch-level), ``^`` (minor-level); wildcards
``1.x``/``1.*``; hyphen ranges ``1.20 - 1.28``. A ``-0`` style pre-release sorts before the
release, so ``< 1.30.0-0`` excludes every 1.30 build.
"""

from __future__ import annotations

import re

Version = tuple[int, int, int, int]
_TERM_RE = re.compile(
    r"^(?P<op>!=|>=|=>|<=|=<|>|<|=|~>|~|\^)?\s*v?(?P<ver>[0-9xX*]+(?:\.[0-9xX*]+){0,2})(?P<pre>-[0-9A-Za-z.-]+)?(?:\+\S*)?$"
)
_WILD = ("x", "X", "*")


class ConstraintError(ValueError):
    """The constraint text is not one this evaluator understands."""


def satisfies(version: tuple[int, int, int], constraint: str) -> bool:
    """Whether ``version`` (a release, no pre-release) meets ``constraint``."""
    v: Version = (*version, 1)
    return any(_all_of(v, alt) for alt in constraint.split("||"))


def _all_of(v: Version, text: str) -> bool:
    text = re.sub(r"(\d)\s+-\s+(\d)", r"\1 - \2", text.strip())
    hyphen = re.fullmatch(r"(\S+) - (\S+)", text)
    if hyphen:
        return _term(v, ">=" + hyphen[1]) and _term(v, "<=" + hyphen[2])
    terms = re.sub(r"(!=|>=|=>|<=|=<|~>|[<>=~^])\s+", r"\1", text).replace(",", " ").split()
    if not terms:
        raise ConstraintError(f"empty constraint {text!r}")
    return all(_term(v, t) for t in terms)


def _term(v: Version, text: str) -> bool:
    m = _TERM_RE.match(text)
    if not m:
        raise ConstraintError(f"cannot read version constraint {text!r}")
    parts = m["ver"].split(".")
    nums = [int(p) for p in parts if p not in _WILD]
    wild = len(nums) < 3
    base: Version = (*(nums + [0] * (3 - len(nums))), 0 if m["pre"] else 1)  # type: ignore[assignment]
    op = m["op"] or "="
    if op in ("~", "~>") or (wild and op == "="):
        return base <= v < _bump(nums, max(len(nums) - 1, 0) if wild else 1)
    if op == "^":
        first_nonzero = next((i for i, n in enumerate(nums) if n), len(nums) - 1)
        return base <= v < _bump(nums, max(first_nonzero, 0))
    if wild and op in ("<=", "=<"):
        return v < _bump(nums, len(nums) - 1)
    if wild and op == ">":
        return v >= _bump(nums, len(nums) - 1)
    return _compare(v, op, base)


def _bump(nums: list[int], index: int) -> Version:
    """The smallest version above everything that matches ``nums`` up to ``index``."""
    if not nums:
        return (10**9, 0, 0, 0)
    head = nums[: index + 1] if index < len(nums) else nums
    head = [*head[:-1], head[-1] + 1]
    padded = head + [0] * (3 - len(head))
    return (padded[0], padded[1], padded[2], 0)


def _compare(v: Version, op: str, base: Version) -> bool:
    return {
        "=": v == base,
        "!=": v != base,
        ">": v > base,
        "<": v < base,
        ">=": v >= base,
        "=>": v >= base,
        "<=": v <= base,
        "=<": v <= base,
    }[op]

"""Collecting every catalog problem before failing, so one run shows the whole list.

Loading never stops at the first bad entry: each problem is recorded with its file, entry and
fix, and ``Problems.raise_if_any()`` turns them into one ``CatalogError``::

    3 problems in 2 files
      apis.yaml: entry 1 (batch/v1beta1 CronJob): removed_in 1.20 is before deprecated_in 1.21
      apis.yaml: entry 4 (...): duplicate apis entry, already defined as entry 2 (...) in apis.yaml
      extra.yaml: line 3, column 1: not valid YAML: ...
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kubecurrent.errors import CatalogError

GENERIC_HINT = (
    "fix each problem listed (entry schema and rules: docs/catalog.md), then run "
    "`kubecurrent catalog check` again"
)


@dataclass(frozen=True)
class Problem:
    """One thing wrong in one file; ``label`` names the entry when there is one."""

    origin: str
    label: str | None
    message: str
    hint: str

    def __str__(self) -> str:
        where = f"{self.origin}: {self.label}" if self.label else self.origin
        return f"{where}: {self.message}"


@dataclass
class Problems:
    """Problems in the order found, listed file by file (files in the order they were read)."""

    found: list[Problem] = field(default_factory=list)
    files: list[str] = field(default_factory=list)

    def file(self, origin: str) -> None:
        """Note that ``origin`` is read now, so its problems are listed in this position."""
        if origin not in self.files:
            self.files.append(origin)

    def add(self, origin: str, label: str | None, message: str, hint: str) -> None:
        self.file(origin)
        self.found.append(Problem(origin, label, message, hint))

    def add_error(self, error: CatalogError, origin: str, label: str | None = None) -> None:
        """Record a CatalogError raised by a helper; its message already names ``origin``."""
        message = error.message.removeprefix(f"{origin}: ")
        if label:
            message = message.removeprefix(f"{label}: ")
        self.add(origin, label, message, error.hint or GENERIC_HINT)

    def in_file(self, origin: str) -> bool:
        """Whether a problem was already recorded for ``origin``."""
        return any(p.origin == origin for p in self.found)

    def ordered(self) -> list[Problem]:
        return sorted(self.found, key=lambda p: self.files.index(p.origin))

    def raise_if_any(self) -> None:
        if self.found:
            raise problems_error(self.ordered())


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def problems_error(problems: list[Problem]) -> CatalogError:
    """One error listing every problem under a ``N problems in M files`` summary line."""
    files = {p.origin for p in problems}
    summary = f"{_plural(len(problems), 'problem')} in {_plural(len(files), 'file')}"
    lines = [summary, *(f"  {p}" for p in problems)]
    hints = {p.hint for p in problems}
    hint = hints.pop() if len(hints) == 1 else GENERIC_HINT
    return CatalogError("\n".join(lines), hint=hint)

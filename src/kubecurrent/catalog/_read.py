"""Reading one catalog file and validating each of its entries, recording every problem.

A file that cannot be read or parsed is one problem (naming the line for YAML syntax errors);
an entry that fails validation is one problem and is left out, so the rest is still checked.
The user's extra files are read by ``kubecurrent.useryaml`` (duplicate keys, encodings and
YAML 1.1 surprises refused with file and line); a date stays a string there, so an invalid one
is a problem of its entry naming the field, not a crash.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from kubecurrent.catalog._check import Entry
from kubecurrent.catalog._problems import Problems
from kubecurrent.errors import CatalogError, UsageError
from kubecurrent.useryaml import parse_user_yaml

M = TypeVar("M", bound=BaseModel)

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
SCHEMA_HINT = "see the catalog schema in docs/catalog.md"
EXTRA_HINT = "check the path given to --catalog-extra or KUBECURRENT_CATALOG_EXTRA"


def entry_label(section: str, raw: object) -> str:
    """A short human name for a raw entry, used in error messages."""
    if not isinstance(raw, dict):
        return "?"
    if section == "apis":
        group = raw.get("group") or ""
        return f"{group + '/' if group else ''}{raw.get('version')} {raw.get('kind')}"
    if section.startswith("provider_"):
        return f"{raw.get('provider')} {raw.get('version') or raw.get('support')}"
    for key in ("id", "name", "version"):
        if key in raw:
            return str(raw[key])
    return "?"


def describe(exc: ValidationError) -> str:
    """Pydantic's errors as ``field: problem`` phrases joined by ``; ``."""
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"])
        msg = str(err["msg"]).removeprefix("Value error, ")
        parts.append(f"{where}: {msg}" if where else msg)
    return "; ".join(parts)


def _yaml_problem(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    what = ": ".join(
        str(part) for part in (getattr(exc, "context", None), getattr(exc, "problem", None)) if part
    )
    if mark is None:
        return f"not valid YAML: {what or exc}"
    return f"line {mark.line + 1}, column {mark.column + 1}: not valid YAML: {what or exc}"


def read_yaml(path: Path, origin: str) -> Any:
    """The parsed built-in file; CatalogError naming the file (and line) when it cannot be read."""
    try:
        with path.open(encoding="utf-8") as fh:
            return yaml.load(fh, Loader=_Loader)  # noqa: S506 - a safe loader
    except OSError as exc:
        raise CatalogError(
            f"{origin}: cannot read the file: {exc.strerror}", hint=EXTRA_HINT
        ) from exc
    except yaml.YAMLError as exc:
        raise CatalogError(
            f"{origin}: {_yaml_problem(exc)}", hint="fix the YAML syntax at the line shown"
        ) from exc


def read_user_yaml(path: Path, origin: str) -> Any:
    """A user's extra file, parsed by ``kubecurrent.useryaml``; CatalogError naming the file,
    the line and what to change when it cannot be read or parsed."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CatalogError(
            f"{origin}: cannot read the file: {exc.strerror or exc}", hint=EXTRA_HINT
        ) from None
    try:
        return parse_user_yaml(data, origin, "catalog extra file")
    except UsageError as exc:
        where = exc.message.removeprefix(origin).lstrip(", :")
        raise CatalogError(f"{origin}: {where}", hint=exc.hint) from None


class Reader:
    """Reads files and validates entries, recording problems instead of stopping."""

    def __init__(self, problems: Problems) -> None:
        self.problems = problems

    def document(self, path: Path, origin: str, user: bool = False) -> tuple[bool, Any]:
        """``(True, data)``, or ``(False, None)`` after recording why the file is unusable;
        ``user``: a user's extra file, read by the user-YAML rules."""
        self.problems.file(origin)
        try:
            return True, (read_user_yaml if user else read_yaml)(path, origin)
        except CatalogError as exc:
            self.problems.add_error(exc, origin)
            return False, None

    def entry(self, model: type[M], raw: object, origin: str, label: str) -> M | None:
        """The validated entry, or None after recording what is wrong with it."""
        try:
            return model.model_validate(raw)
        except ValidationError as exc:
            self.problems.add(
                origin, label, describe(exc), f"fix the entry in {origin} ({SCHEMA_HINT})"
            )
            return None

    def entries(
        self, section: str, model: type[BaseModel], items: object, origin: str, qualify: bool
    ) -> list[Entry]:
        """Every valid entry of a section list; each invalid one is a recorded problem.

        ``qualify`` puts the section in the label (``cves entry 2 (...)``) for files that hold
        several sections.
        """
        if not isinstance(items, list):
            self.problems.add(
                origin, section, "must be a list of entries", "write it as a YAML list"
            )
            return []
        found = []
        for i, raw in enumerate(items, start=1):
            label = f"{section + ' ' if qualify else ''}entry {i} ({entry_label(section, raw)})"
            value = self.entry(model, raw, origin, label)
            if value is not None:
                found.append(Entry(origin, label, value))
        return found

    def mapping(self, doc: object, origin: str, allowed: Iterable[str]) -> dict[str, Any]:
        """The known top-level keys of ``doc``; a non-mapping or an unknown key is a problem."""
        allowed = set(allowed)
        if not isinstance(doc, dict):
            keys = ", ".join(sorted(allowed))
            self.problems.add(origin, None, "must be a mapping", f"use top-level keys {keys}")
            return {}
        unknown = set(doc) - allowed
        if unknown:
            self.problems.add(
                origin,
                None,
                f"unknown top-level key(s) {sorted(unknown)}",
                f"allowed keys: {', '.join(sorted(allowed))}",
            )
        return {k: v for k, v in doc.items() if k in allowed}

"""The EKS release calendar from the EKS user guide's source, as edits of ``providers/eks.yaml``.

The page (AsciiDoc, ``latest/ug/versioning/kubernetes-versions.adoc`` of
awsdocs/amazon-eks-user-guide) holds the calendar as a table under the anchor
``[#kubernetes-release-calendar]``: a header row, then one row per minor, one cell per line::

    |===
    |Kubernetes version
    |Upstream release
    |Amazon EKS release
    |End of standard support
    |End of extended support

    |`1.34`
    |August 27, 2025
    ...
    |===

Dates are written ``Month D, YYYY``; "dates with only a month and a year are approximate" (the
page's own note), so such a row is recorded as unverified. Pure: text in, edits out.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from kubecurrent.errors import CatalogError
from kubecurrent.model import MinorVersion

EKS_CALENDAR_URL = (
    "https://raw.githubusercontent.com/awsdocs/amazon-eks-user-guide/mainline/latest/ug/"
    "versioning/kubernetes-versions.adoc"
)
EKS_CALENDAR_PAGE = (
    "https://docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html"
    "#kubernetes-release-calendar"
)
_ANCHOR = "[#kubernetes-release-calendar]"
_ANCHOR_RE = re.compile(r"\[(?:#|\[)kubernetes-release-calendar\b")
"""The anchor as written now, and as ``[[kubernetes-release-calendar,...]]`` until 2024."""
_COLUMNS = {
    "kubernetes version": "version",
    "upstream release": "upstream_release",
    "amazon eks release": "available",
    "end of standard support": "end_of_standard_support",
    "end of extended support": "end_of_extended_support",
}
_DATES = ("available", "end_of_standard_support", "end_of_extended_support")


@dataclass(frozen=True)
class CalendarRow:
    """One row of the calendar: a minor and its dates (``approximate``: month and year only)."""

    version: MinorVersion
    dates: dict[str, dt.date]
    approximate: tuple[str, ...] = ()


def _date(text: str) -> tuple[dt.date, bool]:
    """``(date, approximate)`` for ``March 23, 2025`` or ``March 2027`` / ``March, 2027``."""
    clean = " ".join(text.replace(",", " ").split())
    for fmt, approximate in (("%B %d %Y", False), ("%B %Y", True)):
        try:
            return dt.datetime.strptime(clean, fmt).date(), approximate
        except ValueError:
            continue
    raise ValueError(f"{text.strip()!r} is not a date such as 'March 23, 2025'")


def _table(text: str) -> list[list[str]]:
    """The calendar table's rows as lists of cell texts (header first)."""
    found = _ANCHOR_RE.search(text)
    if found is None:
        raise CatalogError(
            f"the EKS user guide page has no {_ANCHOR} section",
            hint=f"check {EKS_CALENDAR_URL}; the page layout may have changed",
        )
    body = text[found.start() :].split("|===")
    if len(body) < 3:
        raise CatalogError(
            "the EKS release calendar section has no |=== table",
            hint=f"check {EKS_CALENDAR_URL}; the page layout may have changed",
        )
    rows: list[list[str]] = []
    for block in re.split(r"\n\s*\n", body[1].strip()):
        cells = [c.strip() for line in block.splitlines() for c in line.split("|")[1:]]
        if cells:
            rows.append(cells)
    return rows


def parse_eks_calendar(text: str) -> list[CalendarRow]:
    """Every row of the calendar table in ``text``; a CatalogError when it cannot be read."""
    rows = _table(text)
    fields = [_COLUMNS.get(h.lower()) for h in rows[0]]
    missing = sorted(set(_COLUMNS.values()) - {f for f in fields if f})
    if missing:
        raise CatalogError(
            f"the EKS release calendar lacks the column(s) {', '.join(missing)}",
            hint=f"check {EKS_CALENDAR_URL}; the table layout may have changed",
        )
    return [_row(dict(zip(fields, cells, strict=False))) for cells in rows[1:]]


def _row(cells: dict[str | None, str]) -> CalendarRow:
    version = MinorVersion.parse(cells["version"].strip("` "))
    dates, approximate = {}, []
    for field in ("upstream_release", *_DATES):
        try:
            dates[field], approx = _date(cells[field])
        except ValueError as exc:
            raise CatalogError(
                f"the EKS release calendar row {version}: {field}: {exc}",
                hint=f"check {EKS_CALENDAR_URL}; the table layout may have changed",
            ) from exc
        if approx:
            approximate.append(field)
    return CalendarRow(version, dates, tuple(approximate))


def update_eks_releases(doc: dict[str, Any], rows: list[CalendarRow], notes: list[str]) -> None:
    """Apply the calendar to the ``releases`` of ``providers/eks.yaml`` (older lines stay)."""
    releases: list[dict[str, Any]] = doc.setdefault("releases", [])
    known = {MinorVersion.parse(str(r["version"])): r for r in releases}
    for row in sorted(rows, key=lambda r: r.version):
        entry = known.get(row.version)
        if entry is None:
            releases.append(_new(row))
            notes.append(f"providers/eks.yaml: new EKS release line {row.version}")
            continue
        _refresh(entry, row, notes)
    releases.sort(key=lambda r: MinorVersion.parse(str(r["version"])))


def _new(row: CalendarRow) -> dict[str, Any]:
    entry: dict[str, Any] = {"provider": "eks", "version": str(row.version), **row.dates}
    entry["source"] = [EKS_CALENDAR_PAGE]
    if row.approximate:
        entry["unverified"] = True
        entry["note"] = _approximate_note(row)
    return entry


def _approximate_note(row: CalendarRow) -> str:
    return (
        f"{', '.join(row.approximate)} given as a month only on the AWS calendar (approximate, "
        "the first of the month here); `catalog update` replaces it when AWS publishes the day"
    )


def _refresh(entry: dict[str, Any], row: CalendarRow, notes: list[str]) -> None:
    for field, value in row.dates.items():
        if entry.get(field) != value:
            notes.append(
                f"providers/eks.yaml: {row.version} {field} {entry.get(field)} -> {value} "
                "(AWS calendar)"
            )
            entry[field] = value
    if EKS_CALENDAR_PAGE not in entry.setdefault("source", []):
        entry["source"].insert(0, EKS_CALENDAR_PAGE)
    if row.approximate:
        entry["unverified"] = True
        entry["note"] = _approximate_note(row)
    elif entry.pop("unverified", False):
        entry.pop("note", None)
        notes.append(f"providers/eks.yaml: {row.version} dates now confirmed by the AWS calendar")

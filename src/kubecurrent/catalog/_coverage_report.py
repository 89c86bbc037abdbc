"""The coverage data as titled tables, and those tables as Markdown for a closing note."""

from __future__ import annotations

from typing import Any

Table = tuple[str, list[str], list[list[str]]]
"""A title, column headers and rows of text."""


def _section_rows(sections: dict[str, Any]) -> list[list[str]]:
    rel, apis, skew = sections["releases"], sections["apis"], sections["skew"]
    cves, addons = sections["cves"], sections["addons"]

    def per(counts: dict[str, int]) -> str:
        return ", ".join(f"{k}: {v}" for k, v in counts.items()) or "-"

    return [
        ["releases", str(rel["total"]), f"{rel['min']} to {rel['max']}"],
        ["apis", str(apis["total"]), f"removed in {per(apis['by_removed_in'])}"],
        ["skew", str(skew["total"]), f"plus {skew['upgrade_rules']} upgrade rule(s)"],
        ["cves", str(cves["total"]), f"{cves['verified']} verified; {per(cves['by_component'])}"],
        [
            "addons",
            str(addons["total"]),
            f"{addons['reaching_newest']} with a release for Kubernetes {rel['max']}; "
            f"status {per(addons['by_status'])}",
        ],
        ["", "", f"category {per(addons['by_category'])}"],
    ]


def coverage_tables(data: dict[str, Any]) -> list[Table]:
    """The sections, add-ons, unverified entries and gaps of ``catalog_coverage()`` output."""
    addons = [
        [
            a["name"],
            a["status"],
            str(a["releases"]),
            a["oldest"],
            a["newest"],
            a["newest_kubernetes"],
        ]
        for a in data["addons"]
    ]
    unverified = [[u["section"], u["entry"], u["note"]] for u in data["unverified"]]
    gaps = [
        [g["name"], g["status"], g["newest_release"], g["kubernetes_max"], g["missing_up_to"]]
        for g in data["addon_gaps"]
    ]
    newest = data["newest_kubernetes"]
    return [
        ("Entries per section", ["section", "entries", "detail"], _section_rows(data["sections"])),
        (
            "Add-ons",
            ["add-on", "status", "releases", "oldest", "newest", "newest kubernetes"],
            addons,
        ),
        (f"Unverified entries ({len(unverified)})", ["section", "entry", "note"], unverified),
        (
            f"Add-on data gaps: newest release does not reach Kubernetes {newest} ({len(gaps)})",
            ["add-on", "status", "newest release", "its kubernetes_max", "catalog newest"],
            gaps,
        ),
    ]


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ") or " "


def coverage_markdown(data: dict[str, Any]) -> str:
    """Markdown with one heading and table per coverage table, ready to paste into a note."""
    out = [
        f"## Catalog coverage (verified {data['last_verified']}, "
        f"newest Kubernetes {data['newest_kubernetes']})",
    ]
    for title, head, rows in coverage_tables(data):
        out += ["", f"### {title}", ""]
        if not rows:
            out.append("None.")
            continue
        out.append("| " + " | ".join(head) + " |")
        out.append("|" + "|".join("---" for _ in head) + "|")
        out += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return "\n".join(out) + "\n"

"""Turning upstream responses into edits of the data documents (pure: no I/O).

Upstream formats:
* endoflife.date ``/api/kubernetes.json``: ``[{"cycle": "1.37", "releaseDate": "2026-08-26",
  "support": "2027-08-28", "eol": "2027-10-28", "latest": "1.37.2", ...}, ...]``
* the official CVE JSON feed (JSON Feed 1.1): ``{"items": [{"id": "CVE-...", "summary": ...,
  "url": issue, "external_url": cve record, "date_published": ..., "content_text": ...}]}``
* GitHub ``/repos/{owner}/{repo}/releases``: ``[{"tag_name", "published_at", "prerelease",
  "draft"}, ...]``
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from kubecurrent.catalog._dotted import DottedVersion
from kubecurrent.model import KubeVersion, MinorVersion

OLDEST_MINOR = MinorVersion(1, 19)
CVE_FEED_SINCE = dt.date(2022, 1, 1)
_TAG_RE = re.compile(r"v?(\d+\.\d+(?:\.\d+)?)$")
_COMPONENTS = ("kube-apiserver", "kubelet", "kube-proxy", "kubectl", "ingress-nginx")


def _date(text: object) -> dt.date | None:
    if not isinstance(text, str) or len(text) < 10:
        return None
    return dt.date.fromisoformat(text[:10])


def update_releases(doc: dict[str, Any], cycles: list[dict[str, Any]], notes: list[str]) -> None:
    """Raise ``latest_patch`` (never lower it) and append unknown cycles as unverified entries."""
    releases: list[dict[str, Any]] = doc.setdefault("releases", [])
    known = {MinorVersion.parse(str(r["version"])): r for r in releases}
    for cycle in sorted(cycles, key=lambda c: MinorVersion.parse(str(c["cycle"]))):
        minor = MinorVersion.parse(str(cycle["cycle"]))
        if minor < OLDEST_MINOR:
            continue
        entry = known.get(minor)
        if entry is None:
            releases.append(_new_release(minor, cycle))
            notes.append(f"kubernetes.yaml: new release line {minor} from endoflife.date")
            continue
        latest = cycle.get("latest")
        if latest and KubeVersion.parse(str(latest)) > KubeVersion.parse(
            str(entry["latest_patch"])
        ):
            notes.append(
                f"kubernetes.yaml: {minor} latest patch {entry['latest_patch']} -> {latest}"
            )
            entry["latest_patch"] = str(latest)
        eol = _date(cycle.get("eol"))
        if eol and eol != entry["end_of_life"]:
            notes.append(
                f"kubernetes.yaml: {minor} end_of_life is {entry['end_of_life']} here but {eol} on "
                "endoflife.date; kept ours (kubernetes.io is authoritative), please check"
            )


def _new_release(minor: MinorVersion, cycle: dict[str, Any]) -> dict[str, Any]:
    return {
        "version": str(minor),
        "released": _date(cycle.get("releaseDate")),
        "end_of_standard_support": _date(cycle.get("support")),
        "end_of_life": _date(cycle.get("eol")),
        "latest_patch": str(cycle.get("latest") or f"{minor}.0"),
        "source": [f"https://kubernetes.io/releases/{minor}/", "https://endoflife.date/kubernetes"],
        "unverified": True,
        "note": "added by `catalog update` from endoflife.date; check the dates on kubernetes.io",
    }


def update_cves(doc: dict[str, Any], feed: dict[str, Any], notes: list[str]) -> None:
    """Append feed items we do not know yet as unverified stubs for a human to complete."""
    cves: list[dict[str, Any]] = doc.setdefault("cves", [])
    known = {c["id"] for c in cves}
    for item in feed.get("items", []):
        cve_id = str(item.get("id", ""))
        published = _date(item.get("date_published"))
        if not cve_id.startswith("CVE-") or cve_id in known or not published:
            continue
        if published < CVE_FEED_SINCE:
            continue
        cves.append(_new_cve(cve_id, published, item))
        known.add(cve_id)
        notes.append(f"cves.yaml: new {cve_id} from the official feed: complete its ranges")


def _new_cve(cve_id: str, published: dt.date, item: dict[str, Any]) -> dict[str, Any]:
    text = f"{item.get('summary', '')} {item.get('content_text', '')}".lower()
    component = next((c for c in _COMPONENTS if c in text), "kubernetes")
    sources = [s for s in (item.get("url"), item.get("external_url")) if isinstance(s, str)]
    return {
        "id": cve_id,
        "summary": str(item.get("summary") or cve_id),
        "published": published,
        "severity": "unknown",
        "cvss": None,
        "component": component,
        "affected": [],
        "source": sources or [f"https://www.cve.org/CVERecord?id={cve_id}"],
        "unverified": True,
        "note": "added by `catalog update` from the official CVE feed; fill severity, component, "
        "affected ranges and fixed_in from the linked issue",
    }


def newest_per_line(releases: list[dict[str, Any]]) -> dict[tuple[int, int], DottedVersion]:
    """The newest stable tag of each ``major.minor`` line in a GitHub releases response."""
    newest: dict[tuple[int, int], DottedVersion] = {}
    for rel in releases:
        if rel.get("draft") or rel.get("prerelease"):
            continue
        tag = str(rel.get("tag_name", ""))
        m = _TAG_RE.search(tag)
        if not m or "chart" in tag:
            continue
        version = DottedVersion.parse(m[1])
        line = version.minor
        if line not in newest or newest[line] < version:
            newest[line] = version
    return newest

"""``catalog update``: fetch upstream facts and propose them as a reviewable unified diff.

The network sits behind ``Fetcher``; ``DirFetcher`` replays recorded responses (tests,
air-gapped sites), ``HttpFetcher`` asks the real services. Nothing is written unless the caller
applies the result.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

import httpx
import yaml

from kubecurrent.catalog._dotted import DottedVersion
from kubecurrent.catalog._dump import dump, header_of
from kubecurrent.catalog._eks_calendar import (
    EKS_CALENDAR_URL,
    parse_eks_calendar,
    update_eks_releases,
)
from kubecurrent.catalog._upstream import newest_per_line, update_cves, update_releases
from kubecurrent.errors import CatalogError
from kubecurrent.textfile import write_atomic

ENDOFLIFE_URL = "https://endoflife.date/api/kubernetes.json"
CVE_FEED_URL = "https://kubernetes.io/docs/reference/issues-security/official-cve-feed/index.json"
GITHUB_RELEASES_URL = "https://api.github.com/repos/{repo}/releases?per_page=100"
_GITHUB_RE = re.compile(r"https://github\.com/([\w.-]+/[\w.-]+)")


class Fetcher(Protocol):
    """Returns the parsed JSON (or the text) at ``url``, or None when the source has nothing."""

    def get_json(self, url: str) -> Any: ...

    def get_text(self, url: str) -> str | None: ...


class HttpFetcher:
    """Fetches over HTTPS; any failure is a CatalogError naming the URL."""

    def __init__(self, timeout: float = 20.0) -> None:
        self._client = httpx.Client(timeout=timeout, follow_redirects=True)

    def get_json(self, url: str) -> Any:
        try:
            response = self._client.get(url, headers={"Accept": "application/json"})
            response.raise_for_status()
            return response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise CatalogError(
                f"cannot fetch {url}: {exc}",
                hint="check the network, or record the responses and use --from-dir DIR",
            ) from exc

    def get_text(self, url: str) -> str | None:
        try:
            response = self._client.get(url)
            response.raise_for_status()
            return response.text
        except httpx.HTTPError as exc:
            raise CatalogError(
                f"cannot fetch {url}: {exc}",
                hint="check the network, or record the responses and use --from-dir DIR",
            ) from exc


class DirFetcher:
    """Replays responses saved as ``DIR/<host>/<path>`` (``.json`` appended when missing)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path_for(self, url: str, suffix: str = ".json") -> Path:
        parts = urlsplit(url)
        path = self.root / parts.netloc / parts.path.strip("/")
        return path if path.suffix == suffix else path.with_name(path.name + suffix)

    def get_text(self, url: str) -> str | None:
        path = self.path_for(url, Path(urlsplit(url).path).suffix or ".txt")
        return path.read_text(encoding="utf-8") if path.is_file() else None

    def get_json(self, url: str) -> Any:
        path = self.path_for(url)
        if not path.is_file():
            return None
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise CatalogError(
                f"{path}: not valid JSON: {exc}", hint="re-record the upstream response"
            ) from exc


@dataclass
class UpdateResult:
    """New text per data file (relative path) plus what changed and what needs a human."""

    old: dict[str, str] = field(default_factory=dict)
    new: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def diff(self) -> str:
        chunks: list[str] = []
        for name in sorted(self.new):
            if self.new[name] == self.old[name]:
                continue
            chunks.extend(
                difflib.unified_diff(
                    self.old[name].splitlines(keepends=True),
                    self.new[name].splitlines(keepends=True),
                    fromfile=f"a/{name}",
                    tofile=f"b/{name}",
                )
            )
        return "".join(chunks)

    def changed(self) -> list[str]:
        return [n for n in sorted(self.new) if self.new[n] != self.old[n]]

    def apply(self, root: Path) -> list[str]:
        """Write the changed files under ``root``; returns their names."""
        for name in self.changed():
            write_atomic(root / name, self.new[name])
        return self.changed()


def _rewrite(result: UpdateResult, root: Path, name: str, edit: Any, payload: Any) -> None:
    text = (root / name).read_text(encoding="utf-8")
    doc = yaml.safe_load(text) or {}
    edit(doc, payload, result.notes)
    result.old[name] = text
    result.new[name] = dump(doc, header_of(text))


def _addon_repo(doc: dict[str, Any]) -> str | None:
    for url in [doc.get("homepage", ""), *doc.get("source", [])]:
        m = _GITHUB_RE.match(str(url))
        if m:
            return m[1].removesuffix(".git")
    return None


def _set_latest_patch(text: str, version: str, patch: str) -> str:
    """Replace ``latest_patch`` inside the release block whose version is ``version``."""
    pattern = re.compile(
        r"(-\s+version:\s*[\"']?" + re.escape(version) + r"[\"']?\s*\n(?:(?!\s*-\s+version:).*\n)*?"
        r"\s+latest_patch:\s*)([\"']?)[^\"'\n]*([\"']?)",
    )
    return pattern.sub(lambda m: f"{m[1]}{m[2] or chr(34)}{patch}{m[3] or chr(34)}", text, count=1)


def _update_addon(result: UpdateResult, root: Path, path: Path, fetcher: Fetcher) -> None:
    name = f"addons/{path.name}"
    text = path.read_text(encoding="utf-8")
    doc = yaml.safe_load(text) or {}
    repo = _addon_repo(doc)
    data = fetcher.get_json(GITHUB_RELEASES_URL.format(repo=repo)) if repo else None
    result.old[name] = result.new[name] = text
    if not isinstance(data, list):
        return
    newest = newest_per_line(data)
    for rel in doc.get("releases", []):
        line = DottedVersion.parse(str(rel["version"]))
        found = newest.get(line.minor)
        current = rel.get("latest_patch")
        if found is None or (current is not None and found <= DottedVersion.parse(str(current))):
            continue
        if current is None:
            result.notes.append(f"{name}: {line} has release {found}; add latest_patch by hand")
            continue
        text = _set_latest_patch(text, str(rel["version"]), str(found))
        result.notes.append(f"{name}: {line} latest patch {current} -> {found}")
    known = max(DottedVersion.parse(str(r["version"])).minor for r in doc.get("releases", [{}]))
    for new_line in sorted(k for k in newest if k > known):
        result.notes.append(
            f"{name}: upstream has a new line {new_line[0]}.{new_line[1]} ({newest[new_line]}); "
            "add a release "
            "entry with its Kubernetes range by hand"
        )
    result.new[name] = text


def _update_eks(result: UpdateResult, root: Path, fetcher: Fetcher, url: str) -> None:
    name = "providers/eks.yaml"
    if not (root / name).is_file():
        return
    text = fetcher.get_text(url)
    if text is None:
        result.notes.append(f"{name}: no response from {url}; left as is")
        return
    _rewrite(result, root, name, update_eks_releases, parse_eks_calendar(text))


def plan_update(
    root: Path, fetcher: Fetcher, today: dt.date, eks_url: str = EKS_CALENDAR_URL
) -> UpdateResult:
    """Fetch every source and compute the new data files (nothing is written).

    ``eks_url`` is where the EKS user guide's calendar page is read (its public source).
    """
    result = UpdateResult()
    reached = 0
    for name, url, edit in (
        ("kubernetes.yaml", ENDOFLIFE_URL, update_releases),
        ("cves.yaml", CVE_FEED_URL, update_cves),
    ):
        payload = fetcher.get_json(url)
        if payload is None:
            result.notes.append(f"{name}: no response from {url}; left as is")
            continue
        reached += 1
        _rewrite(result, root, name, edit, payload)
    for path in sorted((root / "addons").glob("*.yaml")):
        _update_addon(result, root, path, fetcher)
    _update_eks(result, root, fetcher, eks_url)
    if reached == 2:
        _rewrite(result, root, "meta.yaml", _bump_verified, today)
    return result


def _bump_verified(doc: dict[str, Any], today: dt.date, notes: list[str]) -> None:
    if doc.get("last_verified") != today:
        notes.append(f"meta.yaml: last_verified {doc.get('last_verified')} -> {today}")
        doc["last_verified"] = today

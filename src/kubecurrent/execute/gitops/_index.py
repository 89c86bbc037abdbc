"""Helm repository indexes: which add-on version each chart version carries, read over HTTP(S).

Pins hold chart versions and plans hold add-on versions. When a pin follows neither directly,
the ``index.yaml`` every Helm repository serves (the file ``helm repo index`` writes) lists each
chart version with the ``appVersion`` it carries. Where the repository is: written beside the
pin (Argo CD ``repoURL``, Chart.yaml ``repository``, kustomize ``repo``), or for a Flux
HelmRelease the ``spec.url`` of the HelmRepository its ``sourceRef`` names in the same git
repository. OCI registries and git sources have no such index.

``ChartIndex`` is anything that reads an index by repository URL; ``HttpChartIndex`` fetches it
with httpx (timeouts, redirects followed, proxy variables honoured, no credentials sent), once
per URL for its lifetime.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
import yaml

from kubecurrent.execute.gitops._pins import Pin, PinScan

__all__ = [
    "ChartIndex",
    "HttpChartIndex",
    "IndexEntry",
    "IndexUnavailable",
    "index_url",
    "parse_index",
    "repository_url",
]

_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
MAX_INDEX_BYTES = 128 * 1024 * 1024


class IndexUnavailable(Exception):
    """Why no repository index could be read for a pin; reported with the pin, never raised
    to the user."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class IndexEntry:
    """One chart version of a repository index."""

    version: str
    app_version: str | None


ChartIndex = Callable[[str], Mapping[str, Sequence[IndexEntry]]]
"""Repository URL → chart name → its versions; raises ``IndexUnavailable``."""


def index_url(repo_url: str) -> str:
    """``REPO/index.yaml`` for an http(s) Helm repository; ``IndexUnavailable`` otherwise."""
    url = repo_url.strip()
    if url.startswith("oci://"):
        raise IndexUnavailable(f"{url} is an OCI registry, which serves no index.yaml")
    if not url.startswith(("https://", "http://")):
        raise IndexUnavailable(f"{url!r} is not an http(s) Helm repository URL")
    return url.rstrip("/") + "/index.yaml"


def repository_url(pin: Pin, scan: PinScan) -> str:
    """The chart repository's URL for ``pin``: written beside it, or for a HelmRelease the
    ``spec.url`` of the HelmRepository its ``sourceRef`` names in ``scan``."""
    if pin.source is None:
        if not pin.repo_url:
            raise IndexUnavailable(f"{pin.kind} {pin.name} names no chart repository")
        return pin.repo_url
    ref = pin.source
    if ref.kind != "HelmRepository":
        raise IndexUnavailable(f"the chart comes from {ref}, which is not a Helm repository")
    found = [
        r
        for r in scan.repositories
        if r.name == ref.name
        and (not r.namespace or not ref.namespace or r.namespace == ref.namespace)
    ]
    urls = sorted({r.url for r in found if r.url})
    if not urls:
        raise IndexUnavailable(
            f"its sourceRef {ref} names no HelmRepository with a spec.url in this repository"
        )
    if len(urls) > 1:
        places = ", ".join(f"{r.path}:{r.line}" for r in found)
        raise IndexUnavailable(
            f"its sourceRef {ref} matches HelmRepositories with different URLs ({places})"
        )
    return urls[0]


def parse_index(text: str | bytes, url: str) -> dict[str, list[IndexEntry]]:
    """Chart name → versions, from the text of an ``index.yaml`` read from ``url``."""
    try:
        data: Any = yaml.load(text, Loader=_Loader)  # noqa: S506 - a safe loader
    except yaml.YAMLError as exc:
        raise IndexUnavailable(f"{url} is not YAML ({type(exc).__name__})") from exc
    entries = data.get("entries") if isinstance(data, dict) else None
    if not isinstance(entries, dict):
        raise IndexUnavailable(f"{url} is not a Helm repository index (it has no entries)")
    out: dict[str, list[IndexEntry]] = {}
    for name, listed in entries.items():
        for item in listed if isinstance(listed, list) else []:
            if isinstance(item, dict) and item.get("version") is not None:
                app = item.get("appVersion")
                entry = IndexEntry(str(item["version"]), None if app is None else str(app))
                out.setdefault(str(name), []).append(entry)
    return out


@dataclass
class HttpChartIndex:
    """Reads ``index.yaml`` over HTTP(S); results and failures are kept per URL."""

    timeout: float = 30.0
    """Seconds for connecting and for each read (30)."""
    transport: httpx.BaseTransport | None = None
    _seen: dict[str, dict[str, list[IndexEntry]] | IndexUnavailable] = field(
        default_factory=dict, repr=False
    )

    def __call__(self, repo_url: str) -> Mapping[str, Sequence[IndexEntry]]:
        url = index_url(repo_url)
        if url not in self._seen:
            try:
                self._seen[url] = parse_index(self._get(url), url)
            except IndexUnavailable as exc:
                self._seen[url] = exc
        found = self._seen[url]
        if isinstance(found, IndexUnavailable):
            raise found
        return found

    def _get(self, url: str) -> bytes:
        try:
            with (
                httpx.Client(
                    timeout=self.timeout, follow_redirects=True, transport=self.transport
                ) as client,
                client.stream("GET", url) as response,
            ):
                if response.status_code != 200:
                    raise IndexUnavailable(_status(url, response.status_code))
                body = bytearray()
                for chunk in response.iter_bytes():
                    body += chunk
                    if len(body) > MAX_INDEX_BYTES:
                        raise IndexUnavailable(
                            f"{url} is larger than {MAX_INDEX_BYTES // 2**20} MiB"
                        )
                return bytes(body)
        except httpx.TimeoutException as exc:
            raise IndexUnavailable(
                f"reading {url} timed out after {self.timeout:g}s ({type(exc).__name__}); "
                "check the address and your network or proxy"
            ) from exc
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            raise IndexUnavailable(
                f"reading {url} failed ({type(exc).__name__}: {exc}); check the address and "
                "your network or proxy"
            ) from exc


def _status(url: str, code: int) -> str:
    if code in (401, 403):
        return (
            f"{url} answered HTTP {code}: the repository needs credentials, which kubecurrent "
            "does not send"
        )
    return f"{url} answered HTTP {code}; check the repository URL"

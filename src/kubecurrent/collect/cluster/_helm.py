"""Helm 3 release records: ``sh.helm.release.v1.<name>.v<revision>`` Secrets.

The Secret's ``data.release`` is base64 (the Secret encoding) of base64 of gzip of the release
JSON. Only metadata and references to objects whose (apiVersion, kind) the caller watches are
kept; manifests and values are dropped right after decoding, and Secret data is never logged.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import yaml

from kubecurrent.model.inventory import HelmRelease

RELEASE_LABELS = "owner=helm"
GZIP_MAGIC = b"\x1f\x8b"


class ReleaseDecodeError(ValueError):
    """A release record that is not base64/gzip/JSON as Helm writes it."""


@dataclass(frozen=True)
class ManifestRef:
    api_version: str
    kind: str
    name: str
    namespace: str


@dataclass(frozen=True)
class DecodedRelease:
    release: HelmRelease
    refs: tuple[ManifestRef, ...]


def decode_release_data(secret_value: str) -> dict[str, Any]:
    """The release JSON from a Secret's ``data.release`` value (still Secret-base64-encoded)."""
    try:
        helm_b64 = base64.b64decode(secret_value, validate=False)
        raw = base64.b64decode(helm_b64, validate=False)
        if raw[:2] == GZIP_MAGIC:
            raw = gzip.decompress(raw)
        data = json.loads(raw)
    except (binascii.Error, OSError, EOFError, ValueError) as exc:
        raise ReleaseDecodeError(f"not a Helm release record: {type(exc).__name__}") from None
    if not isinstance(data, dict):
        raise ReleaseDecodeError("not a Helm release record: JSON is not an object")
    return data


def summarize(data: dict[str, Any], watched: set[tuple[str, str]] | None) -> DecodedRelease:
    """Release metadata plus refs to manifest objects in ``watched`` (None: keep every ref)."""
    chart = (data.get("chart") or {}).get("metadata") or {}
    info = data.get("info") or {}
    release = HelmRelease(
        name=str(data.get("name", "")),
        namespace=str(data.get("namespace", "")),
        revision=int(data.get("version") or 1),
        status=str(info.get("status", "unknown")),
        chart=str(chart.get("name", "")),
        chart_version=str(chart.get("version", "")),
        app_version=_opt(chart.get("appVersion")),
        kube_version=_opt(chart.get("kubeVersion")),
    )
    refs = manifest_refs(str(data.get("manifest") or ""), release.namespace)
    kept = tuple(r for r in refs if watched is None or (r.api_version, r.kind) in watched)
    return DecodedRelease(release, kept)


def manifest_refs(manifest: str, default_namespace: str) -> list[ManifestRef]:
    """apiVersion, kind, name and namespace of every object in a rendered manifest."""
    refs: list[ManifestRef] = []
    try:
        docs = list(yaml.safe_load_all(manifest))
    except yaml.YAMLError:
        return refs
    for doc in docs:
        if isinstance(doc, dict) and doc.get("apiVersion") and doc.get("kind"):
            raw_meta = doc.get("metadata")
            meta: dict[str, Any] = raw_meta if isinstance(raw_meta, dict) else {}
            refs.append(
                ManifestRef(
                    str(doc["apiVersion"]),
                    str(doc["kind"]),
                    str(meta.get("name", "")),
                    str(meta.get("namespace") or default_namespace),
                )
            )
    return refs


def _opt(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None


@dataclass
class ReleaseSelector:
    """Keeps the latest deployed revision of each release (or every revision with ``all``)."""

    all_revisions: bool = False

    def __post_init__(self) -> None:
        self._kept: dict[tuple[str, str, int], DecodedRelease] = {}

    def offer(self, decoded: DecodedRelease) -> None:
        r = decoded.release
        if self.all_revisions:
            self._kept[(r.namespace, r.name, r.revision)] = decoded
            return
        key = (r.namespace, r.name, 0)
        current = self._kept.get(key)
        if current is None or _rank(decoded) > _rank(current):
            self._kept[key] = decoded

    def releases(self) -> list[DecodedRelease]:
        return [self._kept[k] for k in sorted(self._kept)]


def _rank(d: DecodedRelease) -> tuple[int, int]:
    return (1 if d.release.status == "deployed" else 0, d.release.revision)


def release_values(secrets: Iterable[dict[str, Any]]) -> Iterable[tuple[str, str]]:
    """(secret name, data.release) of Helm release Secrets in a page of Secrets."""
    for secret in secrets:
        if secret.get("type") != "helm.sh/release.v1":
            continue
        value = (secret.get("data") or {}).get("release")
        if isinstance(value, str):
            yield str((secret.get("metadata") or {}).get("name", "")), value

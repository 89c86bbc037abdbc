"""Where a repository pins each Helm chart's version: found by a round-trip parse, never edited here.

A ``Pin`` is one version token in one file, with its exact character span, so that an edit can
replace those characters and nothing else. Recognised places::

    Argo CD Application        spec.source.{chart,targetRevision}, spec.sources[].{...}
    Argo CD ApplicationSet     spec.template.spec.source / sources[] (same fields)
    Flux HelmRelease           spec.chart.spec.{chart,version}  (v2 and v2beta*)
    Flux OCIRepository         spec.ref.{tag,semver}, chart = last segment of spec.url
    Helm Chart.yaml            dependencies[].{name,version}
    kustomization.yaml         helmCharts[].{name,version}

A HelmRelease with ``spec.chartRef`` pins nothing itself: it becomes a ``Reference`` saying
where the version lives (an OCIRepository or HelmChart object). A HelmRelease pin keeps its
``spec.chart.spec.sourceRef`` (``source``); Flux ``HelmRepository`` objects are collected so that
the repository's URL can be found (``_index.repository_url``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError

from kubecurrent.analyze.fix import load, split

__all__ = [
    "HelmRepository",
    "Pin",
    "PinScan",
    "Reference",
    "SourceRef",
    "find_pins",
    "token_span",
]

KUSTOMIZATION_NAMES = ("kustomization.yaml", "kustomization.yml", "Kustomization")


@dataclass(frozen=True)
class SourceRef:
    """A Flux HelmRelease's ``spec.chart.spec.sourceRef``."""

    kind: str
    namespace: str
    """The ``sourceRef``'s namespace, else the HelmRelease's; empty when neither is written."""
    name: str

    def __str__(self) -> str:
        return "/".join(x for x in (self.kind, self.namespace, self.name) if x)


@dataclass(frozen=True)
class Pin:
    """One chart version written in one file."""

    path: str
    """Path inside the repository (``/``-separated)."""
    kind: str
    """``Application``, ``ApplicationSet``, ``HelmRelease``, ``OCIRepository``, ``Chart.yaml`` or
    ``kustomization``."""
    name: str
    """The object's ``metadata.name`` (or the chart's name for Chart.yaml and kustomize)."""
    chart: str
    repo_url: str
    """The chart repository as written beside the pin (Argo CD ``repoURL``, Chart.yaml
    ``repository``, kustomize ``repo``, the OCIRepository's ``url``); empty for HelmReleases,
    whose repository is their ``source``."""
    version: str
    """The value as YAML reads it (``1.14.5``, ``v1.14.5``, ``~1.14.0``)."""
    field: str
    """Where it sits, e.g. ``spec.sources[1].targetRevision``."""
    line: int
    """1-based line of the token in the file."""
    start: int
    """Character offset of the token (its opening quote, if quoted) in the file's text."""
    end: int
    source: SourceRef | None = None
    """A HelmRelease's ``sourceRef``; None for the other kinds."""


@dataclass(frozen=True)
class HelmRepository:
    """A Flux ``HelmRepository`` object found in the repository."""

    path: str
    line: int
    name: str
    namespace: str
    url: str


@dataclass(frozen=True)
class Reference:
    """A HelmRelease whose chart version lives in another object (``spec.chartRef``)."""

    path: str
    name: str
    line: int
    target: str
    """``OCIRepository/flux-system/podinfo``"""


@dataclass
class PinScan:
    pins: list[Pin]
    references: list[Reference]
    unreadable: list[str]
    """``path: reason`` for YAML that could not be parsed (left alone)."""
    repositories: list[HelmRepository] = field(default_factory=list)


def find_pins(files: Mapping[str, str]) -> PinScan:
    """Every chart-version pin in ``files`` (path → text), in path and position order."""
    scan = PinScan([], [], [])
    for path in sorted(files):
        text = files[path]
        words = ("version", "targetRevision", "tag", "semver", "HelmRepository")
        if not any(word in text for word in words):
            continue
        _scan_file(path, text, scan)
    return scan


def _scan_file(path: str, text: str, scan: PinScan) -> None:
    base = path.rsplit("/", 1)[-1]
    offset = 0
    for chunk in split(text):
        offset += len(chunk.separator)
        body_start = offset
        offset += len(chunk.body)
        if not chunk.body.strip():
            continue
        try:
            data, _ = load(chunk.body)
        except YAMLError as exc:
            scan.unreadable.append(f"{path}:{chunk.line}: {type(exc).__name__}")
            continue
        if not isinstance(data, CommentedMap):
            continue
        doc = _Doc(path, chunk.body, body_start, text, chunk.line)
        if base == "Chart.yaml":
            scan.pins += doc.list_pins(data, "dependencies", "name", "repository", "Chart.yaml")
        elif base in KUSTOMIZATION_NAMES or (
            str(data.get("kind")) == "Kustomization"
            and str(data.get("apiVersion", "")).startswith("kustomize.config.k8s.io")
        ):
            scan.pins += doc.list_pins(data, "helmCharts", "name", "repo", "kustomization")
        else:
            _scan_object(doc, data, scan)


def _scan_object(doc: _Doc, data: CommentedMap, scan: PinScan) -> None:
    api, kind = str(data.get("apiVersion", "")), str(data.get("kind", ""))
    name = str(_get(data, "metadata", "name") or "")
    spec = data.get("spec")
    if not isinstance(spec, CommentedMap):
        return
    if api.startswith("argoproj.io/") and kind == "Application":
        scan.pins += doc.argo_pins(spec, "spec", kind, name)
    elif api.startswith("argoproj.io/") and kind == "ApplicationSet":
        inner = _get(spec, "template", "spec")
        if isinstance(inner, CommentedMap):
            scan.pins += doc.argo_pins(inner, "spec.template.spec", kind, name)
    elif api.startswith("helm.toolkit.fluxcd.io/") and kind == "HelmRelease":
        ref = spec.get("chartRef")
        if isinstance(ref, CommentedMap):
            ns = str(ref.get("namespace") or _get(data, "metadata", "namespace") or "")
            target = "/".join(x for x in (str(ref.get("kind")), ns, str(ref.get("name"))) if x)
            scan.references.append(Reference(doc.path, name, doc.line_of(data), target))
            return
        chart = _get(spec, "chart", "spec")
        if isinstance(chart, CommentedMap) and "version" in chart:
            ref = chart.get("sourceRef")
            source = None
            if isinstance(ref, Mapping):
                ns = str(ref.get("namespace") or _get(data, "metadata", "namespace") or "")
                source = SourceRef(str(ref.get("kind") or ""), ns, str(ref.get("name") or ""))
            pin = doc.pin(chart, "version", kind, name, str(chart.get("chart", "")), "")
            scan.pins += [p.at("spec.chart.spec.version", source) for p in pin]
    elif api.startswith("source.toolkit.fluxcd.io/") and kind == "HelmRepository":
        namespace = str(_get(data, "metadata", "namespace") or "")
        url = str(spec.get("url") or "")
        scan.repositories.append(HelmRepository(doc.path, doc.line_of(data), name, namespace, url))
    elif api.startswith("source.toolkit.fluxcd.io/") and kind == "OCIRepository":
        url = str(spec.get("url", ""))
        ref = spec.get("ref")
        if isinstance(ref, CommentedMap):
            for key in ("tag", "semver"):
                for p in doc.pin(ref, key, kind, name, url.rstrip("/").rsplit("/", 1)[-1], url):
                    scan.pins.append(p.at(f"spec.ref.{key}"))


class _Doc:
    """One YAML document of a file: turns ruamel line/column marks into file offsets."""

    def __init__(self, path: str, body: str, start: int, text: str, line: int) -> None:
        self.path, self.body, self.start, self.text, self.first_line = path, body, start, text, line
        self._starts = [0]
        for i, ch in enumerate(body):
            if ch == "\n":
                self._starts.append(i + 1)

    def line_of(self, node: CommentedMap) -> int:
        return self.first_line + int(node.lc.line)

    def pin(
        self, node: CommentedMap, key: str, kind: str, name: str, chart: str, repo: str
    ) -> list[_Draft]:
        value = node.get(key)
        if value is None or isinstance(value, CommentedMap | CommentedSeq) or not chart:
            return []
        line, col = node.lc.value(key)
        at = self.start + self._starts[line] + col
        end = token_span(self.text, at)
        if end is None:
            return []
        return [_Draft(self, kind, name, chart, repo, str(value), line, at, end)]

    def argo_pins(self, spec: CommentedMap, where: str, kind: str, name: str) -> list[Pin]:
        found: list[Pin] = []
        sources: list[tuple[str, Any]] = [(f"{where}.source", spec.get("source"))]
        listed = spec.get("sources")
        if isinstance(listed, CommentedSeq):
            sources += [(f"{where}.sources[{i}]", s) for i, s in enumerate(listed)]
        for place, source in sources:
            if isinstance(source, CommentedMap) and source.get("chart"):
                chart, repo = str(source["chart"]), str(source.get("repoURL", ""))
                for p in self.pin(source, "targetRevision", kind, name, chart, repo):
                    found.append(p.at(f"{place}.targetRevision"))
        return found

    def list_pins(
        self, data: CommentedMap, key: str, name_key: str, repo_key: str, kind: str
    ) -> list[Pin]:
        items = data.get(key)
        if not isinstance(items, CommentedSeq):
            return []
        found: list[Pin] = []
        for i, item in enumerate(items):
            if not isinstance(item, CommentedMap):
                continue
            chart, repo = str(item.get(name_key, "")), str(item.get(repo_key, "") or "")
            for p in self.pin(item, "version", kind, chart, chart, repo):
                found.append(p.at(f"{key}[{i}].version"))
        return found


@dataclass(frozen=True)
class _Draft:
    doc: _Doc
    kind: str
    name: str
    chart: str
    repo: str
    version: str
    line: int
    start: int
    end: int

    def at(self, field: str, source: SourceRef | None = None) -> Pin:
        return Pin(
            path=self.doc.path,
            kind=self.kind,
            name=self.name,
            chart=self.chart,
            repo_url=self.repo,
            version=self.version,
            field=field,
            line=self.doc.first_line + self.line,
            start=self.start,
            end=self.end,
            source=source,
        )


def token_span(text: str, at: int) -> int | None:
    """End offset of the scalar token starting at ``at`` (quoted or plain, one line)."""
    if at >= len(text):
        return None
    quote = text[at]
    if quote in "\"'":
        i = at + 1
        while i < len(text) and text[i] not in "\r\n":
            if text[i] == "\\" and quote == '"':
                i += 2
                continue
            if text[i] == quote:
                if quote == "'" and text[i + 1 : i + 2] == "'":
                    i += 2
                    continue
                return i + 1
            i += 1
        return None
    if quote in "|>&*!{[":
        return None  # block scalars, anchors, aliases, tags, flow collections: not a plain token
    i = at
    while i < len(text) and text[i] not in "\r\n":
        if text[i] == "#" and text[i - 1] in " \t":
            break
        if text[i] in ",}]" and _in_flow(text, at):
            break
        i += 1
    end = i
    while end > at and text[end - 1] in " \t":
        end -= 1
    return end if end > at else None


def _in_flow(text: str, at: int) -> bool:
    line_start = text.rfind("\n", 0, at) + 1
    head = text[line_start:at]
    return head.count("{") > head.count("}") or head.count("[") > head.count("]")


def _get(node: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(node, Mapping):
            return None
        node = node.get(key)
    return node

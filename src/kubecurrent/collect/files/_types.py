"""What the file collectors produce: documents with their location, and charts they rendered."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec

from kubecurrent.model.findings import EvidenceSource, ScanError

if TYPE_CHECKING:
    from kubecurrent.collect.files._cache import RenderCache

BinaryResolver = Callable[[], Path]
"""Returns the helm or kustomize binary to run; raises KubecurrentError naming how to get it."""

BodyFields = Callable[[str, str], tuple[str, ...]]
"""Given (apiVersion, kind): the top-level fields anything will read beyond the object's identity
(apiVersion, kind, metadata name and namespace); ``()`` for none."""


class Document(msgspec.Struct, frozen=True):
    """One Kubernetes object read from a file, a chart or an overlay."""

    data: dict[str, Any]
    file: str
    line: int
    source: EvidenceSource = EvidenceSource.MANIFEST
    rendered_from: str | None = None
    complete: bool = True
    """False when ``data`` holds only the identity (apiVersion, kind, metadata name and
    namespace) and the top-level fields the reader was told (``body_fields``) are read."""

    @property
    def api_version(self) -> str:
        return str(self.data.get("apiVersion", ""))

    @property
    def kind(self) -> str:
        return str(self.data.get("kind", ""))

    @property
    def name(self) -> str:
        meta = self.data.get("metadata")
        return str(meta.get("name", "") or "") if isinstance(meta, dict) else ""

    @property
    def namespace(self) -> str:
        meta = self.data.get("metadata")
        return str(meta.get("namespace", "") or "") if isinstance(meta, dict) else ""


class SkipReason(StrEnum):
    """Why something read was not scanned; skips are counted, never errors."""

    NOT_AN_OBJECT = "not-an-object"
    """A document that is text, a number or a list, not a mapping."""
    NO_IDENTITY = "no-apiversion-kind"
    """A mapping without ``apiVersion`` and ``kind`` strings (a CI or tool config)."""
    NOT_YAML = "not-yaml"
    """In a directory walk: a document that does not parse and does not look like an object."""
    TEMPLATE = "template"
    """In a directory walk: a document with unrendered template syntax outside a chart."""
    KUSTOMIZE_INCOMPLETE = "kustomize-incomplete"
    """A kustomization naming local files that are not there (made by a build step): not
    built."""
    LIBRARY_CHART = "library-chart"
    """A Helm chart of ``type: library``: it renders nothing on its own."""
    KUSTOMIZE_REMOTE = "kustomize-remote"
    """A kustomization naming remote bases or resources, not fetched
    (``--kustomize-remote skip``): not built; its own files are read."""
    KUSTOMIZE_COMPONENT = "kustomize-component"
    """A kustomize Component: built only through the overlays that use it."""
    CHART_CI_VALUES = "chart-ci-values"
    """A chart whose default values do not render, rendered with its ``ci/`` values."""
    CHART_DEPENDENCIES = "chart-dependencies"
    """A chart rendered without its missing dependencies (``--chart-deps skip``)."""
    OUTSIDE_ROOT = "outside-root"
    """A symbolic link or kustomize reference leading out of the scanned directory: not
    followed, nothing behind it read (a chart holding such a link is not rendered)."""
    BINARY = "binary"
    """In a directory walk: a file with a manifest's name holding binary data (a NUL byte in
    its first kilobytes): not read."""
    NOT_A_FILE = "not-a-file"
    """In a directory walk: a manifest's name on something that is not a regular file — a
    FIFO, a socket or a device, which a read could wait on forever, or a symbolic link to
    nothing — not read; an overlay naming one is not built (kustomize would wait on it), its
    own files are read."""

    @property
    def is_note(self) -> bool:
        """Whether a reader should be told (a chart or dependency left out), not only count it."""
        return self in (
            SkipReason.TEMPLATE,
            SkipReason.KUSTOMIZE_INCOMPLETE,
            SkipReason.KUSTOMIZE_REMOTE,
            SkipReason.LIBRARY_CHART,
            SkipReason.CHART_DEPENDENCIES,
            SkipReason.CHART_CI_VALUES,
            SkipReason.OUTSIDE_ROOT,
            SkipReason.NOT_A_FILE,
        )


class Skipped(msgspec.Struct, frozen=True):
    """Something read and deliberately not scanned, with where it was and why."""

    file: str
    line: int | None
    reason: SkipReason
    detail: str = ""


class Excluded(msgspec.Struct, frozen=True):
    """A file or directory a directory walk passed over: an ``--exclude`` pattern matched it."""

    path: str
    directory: bool
    """A directory (not entered: nothing under it is read), else a manifest file."""
    pattern: str
    """The pattern that matched, as given."""


class ChartInfo(msgspec.Struct, frozen=True):
    """What a chart's Chart.yaml says about itself."""

    path: str
    name: str
    version: str
    kube_version: str | None
    library: bool = False
    """``type: library``: it renders nothing on its own."""


class ChartDeps(StrEnum):
    """What to do with a chart whose dependencies are not in its ``charts/`` directory."""

    REQUIRE = "require"
    """Report the chart as an error naming ``helm dependency build`` (nothing is rendered)."""
    SKIP = "skip"
    """Render without the missing dependencies: their objects are not scanned, and templates
    that read their values may render differently."""


class KustomizeRemote(StrEnum):
    """What to do with an overlay whose kustomization (or a local base of it) names remote
    bases or resources (git repositories, URLs)."""

    SKIP = "skip"
    """Do not build it (nothing is fetched): a note names the remote references; the overlay's
    own local files are read as plain files."""
    FETCH = "fetch"
    """Build it, letting kustomize fetch them, within the kustomize timeout; a failure is an
    error naming the overlay and the remote references."""


@dataclass(frozen=True, slots=True)
class RenderOptions:
    """How to render charts and overlays found while walking."""

    helm: BinaryResolver | None = None
    kustomize: BinaryResolver | None = None
    values: tuple[str, ...] = ()
    set_values: tuple[str, ...] = ()
    kube_version: str | None = None
    """Passed to ``helm template --kube-version`` so charts render as the target would see them."""
    kube_candidates: tuple[str, ...] = ()
    """Versions to render a chart with when its kubeVersion refuses ``kube_version``, newest
    first."""
    api_versions: tuple[str, ...] = ()
    """Passed to ``helm template --api-versions``: APIs the target serves beyond helm's own
    list, so ``.Capabilities.APIVersions.Has`` answers as the target would."""
    timeout: float = 300.0
    chart_deps: ChartDeps = ChartDeps.REQUIRE
    kustomize_enable_helm: bool = False
    """Pass ``--enable-helm`` to ``kustomize build`` (and point it at the same helm)."""
    kustomize_remote: KustomizeRemote = KustomizeRemote.SKIP
    kustomize_timeout: float = 120.0
    """Seconds one ``kustomize build`` may take (fetching remote bases included)."""
    cache: RenderCache | None = None
    """Where helm and kustomize runs are kept and found again by their inputs' content
    (``_cache``); None renders everything every time."""


class Rendered(msgspec.Struct):
    """Documents and errors from one chart or overlay, plus the chart's own metadata."""

    items: list[Document | ScanError | Skipped] = msgspec.field(default_factory=list)
    chart: ChartInfo | None = None

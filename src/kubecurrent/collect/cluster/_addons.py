"""Recognising catalog add-ons from what a cluster shows: Helm releases, images, labels, CRDs.

``AddonFinder`` is fed observations one at a time and keeps, per add-on, the best version seen
(Helm release metadata first, then image tags, then version labels).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kubecurrent.catalog import Addon, Catalog, DottedVersion
from kubecurrent.model.inventory import HelmRelease, InstalledAddon

_PRIORITY = {"helm-chart": 3, "image": 2, "label": 1, "crd-group": 0}


def parse_version(text: str | None) -> DottedVersion | None:
    """``v1.12.3`` or ``1.12.3-debian`` as a dotted version; None when it is not one."""
    if not text:
        return None
    core = text.strip().removeprefix("v").split("@")[0]
    for sep in ("-", "+", "_"):
        core = core.split(sep)[0]
    try:
        return DottedVersion.parse(core)
    except ValueError:
        return None


def matches_release(addon: Addon, version: DottedVersion) -> bool:
    """Whether a catalog release line of ``addon`` is a prefix of ``version``."""
    return any(version.parts[: len(r.version.parts)] == r.version.parts for r in addon.releases)


def chart_addon_version(
    addon: Addon, app_version: str | None, chart_version: str | None
) -> DottedVersion | None:
    """The add-on version a chart carries: its appVersion, else its chart version — whichever
    fits one of the catalog's release lines (charts such as ingress-nginx's number themselves
    apart from the add-on; others, such as kube-prometheus-stack, are catalogued by chart)."""
    candidates = [parse_version(app_version), parse_version(chart_version)]
    fitting = [v for v in candidates if v is not None and matches_release(addon, v)]
    parsed = fitting or [v for v in candidates if v is not None]
    return parsed[0] if parsed else None


def image_repository(image: str) -> tuple[str, str | None]:
    """(repository, tag) of an image reference; digests are dropped."""
    ref = image.split("@")[0]
    last = ref.rsplit("/", 1)[-1]
    if ":" in last:
        repo, tag = ref.rsplit(":", 1)
        return repo, tag
    return ref, None


def _strip_registry(repo: str) -> str:
    first, _, rest = repo.partition("/")
    return rest if rest and ("." in first or ":" in first or first == "localhost") else repo


@dataclass
class _Seen:
    version: DottedVersion | None = None
    priority: int = -1
    detected_by: set[str] = field(default_factory=set)
    namespaces: set[str] = field(default_factory=set)


@dataclass
class AddonFinder:
    catalog: Catalog
    seen: dict[str, _Seen] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._charts = {c: a for a in self.catalog.addons for c in a.detect.helm_charts}
        self._images = {_strip_registry(i): a for a in self.catalog.addons for i in a.detect.images}
        self._groups = {g: a for a in self.catalog.addons for g in a.detect.crd_groups}
        self._labels = {lbl: a for a in self.catalog.addons for lbl in a.detect.labels}

    def helm_release(self, release: HelmRelease) -> None:
        addon = self._charts.get(release.chart)
        if addon is None:
            return
        version = chart_addon_version(addon, release.app_version, release.chart_version)
        self._note(addon, "helm-chart", version, release.namespace)

    def image(self, image: str, namespace: str) -> None:
        repo, tag = image_repository(image)
        addon = self._images.get(_strip_registry(repo))
        if addon is not None:
            self._note(addon, "image", parse_version(tag), namespace)

    def labels(self, labels: dict[str, str], namespace: str) -> None:
        for key, value in labels.items():
            addon = self._labels.get(f"{key}={value}")
            if addon is not None:
                version = parse_version(labels.get("app.kubernetes.io/version"))
                self._note(addon, "label", version, namespace)

    def crd_group(self, group: str) -> None:
        addon = self._groups.get(group)
        if addon is not None:
            self._note(addon, "crd-group", None, "")

    def _note(self, addon: Addon, how: str, version: DottedVersion | None, ns: str) -> None:
        seen = self.seen.setdefault(addon.name, _Seen())
        seen.detected_by.add(how)
        if ns:
            seen.namespaces.add(ns)
        if version is not None and _PRIORITY[how] > seen.priority:
            seen.version, seen.priority = version, _PRIORITY[how]

    def result(self) -> tuple[tuple[InstalledAddon, ...], tuple[str, ...]]:
        """Add-ons with a known version, and names of those found without one."""
        found, unversioned = [], []
        for name, seen in sorted(self.seen.items()):
            if seen.version is None:
                unversioned.append(name)
                continue
            found.append(
                InstalledAddon(
                    name=name,
                    version=str(seen.version),
                    detected_by=tuple(sorted(seen.detected_by)),
                    namespaces=tuple(sorted(seen.namespaces)),
                )
            )
        return tuple(found), tuple(unversioned)

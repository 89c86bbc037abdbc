"""What a chart directory says about itself: its Chart.yaml, its dependencies and which of them
are present in ``charts/``, and how to render it without the ones that are missing."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from kubecurrent.collect.files._types import ChartInfo
from kubecurrent.collect.files._yaml import load
from kubecurrent.errors import KubecurrentError, UsageError


@dataclass(frozen=True, slots=True)
class Dependency:
    """One entry of ``dependencies`` (Chart.yaml) or ``requirements.yaml``."""

    name: str
    alias: str | None
    condition: str | None = None
    repository: str | None = None

    def local_source(self, chart: Path) -> Path | None:
        """For a ``file://`` repository: the chart directory it names, if it is there (what
        ``helm dependency build`` would copy, offline)."""
        if not (self.repository or "").startswith("file://"):
            return None
        source = Path(os.path.normpath(chart / (self.repository or "")[len("file://") :]))
        return source if (source / "Chart.yaml").is_file() else None

    @property
    def disabled(self) -> tuple[str, ...]:
        """``--set`` values that tell the parent chart this dependency is off: its condition
        paths false, and ``<alias or name>.enabled`` false (templates read that too)."""
        paths = [c.strip() for c in (self.condition or "").split(",") if c.strip()]
        return tuple(f"{p}=false" for p in [*paths, f"{self.alias or self.name}.enabled"])


def chart_meta(chart: Path) -> dict[str, Any]:
    """Chart.yaml as a mapping (empty when it holds something else); raises KubecurrentError
    naming the file when it cannot be read.

    Read as helm reads it (sigs.k8s.io/yaml, see ``_yaml``), not with the stricter reader for
    kubecurrent's own files: a key written twice is accepted, the last one winning, since helm
    renders such a chart and refusing it would drop its objects from the scan."""
    return _yaml_file(chart / "Chart.yaml")


def _yaml_file(path: Path) -> dict[str, Any]:
    try:
        meta: Any = load(path.read_bytes())
    except OSError as exc:
        raise UsageError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except (ValueError, yaml.YAMLError) as exc:
        raise UsageError(f"{path}: not valid YAML: {exc}") from None
    return meta if isinstance(meta, dict) else {}


def chart_info(chart: Path) -> ChartInfo:
    """Name, version, ``kubeVersion`` constraint and type from the chart's Chart.yaml."""
    meta = chart_meta(chart)
    kube = meta.get("kubeVersion")
    return ChartInfo(
        path=str(chart),
        name=str(meta.get("name") or chart.name),
        version=str(meta.get("version") or ""),
        kube_version=str(kube) if kube else None,
        library=meta.get("type") == "library",
    )


def dependencies(chart: Path, meta: dict[str, Any]) -> list[Dependency]:
    """The chart's declared dependencies (Chart.yaml, or requirements.yaml for apiVersion v1)."""
    declared = meta.get("dependencies")
    if not isinstance(declared, list):
        declared = _requirements(chart)
    return [
        Dependency(
            str(d["name"]),
            str(d["alias"]) if d.get("alias") else None,
            str(d["condition"]) if d.get("condition") else None,
            str(d["repository"]) if d.get("repository") else None,
        )
        for d in declared
        if isinstance(d, dict) and d.get("name")
    ]


def _requirements(chart: Path) -> list[Any]:
    if not (chart / "requirements.yaml").is_file():
        return []
    try:
        data: Any = _yaml_file(chart / "requirements.yaml")
    except KubecurrentError:
        return []
    found = data.get("dependencies") if isinstance(data, dict) else None
    return found if isinstance(found, list) else []


def present_subcharts(chart: Path) -> dict[str, Path]:
    """Subcharts in ``charts/`` by their Chart.yaml name: unpacked directories and archives."""
    found: dict[str, Path] = {}
    sub = chart / "charts"
    if not sub.is_dir():
        return found
    for entry in sorted(sub.iterdir()):
        name = _subchart_name(entry)
        if name is not None:
            found.setdefault(name, entry)
    return found


def _subchart_name(entry: Path) -> str | None:
    try:
        if entry.is_dir() and (entry / "Chart.yaml").is_file():
            return str(chart_meta(entry).get("name") or entry.name)
        if entry.name.endswith((".tgz", ".tar.gz")):
            return _archive_name(entry)
    except (KubecurrentError, OSError, yaml.YAMLError):
        return None
    return None


def _archive_name(archive: Path) -> str | None:
    import tarfile  # only for charts that vendor subcharts as archives

    try:
        with tarfile.open(archive, "r:gz") as tar:
            for member in tar:
                parts = PurePosixPath(member.name).parts
                if len(parts) == 2 and parts[1] == "Chart.yaml" and member.isfile():
                    handle = tar.extractfile(member)
                    meta: Any = yaml.safe_load(handle.read()) if handle else None
                    return str(meta.get("name")) if isinstance(meta, dict) else None
    except tarfile.TarError:
        return None
    return None


def missing(chart: Path, meta: dict[str, Any]) -> list[Dependency]:
    """Declared dependencies with no subchart of that name in ``charts/`` (what makes
    ``helm template`` refuse the chart)."""
    present = present_subcharts(chart)
    return [d for d in dependencies(chart, meta) if d.name not in present]


@contextmanager
def prepared(
    chart: Path, meta: dict[str, Any], gone: list[Dependency], local: dict[str, Path]
) -> Iterator[Path]:
    """A temporary copy of the chart with its ``file://`` dependencies (``local``) copied into
    ``charts/``, and whose Chart.yaml (and requirements.yaml) no longer declare ``gone``; its
    templates render with what is present (render it with each gone dependency's ``disabled``
    values, so templates that look at a missing subchart see it switched off)."""
    from tempfile import TemporaryDirectory  # only for charts with missing dependencies

    names = {d.name for d in gone}
    with TemporaryDirectory(prefix="kubecurrent-chart-") as tmp:
        copy = Path(tmp) / chart.name
        shutil.copytree(chart, copy, symlinks=False, ignore=shutil.ignore_patterns(".git"))
        for name, source in local.items():
            shutil.copytree(source, copy / "charts" / name, ignore=shutil.ignore_patterns(".git"))
        if isinstance(meta.get("dependencies"), list):
            kept = [d for d in meta["dependencies"] if _dep_name(d) not in names]
            (copy / "Chart.yaml").write_text(yaml.safe_dump({**meta, "dependencies": kept}))
        requirements = copy / "requirements.yaml"
        if requirements.is_file():
            listed = [d for d in _requirements(copy) if _dep_name(d) not in names]
            requirements.write_text(yaml.safe_dump({"dependencies": listed}))
        for lock in ("Chart.lock", "requirements.lock"):
            (copy / lock).unlink(missing_ok=True)
        yield copy


def _dep_name(entry: Any) -> str | None:
    return str(entry.get("name")) if isinstance(entry, dict) else None


def subchart_dirs(chart: Path) -> dict[str, Path]:
    """Where each subchart named in rendered output lives: by name and by alias."""
    present = present_subcharts(chart)
    try:
        deps = dependencies(chart, chart_meta(chart))
    except KubecurrentError:
        deps = []
    found = dict(present)
    for dep in deps:
        where = present.get(dep.name) or dep.local_source(chart)
        if where is not None:
            found.setdefault(dep.name, where)
            found[dep.alias or dep.name] = where
    return found

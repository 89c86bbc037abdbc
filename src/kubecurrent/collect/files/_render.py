"""Render Helm charts and kustomize overlays with the real binaries, then read their output.

The binary is a parameter (a resolver the caller supplies), so this layer never decides where
binaries come from. Failures become ScanErrors naming the chart or overlay.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

from kubecurrent.collect.files._read import read_stream
from kubecurrent.collect.files._types import (
    BinaryResolver,
    ChartInfo,
    Document,
    Rendered,
    RenderOptions,
)
from kubecurrent.errors import KubecurrentError
from kubecurrent.model.constraint import ConstraintError, satisfies
from kubecurrent.model.findings import EvidenceSource, ScanError
from kubecurrent.programs import flag, run_program
from kubecurrent.useryaml import load_user_yaml

_SOURCE_RE = re.compile(r"^# Source: (?P<path>\S+)")
_RELEASE_RE = re.compile(r"[^a-z0-9-]+")


def chart_info(chart: Path) -> ChartInfo:
    """Name, version and ``kubeVersion`` constraint from the chart's Chart.yaml."""
    meta: Any = load_user_yaml(chart / "Chart.yaml", "chart") or {}
    if not isinstance(meta, dict):
        meta = {}
    kube = meta.get("kubeVersion")
    return ChartInfo(
        path=str(chart),
        name=str(meta.get("name") or chart.name),
        version=str(meta.get("version") or ""),
        kube_version=str(kube) if kube else None,
    )


def render_chart(chart: Path, opts: RenderOptions, kube_version: str | None) -> Rendered:
    """``helm template`` the chart; documents point at the template file that produced them."""
    out = Rendered()
    try:
        out.chart = chart_info(chart)
    except KubecurrentError as exc:
        out.items.append(
            ScanError(file=str(chart / "Chart.yaml"), message=f"bad Chart.yaml: {exc.message}")
        )
        return out
    release = _RELEASE_RE.sub("-", out.chart.name.lower()).strip("-")[:53] or "release"
    args = ["template", "--include-crds"]
    kube_version = _renderable_version(out.chart, kube_version, opts.kube_candidates)
    if kube_version:
        args.append(flag("--kube-version", kube_version))
    args += [flag("--values", values) for values in opts.values]
    args += [flag("--set", item) for item in opts.set_values]
    text = _run(opts.helm, "helm", args, [release, chart], chart, opts.timeout, out)
    if text is not None:
        out.items.extend(_split_helm_output(text, chart))
    return out


def _renderable_version(
    chart: ChartInfo, wanted: str | None, candidates: tuple[str, ...]
) -> str | None:
    """``wanted``, or when the chart's kubeVersion refuses it (reported as a finding by the
    analyzer), the newest candidate it accepts, so its objects can still be checked."""
    if not wanted or not chart.kube_version:
        return wanted
    try:
        if satisfies(_triple(wanted), chart.kube_version):
            return wanted
        return next((c for c in candidates if satisfies(_triple(c), chart.kube_version)), wanted)
    except ConstraintError:
        return wanted


def _triple(version: str) -> tuple[int, int, int]:
    major, minor, patch = [*(int(p) for p in version.removeprefix("v").split(".")[:3]), 0, 0][:3]
    return major, minor, patch


def render_kustomization(overlay: Path, opts: RenderOptions) -> Rendered:
    """``kustomize build`` the overlay; documents point at its kustomization file."""
    out = Rendered()
    text = _run(opts.kustomize, "kustomize", ["build"], [overlay], overlay, opts.timeout, out)
    if text is None:
        return out
    name = next(
        (
            str(overlay / n)
            for n in ("kustomization.yaml", "kustomization.yml", "Kustomization")
            if (overlay / n).exists()
        ),
        str(overlay),
    )
    for item in read_stream(io.StringIO(text), name, EvidenceSource.KUSTOMIZE):
        if isinstance(item, Document):
            item = Document(item.data, name, 1, EvidenceSource.KUSTOMIZE, str(overlay))
        out.items.append(item)
    return out


def _run(
    resolve: BinaryResolver | None,
    tool: str,
    args: list[str],
    operands: list[str | Path],
    where: Path,
    timeout: float,
    out: Rendered,
) -> str | None:
    try:
        if resolve is None:
            raise KubecurrentError(f"no {tool} binary was given to render {where}")
        binary = resolve()
    except KubecurrentError as exc:
        hint = f" ({exc.hint})" if exc.hint else ""
        out.items.append(ScanError(file=str(where), message=f"cannot render: {exc.message}{hint}"))
        return None
    try:
        proc = run_program(binary, args, operands, timeout=timeout, name=tool)
    except KubecurrentError as exc:
        out.items.append(ScanError(file=str(where), message=f"{tool} failed: {exc.message}"))
        return None
    if proc.returncode != 0:
        lines = [ln for ln in proc.stderr.splitlines() if ln.startswith("Error")]
        detail = "; ".join(lines) or proc.stderr.strip()[-500:] or f"exit {proc.returncode}"
        out.items.append(ScanError(file=str(where), message=f"{tool} failed: {detail}"))
        return None
    return proc.stdout


def _split_helm_output(text: str, chart: Path) -> list[Document | ScanError]:
    items: list[Document | ScanError] = []
    counts: dict[str, int] = {}
    for chunk in re.split(r"(?m)^---\s*$", text):
        match = next((m for m in map(_SOURCE_RE.match, chunk.strip().splitlines()) if m), None)
        rel = match["path"].split("/", 1)[-1] if match else "templates"
        template = chart / rel
        index = counts[rel] = counts.get(rel, -1) + 1
        line = _nth_document_line(template, index)
        for item in read_stream(io.StringIO(chunk), str(template), EvidenceSource.HELM_CHART):
            if isinstance(item, Document):
                item = Document(
                    item.data, str(template), line, EvidenceSource.HELM_CHART, str(chart)
                )
            items.append(item)
    return items


def _nth_document_line(path: Path, index: int) -> int:
    """Where the ``index``-th document of a template starts (1 when it cannot be told)."""
    if index == 0 or not path.is_file():
        return 1
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    starts = [n + 2 for n, text in enumerate(lines) if text.startswith("---")]
    if lines and lines[0].startswith("---"):
        starts = starts[1:]
    return starts[index - 1] if index - 1 < len(starts) else 1

"""Render Helm charts and kustomize overlays with the real binaries, then read their output.

The binary is a parameter (a resolver the caller supplies), so this layer never decides where
binaries come from. Failures become ScanErrors naming the chart or overlay and keeping every
line the tool printed. A library chart is skipped with a note. A chart whose dependencies are
not in ``charts/`` is one error naming ``helm dependency build``, or with ``ChartDeps.SKIP`` is
rendered without them (noted). When a chart's templates cannot be rendered, its ``crds/`` files
(which helm copies verbatim) are still read.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

from kubecurrent.collect.files._chart import chart_info, chart_meta, missing, prepared
from kubecurrent.collect.files._helm_output import split_helm_output
from kubecurrent.collect.files._read import read_file, read_stream
from kubecurrent.collect.files._types import (
    BinaryResolver,
    ChartDeps,
    ChartInfo,
    Document,
    Rendered,
    RenderOptions,
    Skipped,
    SkipReason,
)
from kubecurrent.collect.files._walk import kustomization_sources
from kubecurrent.errors import KubecurrentError
from kubecurrent.model.constraint import ConstraintError, satisfies
from kubecurrent.model.findings import EvidenceSource, ScanError, replace
from kubecurrent.programs import Completed, flag, run_program

_RELEASE_RE = re.compile(r"[^a-z0-9-]+")
YAML_ERROR = "YAML parse error on"
TEMPLATE_FAILED = "execution error at"
"""How helm starts the error when a template calls ``fail`` or misses a ``required`` value."""
CI_VALUES_TRIED = 3
"""How helm starts the error when a template renders text that is not YAML."""
__all__ = ["chart_info", "render_chart", "render_kustomization"]


def render_chart(chart: Path, opts: RenderOptions, kube_version: str | None) -> Rendered:
    """``helm template`` the chart; documents point at the file and line that produced them."""
    out = Rendered()
    chart = chart.absolute()
    try:
        out.chart = chart_info(chart)
        meta = chart_meta(chart)
    except KubecurrentError as exc:
        out.items.append(
            ScanError(file=str(chart / "Chart.yaml"), message=f"bad Chart.yaml: {exc.message}")
        )
        return out
    if out.chart.library:
        note = "a library chart renders nothing on its own: it is checked in the charts using it"
        out.items.append(Skipped(str(chart), None, SkipReason.LIBRARY_CHART, note))
        return out
    gone = missing(chart, meta)
    local = {d.name: p for d in gone if (p := d.local_source(chart)) is not None}
    gone = [d for d in gone if d.name not in local]
    if gone and opts.chart_deps is ChartDeps.REQUIRE:
        out.items.append(_missing_error(chart, [d.name for d in gone]))
    elif gone or local:
        if gone:
            names = ", ".join(d.name for d in gone)
            note = f"rendered without its missing dependencies ({names}): their objects are not checked"
            out.items.append(Skipped(str(chart), None, SkipReason.CHART_DEPENDENCIES, note))
        off = tuple(value for d in gone for value in d.disabled)
        with prepared(chart, meta, gone, local) as copy:
            _template(chart, copy, out.chart, opts, kube_version, out, off)
    else:
        _template(chart, chart, out.chart, opts, kube_version, out)
    if not any(isinstance(i, Document) for i in out.items):
        out.items += _static_crds(chart)
    return out


def _missing_error(chart: Path, names: list[str]) -> ScanError:
    return ScanError(
        file=str(chart),
        message=f"the chart's dependencies {', '.join(names)} are not in its charts/ directory: "
        f"run `helm dependency build {chart}` (needs the chart repositories), or pass "
        "--chart-deps skip to render it without them",
    )


def _template(
    chart: Path,
    render_from: Path,
    info: ChartInfo,
    opts: RenderOptions,
    kube_version: str | None,
    out: Rendered,
    disabled: tuple[str, ...] = (),
) -> None:
    release = _RELEASE_RE.sub("-", info.name.lower()).strip("-")[:53] or "release"
    args = ["template", "--include-crds"]
    kube_version = _renderable_version(info, kube_version, opts.kube_candidates)
    if kube_version:
        args.append(flag("--kube-version", kube_version))
    args += [flag("--api-versions", api) for api in opts.api_versions]
    args += [flag("--set", item) for item in disabled]  # the user's --set, later, win
    args += [flag("--values", Path(values).absolute()) for values in opts.values]
    args += [flag("--set", item) for item in opts.set_values]
    operands: list[str | Path] = [release, render_from]
    proc = _exec(opts.helm, "helm", args, operands, chart, opts.timeout, out)
    if proc is None:
        return
    if not proc.ok and TEMPLATE_FAILED in proc.stderr and not (opts.values or opts.set_values):
        proc = _with_ci_values(chart, opts, args, operands, proc, out)
    if proc.ok:
        out.items.extend(split_helm_output(proc.stdout, chart))
    elif YAML_ERROR in proc.stderr:
        debug = ["template", "--debug", *args[1:]]
        out.items.extend(_invalid_yaml(chart, opts, debug, operands, proc))
    else:
        out.items.append(ScanError(file=str(chart), message=_failure("helm", proc)))


def _with_ci_values(
    chart: Path,
    opts: RenderOptions,
    args: list[str],
    operands: list[str | Path],
    failed: Completed,
    out: Rendered,
) -> Completed:
    """A chart whose default values do not render (a ``required`` value, a ``fail``), rendered
    with the values its ``ci/`` directory ships for chart testing (helm/chart-testing's
    convention), the first of them that renders; noted, since they are not the defaults."""
    for values in ci_values(chart)[:CI_VALUES_TRIED]:
        proc = _exec(
            opts.helm,
            "helm",
            [*args, flag("--values", values)],
            operands,
            chart,
            opts.timeout,
            Rendered(),
        )
        if proc is not None and proc.ok:
            cause = _cause(failed.stderr)
            note = (
                f"rendered with {values.relative_to(chart)}: its default values do not render "
                f"({cause.removeprefix('Error: ')})"
            )
            out.items.append(Skipped(str(chart), None, SkipReason.CHART_CI_VALUES, note))
            return proc
    return failed


def _cause(stderr: str) -> str:
    """The line of helm's output that says why it failed: its ``Error:`` line, not a warning
    printed before it (``WARNING: This chart is deprecated``)."""
    lines = [ln for ln in stderr.splitlines() if ln.strip()]
    return next((ln for ln in lines if ln.startswith("Error:")), lines[0] if lines else "")


def ci_values(chart: Path) -> list[Path]:
    """``ci/*values.yaml`` files, the ones named as defaults first."""
    found = sorted((chart / "ci").glob("*values.yaml")) if (chart / "ci").is_dir() else []
    return sorted(found, key=lambda p: p.name not in ("default-values.yaml", "ci-values.yaml"))


def _invalid_yaml(
    chart: Path,
    opts: RenderOptions,
    args: list[str],
    operands: list[str | Path],
    first: Completed,
) -> list[Document | ScanError | Skipped]:
    """Helm refused its own output as YAML: render again with ``--debug``, which prints it, and
    read it to show the template and the rendered lines around the error."""
    again = Rendered()
    proc = _exec(opts.helm, "helm", args, operands, chart, opts.timeout, again)
    items = split_helm_output(proc.stdout, chart) if proc is not None and proc.stdout else []
    if any(isinstance(i, ScanError) for i in items):
        return items
    error = next((ln for ln in first.stderr.splitlines() if YAML_ERROR in ln), "")
    return [*items, ScanError(file=str(chart), message=f"helm failed: {error.strip()}")]


def _static_crds(chart: Path) -> list[Document | ScanError | Skipped]:
    """The chart's ``crds/`` files, read as they are (helm never templates them)."""
    items: list[Document | ScanError | Skipped] = []
    crds = chart / "crds"
    if not crds.is_dir():
        return items
    for path in sorted(crds.rglob("*")):
        if path.is_file() and path.suffix in (".yaml", ".yml", ".json"):
            for item in read_file(path, EvidenceSource.HELM_CHART, walked=True):
                if isinstance(item, Document):
                    item = Document(item.data, item.file, item.line, item.source, str(chart))
                items.append(item)
    return items


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


def render_kustomization(
    overlay: Path, opts: RenderOptions, remote: tuple[str, ...] = ()
) -> Rendered:
    """``kustomize build`` the overlay within ``opts.kustomize_timeout``; documents point at the
    local file and line they come from, else at the kustomization file. When the build fails
    and the overlay names ``remote`` bases or resources, the error names them."""
    out = Rendered()
    overlay = overlay.absolute()
    flags: list[str] = []
    if opts.kustomize_enable_helm:
        flags.append("--enable-helm")
        helm = _resolve(opts.helm, "helm", overlay, out)
        if helm is None:
            return out
        flags.append(flag("--helm-command", helm.absolute()))
    args = ["build", *flags]
    text = _run(opts.kustomize, "kustomize", args, [overlay], overlay, opts.kustomize_timeout, out)
    if text is None:
        if remote:
            out.items = [_remote_failure(e, remote) for e in out.items]
        return out
    name = next(
        (
            str(overlay / n)
            for n in ("kustomization.yaml", "kustomization.yml", "Kustomization")
            if (overlay / n).is_file()
        ),
        str(overlay),
    )
    origins = _Origins(kustomization_sources(overlay))
    for item in read_stream(io.StringIO(text), name, EvidenceSource.KUSTOMIZE, template_hint=False):
        if isinstance(item, Document):
            file, line = origins.find(item.kind, item.name) or (name, 1)
            item = Document(item.data, file, line, EvidenceSource.KUSTOMIZE, str(overlay))
        out.items.append(item)
    return out


def _remote_failure(
    item: Document | ScanError | Skipped, remote: tuple[str, ...]
) -> Document | ScanError | Skipped:
    if not isinstance(item, ScanError):
        return item
    message = (
        f"cannot build the overlay with its remote bases or resources ({', '.join(remote)}): "
        "check that this machine reaches them and that the references are right, or pass "
        f"--kustomize-remote skip to scan without them; {item.message}"
    )
    return replace(item, message=message)


class _Origins:
    """Where an overlay's output objects come from: the local file and line of the object of
    the same kind whose name the output name contains (``namePrefix``/``nameSuffix`` change
    it); objects from remote bases or generators have none."""

    def __init__(self, files: list[Path]) -> None:
        self.by_kind: dict[str, list[tuple[str, str, int]]] = {}
        for path in files:
            for item in read_file(path):
                if isinstance(item, Document):
                    entry = (item.name, item.file, item.line)
                    self.by_kind.setdefault(item.kind, []).append(entry)

    def find(self, kind: str, name: str) -> tuple[str, int] | None:
        candidates = [c for c in self.by_kind.get(kind, []) if c[0] and c[0] in name]
        if not candidates:
            return None
        best = max(candidates, key=lambda c: (c[0] == name, len(c[0])))
        return best[1], best[2]


def _resolve(resolve: BinaryResolver | None, tool: str, where: Path, out: Rendered) -> Path | None:
    try:
        if resolve is None:
            raise KubecurrentError(f"no {tool} binary was given to render {where}")
        return resolve()
    except KubecurrentError as exc:
        hint = f" ({exc.hint})" if exc.hint else ""
        out.items.append(ScanError(file=str(where), message=f"cannot render: {exc.message}{hint}"))
        return None


def _run(
    resolve: BinaryResolver | None,
    tool: str,
    args: list[str],
    operands: list[str | Path],
    where: Path,
    timeout: float,
    out: Rendered,
) -> str | None:
    """The tool's output, or None with an error (every line of what it printed) in ``out``."""
    proc = _exec(resolve, tool, args, operands, where, timeout, out)
    if proc is None:
        return None
    if not proc.ok:
        out.items.append(ScanError(file=str(where), message=_failure(tool, proc)))
        return None
    return proc.stdout


def _failure(tool: str, proc: Completed) -> str:
    return f"{tool} failed: {proc.stderr.strip() or f'exit {proc.returncode}'}"


def _exec(
    resolve: BinaryResolver | None,
    tool: str,
    args: list[str],
    operands: list[str | Path],
    where: Path,
    timeout: float,
    out: Rendered,
) -> Completed | None:
    """Run the tool through the one program runner: flags first, paths after ``--``."""
    binary = _resolve(resolve, tool, where, out)
    if binary is None:
        return None
    try:
        return run_program(binary.absolute(), args, operands, timeout=timeout, name=tool)
    except KubecurrentError as exc:
        out.items.append(ScanError(file=str(where), message=f"{tool} failed: {exc.message}"))
        return None

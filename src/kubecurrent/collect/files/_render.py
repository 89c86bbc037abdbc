"""Render Helm charts and kustomize overlays with the real binaries, then read their output.

The binary is a parameter (a resolver the caller supplies), so this layer never decides where
binaries come from. Failures become ScanErrors naming the chart or overlay and keeping every
line the tool printed. A library chart is skipped with a note. A chart whose dependencies are
not in ``charts/`` is one error naming ``helm dependency build``, or with ``ChartDeps.SKIP`` is
rendered without them (noted). When a chart's templates cannot be rendered, its ``crds/`` files
(which helm copies verbatim) are still read.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from kubecurrent.collect.files._cache import STATS
from kubecurrent.collect.files._chart import chart_info, chart_meta, missing, prepared
from kubecurrent.collect.files._digest import FileKey, Uncacheable, settled_key, tree_digest
from kubecurrent.collect.files._helm_output import split_helm_output
from kubecurrent.collect.files._read import read_bytes, read_file
from kubecurrent.collect.files._types import (
    BinaryResolver,
    BodyFields,
    ChartDeps,
    ChartInfo,
    Document,
    Rendered,
    RenderOptions,
    Skipped,
    SkipReason,
)
from kubecurrent.collect.files._walk import kustomization_sources, kustomize_inputs, waits_on
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


@dataclass(frozen=True, slots=True)
class _Run:
    """One render's tool runs: where errors point, what the output is read with, and what the
    cache keys them by (None: not cached)."""

    where: Path
    body_fields: BodyFields | None = None
    inputs: bytes | Uncacheable | None = None
    """``tree_digest`` of every file the render may read, or why it is not cached (None: the
    cache is off)."""


def render_chart(
    chart: Path,
    opts: RenderOptions,
    kube_version: str | None,
    body_fields: BodyFields | None = None,
    root: Path | None = None,
) -> Rendered:
    """``helm template`` the chart; documents point at the file and line that produced them.
    ``body_fields``: its output is read on the fast path (see ``read_bytes``). ``root``: the
    scanned directory it was found in (default: the chart), out of which the render cache reads
    nothing but the ``--values`` files given."""
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
        run = _chart_run(chart, opts, body_fields, root, local.values())
        with prepared(chart, meta, gone, local) as copy:
            _template(run, copy, out.chart, opts, kube_version, out, off)
    else:
        run = _chart_run(chart, opts, body_fields, root)
        _template(run, chart, out.chart, opts, kube_version, out)
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


def _chart_run(
    chart: Path,
    opts: RenderOptions,
    body_fields: BodyFields | None,
    root: Path | None,
    local: Iterable[Path] = (),
) -> _Run:
    """What renders of ``chart`` read: its directory, its ``file://`` dependencies, the values
    files given. The key names ``chart``, not the temporary copy rendered in its place.

    helm renders only what is in the chart's directory: ``helm template`` fetches nothing (no
    ``--dependency-update``), a dependency missing from ``charts/`` is an error or left out
    (``ChartDeps``), so a vendored ``charts/*.tgz`` or directory is keyed by its content and
    no repository, range or helm configuration can change a render behind the key."""
    if opts.cache is None:
        return _Run(chart, body_fields)
    values = [Path(v).absolute() for v in opts.values]
    roots = [chart, *sorted(local), *values]
    return _Run(chart, body_fields, tree_digest(roots, [root or chart, *values]))


def _template(
    run: _Run,
    render_from: Path,
    info: ChartInfo,
    opts: RenderOptions,
    kube_version: str | None,
    out: Rendered,
    disabled: tuple[str, ...] = (),
) -> None:
    chart = run.where
    release = _RELEASE_RE.sub("-", info.name.lower()).strip("-")[:53] or "release"
    args = ["template", "--include-crds", flag("--namespace", release_namespace())]
    kube_version = _renderable_version(info, kube_version, opts.kube_candidates)
    if kube_version:
        args.append(flag("--kube-version", kube_version))
    args += [flag("--api-versions", api) for api in opts.api_versions]
    args += [flag("--set", item) for item in disabled]  # the user's --set, later, win
    args += [flag("--values", Path(values).absolute()) for values in opts.values]
    args += [flag("--set", item) for item in opts.set_values]
    operands: list[str | Path] = [release, render_from]
    proc = _exec(opts, "helm", args, operands, run, opts.timeout, out)
    if proc is None:
        return
    if not proc.ok and TEMPLATE_FAILED in proc.stderr and not (opts.values or opts.set_values):
        proc = _with_ci_values(run, opts, args, operands, proc, out)
    if proc.ok:
        out.items.extend(split_helm_output(proc.stdout, chart, run.body_fields))
    elif YAML_ERROR in proc.stderr:
        debug = ["template", "--debug", *args[1:]]
        out.items.extend(_invalid_yaml(run, opts, debug, operands, proc))
    else:
        out.items.append(ScanError(file=str(chart), message=_failure("helm", proc)))


def release_namespace() -> str:
    """The namespace charts render in: ``$HELM_NAMESPACE``, else ``default``, given to helm as
    ``--namespace`` (else helm takes the namespace of the kubeconfig's current context, which
    has nothing to do with a repository, and which the render cache's key does not hold)."""
    return os.environ.get("HELM_NAMESPACE") or "default"


def _with_ci_values(
    run: _Run,
    opts: RenderOptions,
    args: list[str],
    operands: list[str | Path],
    failed: Completed,
    out: Rendered,
) -> Completed:
    """A chart whose default values do not render (a ``required`` value, a ``fail``), rendered
    with the values its ``ci/`` directory ships for chart testing (helm/chart-testing's
    convention), the first of them that renders; noted, since they are not the defaults."""
    chart = run.where
    for values in ci_values(chart)[:CI_VALUES_TRIED]:
        again = [*args, flag("--values", values)]
        proc = _exec(opts, "helm", again, operands, run, opts.timeout, Rendered())
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
    run: _Run,
    opts: RenderOptions,
    args: list[str],
    operands: list[str | Path],
    first: Completed,
) -> list[Document | ScanError | Skipped]:
    """Helm refused its own output as YAML: render again with ``--debug``, which prints it, and
    read it to show the template and the rendered lines around the error."""
    chart = run.where
    proc = _exec(opts, "helm", args, operands, run, opts.timeout, Rendered())
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
    overlay: Path,
    opts: RenderOptions,
    remote: tuple[str, ...] = (),
    body_fields: BodyFields | None = None,
    root: Path | None = None,
) -> Rendered:
    """``kustomize build`` the overlay within ``opts.kustomize_timeout``; documents point at the
    local file and line they come from, else at the kustomization file. When the build fails
    and the overlay names ``remote`` bases or resources, the error names them. ``body_fields``:
    its output is read on the fast path (see ``read_bytes``). An overlay with remote bases, or
    built with ``--enable-helm`` (which may pull charts), is never cached; nor is one that names
    what the cache may not read (see ``tree_digest``) out of ``root``, the scanned directory it
    was found in (default: the overlay)."""
    out = Rendered()
    given, overlay = overlay, overlay.absolute()
    reads = kustomize_inputs(overlay, root or overlay)
    odd = waits_on(reads, overlay)
    if odd is not None:
        note = f"not built: its build would read {odd}, which kustomize would wait on"
        out.items.append(Skipped(str(given), None, SkipReason.NOT_A_FILE, note))
        return out  # its own files are read (``read_input``)
    flags: list[str] = []
    if opts.kustomize_enable_helm:
        flags.append("--enable-helm")
        helm = _resolve(opts.helm, "helm", overlay, out)
        if helm is None:
            return out
        flags.append(flag("--helm-command", helm.absolute()))
    run = _Run(overlay, body_fields, _overlay_inputs(reads, opts, remote, root or overlay))
    args = ["build", *flags]
    text = _run(opts, "kustomize", args, [overlay], run, opts.kustomize_timeout, out)
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
    origins = _Origins(kustomization_sources(overlay), full=body_fields is None)
    for item in read_bytes(text.encode(), name, EvidenceSource.KUSTOMIZE, body_fields, False):
        if isinstance(item, Document):
            file, line = origins.find(item.kind, item.name) or (name, 1)
            item = Document(item.data, file, line, EvidenceSource.KUSTOMIZE, str(overlay))
        out.items.append(item)
    return out


def _overlay_inputs(
    reads: list[Path], opts: RenderOptions, remote: tuple[str, ...], scope: Path
) -> bytes | Uncacheable | None:
    if opts.cache is None:
        return None
    if remote:
        return Uncacheable(f"it names remote bases or resources ({', '.join(remote)})")
    if opts.kustomize_enable_helm:
        return Uncacheable("built with --kustomize-enable-helm, which may pull charts")
    return tree_digest(reads, [scope])


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

    def __init__(self, files: list[Path], full: bool = True) -> None:
        self.by_kind: dict[str, list[tuple[str, str, int]]] = {}
        for path in files:
            for kind, entry in _identities(path, full):
                self.by_kind.setdefault(kind, []).append(entry)

    def find(self, kind: str, name: str) -> tuple[str, int] | None:
        candidates = [c for c in self.by_kind.get(kind, []) if c[0] and c[0] in name]
        if not candidates:
            return None
        best = max(candidates, key=lambda c: (c[0] == name, len(c[0])))
        return best[1], best[2]


_IDENTITIES: dict[FileKey, list[tuple[str, tuple[str, str, int]]]] = {}
"""``_identities`` of files this process has read on the fast path (``settled_key``): the
bases many overlays share are read once per scan."""


def _identities(path: Path, full: bool) -> list[tuple[str, tuple[str, str, int]]]:
    """(kind, (name, file, line)) of each object in the file; ``full``: read by the full
    parser, else on the fast path for identities only (the same identities and lines)."""
    key = None if full else settled_key(path)
    if key is not None and key in _IDENTITIES:
        return _IDENTITIES[key]
    fields = None if full else _identity_only
    found = [
        (item.kind, (item.name, item.file, item.line))
        for item in read_file(path, body_fields=fields)
        if isinstance(item, Document)
    ]
    if key is not None:
        _IDENTITIES[key] = found
    return found


def _identity_only(api_version: str, kind: str) -> tuple[str, ...]:
    return ()


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
    opts: RenderOptions,
    tool: str,
    args: list[str],
    operands: list[str | Path],
    run: _Run,
    timeout: float,
    out: Rendered,
) -> str | None:
    """The tool's output, or None with an error (every line of what it printed) in ``out``."""
    proc = _exec(opts, tool, args, operands, run, timeout, out)
    if proc is None:
        return None
    if not proc.ok:
        out.items.append(ScanError(file=str(run.where), message=_failure(tool, proc)))
        return None
    return proc.stdout


def _failure(tool: str, proc: Completed) -> str:
    return f"{tool} failed: {proc.stderr.strip() or f'exit {proc.returncode}'}"


def _exec(
    opts: RenderOptions,
    tool: str,
    args: list[str],
    operands: list[str | Path],
    run: _Run,
    timeout: float,
    out: Rendered,
) -> Completed | None:
    """Run the tool through the one program runner (flags first, paths after ``--``), or find
    the same run in ``opts.cache`` (keyed by ``run.where``, not a temporary copy)."""
    binary = _resolve(opts.helm if tool == "helm" else opts.kustomize, tool, run.where, out)
    if binary is None:
        return None
    binary = binary.absolute()
    key = None
    if isinstance(run.inputs, Uncacheable):
        STATS.uncacheable.append(run.inputs.reason)
    elif opts.cache is not None and run.inputs is not None:
        named = [o for o in operands if isinstance(o, str)]
        key = opts.cache.key(tool, binary, args, [*named, run.where], run.inputs)
        argv = (str(binary), *args, "--", *map(str, operands))
        hit = opts.cache.get(key, argv)
        if hit is not None:
            return hit
    try:
        proc = run_program(binary, args, operands, timeout=timeout, name=tool)
    except KubecurrentError as exc:
        out.items.append(ScanError(file=str(run.where), message=f"{tool} failed: {exc.message}"))
        return None
    if key is not None and opts.cache is not None:
        opts.cache.put(key, proc)
    return proc

"""Running a file scan for ``scan files`` and ``fix files``: target, binaries, progress.

The collectors read, the analyzers judge; this module only wires them together, resolves where
helm and kustomize come from, and shows a progress bar when the tree is large.

Plain YAML files are read by the collector's fast path, which gives the same objects, lines and
errors as the full parser; ``KUBECURRENT_SCAN_FILES_CAREFUL=1`` turns it off (every file through
the full parser), which is how ``bench/scan_files.py --smoke`` checks that both agree.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import itertools
import os
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import msgspec

from kubecurrent.analyze import (
    Context,
    body_fields,
    check_chart,
    check_document,
    target_api_versions,
)
from kubecurrent.analyze.report import Counts, ScanReport, ScanSummary
from kubecurrent.catalog import ScanFacts
from kubecurrent.cli._app import err_console
from kubecurrent.cli._pool import enough_inputs, ordered_map, workers_for
from kubecurrent.collect.files import (
    RENDER_CACHE_STATS,
    ChartDeps,
    ChartInfo,
    Document,
    Input,
    KustomizeRemote,
    RenderCache,
    RenderOptions,
    Skipped,
    SkipReason,
    read_input,
)
from kubecurrent.errors import BinaryMissingError, UsageError
from kubecurrent.model import MinorVersion
from kubecurrent.model.findings import ScanError

PROGRESS_THRESHOLD = 200


def refuse_empty_paths(paths: Iterable[str], verb: str) -> None:
    """An empty path argument is refused: it would mean the current directory, so an unset
    shell variable (``scan files "$DIR"``) would scan or rewrite every manifest under it."""
    if any(not p.strip() for p in paths):
        raise UsageError(
            "an empty path was given (an unset shell variable?)",
            hint=f"name the files or directories to {verb}; use . for the current directory",
        )


def resolve_target(facts: ScanFacts, target: str | None, from_version: str | None) -> MinorVersion:
    """``--target``: a minor, ``next`` (one above ``--from``), or the newest in the catalog."""
    if target is None:
        return MinorVersion.parse(facts.newest_release())
    if target == "next":
        if not from_version:
            raise UsageError(
                "--target next needs --from X.Y", hint="e.g. --target next --from 1.36"
            )
        return MinorVersion.parse(from_version).offset(1)
    return MinorVersion.parse(target)


def target_warning(ctx: Context) -> str | None:
    """A warning when the target is newer than every release the catalog knows."""
    if not ctx.known_versions:
        return None
    target, newest = ctx.target, MinorVersion.parse(ctx.known_versions[0].rsplit(".", 1)[0])
    if target <= newest:
        return None
    return (
        f"--target {target} is newer than {newest}, the newest release the catalog knows: "
        f"what {target} removes beyond that is not known (facts stop at {newest}); update "
        "kubecurrent or add catalog entries with --catalog-extra"
    )


def binary_resolver(flag: str | None, name: str) -> Callable[[], Path]:
    """The flag's path, else the binary ``sandbox build`` made (of the sandbox component
    ``name``: helm or kustomize), else ``name`` on PATH; when none exists, the error names
    every way out. Nothing is looked up until a chart or overlay needs the binary."""
    ways = (
        f"pass --{name}-binary PATH, put {name} on PATH, or run `kubecurrent sandbox build` "
        f"to build it"
    )

    def resolve() -> Path:
        if flag:
            path = Path(flag)
            if not path.is_file():
                raise BinaryMissingError(f"--{name}-binary {flag}: no such file", hint=ways)
            return path
        try:
            from kubecurrent import sandbox  # only when a chart or overlay is rendered

            component = {"helm": sandbox.HELM, "kustomize": sandbox.KUSTOMIZE}[name]
            return sandbox.binary_path(component, name)
        except BinaryMissingError as exc:
            import shutil

            found = shutil.which(name)
            if found:
                return Path(found)
            raise BinaryMissingError(
                f"{name} was not found (not built by kubecurrent, not on PATH)", hint=ways
            ) from exc

    return resolve


def render_options(
    helm: str | None,
    kustomize: str | None,
    values: Iterable[str],
    sets: Iterable[str],
    chart_deps: str = ChartDeps.REQUIRE.value,
    kustomize_enable_helm: bool = False,
    kustomize_remote: str = KustomizeRemote.SKIP.value,
    kustomize_timeout: float | None = None,
    render_cache: bool = True,
    render_cache_dir: str | None = None,
) -> RenderOptions:
    """How charts and overlays are rendered; ``render_cache``: runs are kept in (and found
    again from) ``render_cache_dir``, by default ``cachedir.render_cache_dir``
    (``collect.files.RenderCache``)."""
    from kubecurrent.cachedir import render_cache_dir as default_dir

    where = Path(render_cache_dir) if render_cache_dir else default_dir()

    opts = RenderOptions(
        helm=binary_resolver(helm, "helm"),
        kustomize=binary_resolver(kustomize, "kustomize"),
        values=tuple(values),
        set_values=tuple(sets),
        chart_deps=ChartDeps(chart_deps),
        kustomize_enable_helm=kustomize_enable_helm,
        kustomize_remote=KustomizeRemote(kustomize_remote),
        cache=RenderCache(where / "v1") if render_cache else None,
    )
    if kustomize_timeout is not None:
        opts = dataclasses.replace(opts, kustomize_timeout=kustomize_timeout)
    return opts


def scan(
    inputs: Iterable[Input],
    ctx: Context,
    opts: RenderOptions,
    stdin: bool = False,
    debug: bool = False,
) -> ScanReport:
    """Read every input and apply every rule; per-input errors are collected, never fatal.

    Many files are scanned on every core (``_pool``); the report is the same, in input order.
    ``inputs`` may be a directory walk still going on: its first inputs decide how many
    processes, and the rest are scanned while the walk goes on. ``stdin``: an input is standard
    input, which only this process can read. ``debug``: a line on standard error for each input
    (``debug_line``)."""
    opts = dataclasses.replace(
        opts,
        kube_version=f"{ctx.target}.0",
        kube_candidates=ctx.known_versions,
        api_versions=target_api_versions(ctx),
    )
    report = ScanReport(target=str(ctx.target), summary=ScanSummary())
    feed = _Feed(inputs, enough_inputs())
    many = feed.total is None or feed.total >= PROGRESS_THRESHOLD
    show = many and sys.stderr.isatty()
    workers = 1 if stdin else workers_for(sum(map(weight, feed.head)))
    work = functools.partial(scan_batch, ctx=ctx, opts=opts, fast=not careful(), debug=debug)
    with ordered_map(work, feed, workers) as parts, _progress(show, feed) as advance:
        for done, part in parts:
            _merge(report, part)
            advance(done)
    feed.raise_stop()
    return report


BATCH = 64
"""Inputs scanned as one piece of work, by ``weight``: a worker sends back one report for them
(fewer objects to pickle)."""
TAIL = 16
"""The last inputs (the ``BATCH`` to ``2 * BATCH`` found last, by ``weight``) go in batches of
``TAIL``: a worker done early takes another small one instead of waiting while the other ends a
whole batch."""
RENDER_WEIGHT = 64
"""What a chart or overlay weighs against a manifest file (1) when the number of processes is
chosen and inputs are cut into batches: rendering one runs helm or kustomize, 40-540 ms each on
the overlays and chart of GoogleCloudPlatform/microservices-demo (measured, idle to loaded),
where a manifest file of bench/corpus.py takes about 1 ms. So a repository of a few files and
four or more overlays renders them on every core, and a batch holds at most one render."""
RENDERED = frozenset({"chart", "kustomize"})
FILE_WEIGHT = 0.44
"""What reading any manifest file weighs whatever its size (opening it, cutting it, the
fast path's set-up), in manifest files of bench/corpus.py's default (ten documents, 11.4 KiB
on average), the unit ``MIN_PER_WORKER`` was measured in."""
KIB_WEIGHT = 0.049
"""What each KiB of a manifest file adds. Measured in one process on bench/corpus.py
repositories of 300 files (1.5, 10 and 30 documents a file, 3.6, 12 and 41 KiB on average):
0.24, 0.44 and 1.03 ms a file, so 0.18 ms a file and 0.02 ms a KiB. A repository of small files
(a few hundred of under a KiB) then stays in this process, where their count alone started a
pool; a few large files are worth every core."""


def weight(inp: Input) -> float:
    """How much work ``inp`` is, in manifest files of bench/corpus.py's default: a chart or
    overlay ``RENDER_WEIGHT``, a file by its size (``FILE_WEIGHT``, ``KIB_WEIGHT``; 1 when its
    size is not known)."""
    if inp.kind in RENDERED:
        return RENDER_WEIGHT
    if inp.size is None:
        return 1
    return FILE_WEIGHT + KIB_WEIGHT * inp.size / 1024


def _cut(held: list[Input], size: int) -> list[Input]:
    """The first inputs of ``held`` weighing ``size`` or more (all of them if less), taken off."""
    total: float = 0
    taken = 0
    while taken < len(held) and total < size:
        total += weight(held[taken])
        taken += 1
    batch = held[:taken]
    del held[:taken]
    return batch


class _Feed:
    """``inputs`` in batches of ``BATCH`` (by ``weight``), the first ``ahead`` of them read at
    once (``head``), smaller batches at the end (``TAIL``): the last ``BATCH`` found are held
    back until the walk has ended or found more.

    With a pool the batches are taken by the pool's own thread: what stops the walk there is
    kept (``raise_stop`` raises it in the caller) rather than crossing to a worker, after the
    inputs found before it are handed out; the number of inputs is known when the walk has
    ended (``total``)."""

    def __init__(self, inputs: Iterable[Input], ahead: int) -> None:
        self.rest = iter(inputs)
        self.head = list(itertools.islice(self.rest, ahead))
        self.total: int | None = None if len(self.head) == ahead else len(self.head)
        self.stop: BaseException | None = None

    def __iter__(self) -> Iterator[list[Input]]:
        held: list[Input] = []
        count = 0
        heavy: float = 0
        try:
            for item in itertools.chain(self.head, self.rest):
                held.append(item)
                count += 1
                heavy += weight(item)
                if heavy >= 2 * BATCH:
                    batch = _cut(held, BATCH)
                    heavy -= sum(map(weight, batch))
                    yield batch
        except Exception as exc:  # raised again by raise_stop, in the caller
            self.stop = exc
        self.total = count
        while held:
            yield _cut(held, TAIL)

    def raise_stop(self) -> None:
        if self.stop is not None:
            raise self.stop


def scan_batch(
    inputs: list[Input],
    ctx: Context,
    opts: RenderOptions,
    fast: bool = True,
    debug: bool = False,
) -> tuple[int, ScanReport]:
    """How many inputs, and one report for them in their order (``scan_input`` for each);
    ``debug``: each input's ``debug_line`` on standard error as it ends."""
    report = ScanReport(target=str(ctx.target), summary=ScanSummary())
    for inp in inputs:
        if debug:
            start = _Clock.now()
            part = scan_input(inp, ctx, opts, fast)
            print(debug_line(inp, part, _Clock.now().since(start)), file=sys.stderr, flush=True)
        else:
            part = scan_input(inp, ctx, opts, fast)
        _merge(report, part)
    return len(inputs), report


class _Clock(msgspec.Struct, frozen=True):
    """Wall time, this process's CPU, its children's CPU (helm, kustomize) and the render
    cache's counts, at one moment or between two."""

    wall: float
    cpu: float
    children: float
    hits: int
    misses: int
    uncacheable: int

    @classmethod
    def now(cls) -> _Clock:
        import resource  # --debug only

        kids = resource.getrusage(resource.RUSAGE_CHILDREN)
        stats = RENDER_CACHE_STATS
        return cls(
            time.perf_counter(),
            time.process_time(),
            kids.ru_utime + kids.ru_stime,
            stats.hits,
            stats.misses,
            len(stats.uncacheable),
        )

    def since(self, start: _Clock) -> _Clock:
        return _Clock(
            self.wall - start.wall,
            self.cpu - start.cpu,
            self.children - start.children,
            self.hits - start.hits,
            self.misses - start.misses,
            self.uncacheable - start.uncacheable,
        )


def debug_line(inp: Input, report: ScanReport, spent: _Clock) -> str:
    """``debug: <kind> <path>: <wall> s, <CPU> s CPU, <CPU> s CPU in helm/kustomize, <n>
    objects[, render cache: <h> hit(s), <m> miss(es)[, <u> not cached: <why>]]``: what one
    input cost, and what the render cache gave it (runs it may not keep, and why)."""
    line = (
        f"debug: {inp.kind} {inp.path}: {spent.wall:.3f} s, {spent.cpu:.3f} s CPU, "
        f"{spent.children:.3f} s CPU in helm/kustomize, {report.documents} objects"
    )
    if spent.hits or spent.misses or spent.uncacheable:
        line += f", render cache: {spent.hits} hit(s), {spent.misses} miss(es)"
    if spent.uncacheable:
        why = RENDER_CACHE_STATS.uncacheable[-spent.uncacheable :]
        line += f", {spent.uncacheable} not cached: {'; '.join(dict.fromkeys(why))}"
    return line


def _merge(report: ScanReport, part: ScanReport) -> None:
    report.documents += part.documents
    report.findings += part.findings
    report.errors += part.errors
    report.skipped += part.skipped
    if report.summary is not None and part.summary is not None:
        report.summary.add(part.summary)


@contextlib.contextmanager
def _progress(show: bool, feed: _Feed) -> Iterator[Callable[[int], None]]:
    """A progress bar on the terminal when ``show``; yields what advances it by some inputs.
    Its total is the feed's once the walk has ended."""
    if not show:
        yield lambda _done: None
        return
    from rich.progress import Progress

    with Progress(console=err_console(), transient=True) as progress:
        task = progress.add_task("scanning", total=feed.total)

        def advance(done: int) -> None:
            progress.update(task, advance=done, total=feed.total)

        yield advance


CAREFUL_ENV = "KUBECURRENT_SCAN_FILES_CAREFUL"


def careful() -> bool:
    """True when the fast reading path is turned off (``KUBECURRENT_SCAN_FILES_CAREFUL=1``)."""
    return os.environ.get(CAREFUL_ENV, "").lower() in ("1", "true", "yes")


def scan_input(inp: Input, ctx: Context, opts: RenderOptions, fast: bool = True) -> ScanReport:
    """The documents, findings and errors of one input, and what it counts for in the summary;
    ``fast``: the fast reading path where it applies (see ``careful``)."""
    report = ScanReport(target=str(ctx.target))
    for item in read_input(inp, opts, body_fields if fast else None):
        if isinstance(item, Document):
            report.documents += 1
            report.findings += check_document(item, ctx)
        elif isinstance(item, ScanError):
            report.errors.append(item)
        elif isinstance(item, Skipped):
            report.skipped.append(item)
        elif isinstance(item, ChartInfo):
            hit = check_chart(item, ctx)
            if isinstance(hit, ScanError):
                report.errors.append(hit)
            elif hit is not None:
                report.findings.append(hit)
    report.summary = tally(inp, report)
    return report


DOCUMENT_SKIPS = frozenset(
    {SkipReason.NOT_AN_OBJECT, SkipReason.NO_IDENTITY, SkipReason.NOT_YAML, SkipReason.TEMPLATE}
)
"""Skips of one document; the others skip a whole chart or overlay (or only note something)."""
WHOLE_SKIPS = frozenset(
    {
        SkipReason.LIBRARY_CHART,
        SkipReason.KUSTOMIZE_INCOMPLETE,
        SkipReason.KUSTOMIZE_REMOTE,
        SkipReason.KUSTOMIZE_COMPONENT,
        SkipReason.NOT_A_FILE,
        SkipReason.BINARY,
    }
)


def tally(inp: Input, report: ScanReport) -> ScanSummary:
    """What one input adds to the summary.

    Documents: read as objects (a List's items count one each), skipped (no Kubernetes object),
    failed (an error at a line). The input itself: skipped when it was passed over as a whole
    (a library chart, a kustomize Component) or gave neither object nor error; failed when it
    gave errors and no object; read or rendered otherwise."""
    objects, errors = report.documents, len(report.errors)
    reasons = [s.reason for s in report.skipped]
    broken = sum(1 for e in report.errors if e.line is not None)
    documents = Counts(done=objects, skipped=sum(r in DOCUMENT_SKIPS for r in reasons))
    documents.failed = broken
    passed_over = any(r in WHOLE_SKIPS for r in reasons) or (objects == 0 and errors == 0)
    whole = Counts(
        done=int(objects > 0 and not passed_over),
        skipped=int(passed_over),
        failed=int(objects == 0 and errors > 0 and not passed_over),
    )
    summary = ScanSummary(documents=documents)
    if inp.kind == "chart":
        summary.charts = whole
    elif inp.kind == "kustomize":
        summary.overlays = whole
    else:
        summary.files = whole
    return summary

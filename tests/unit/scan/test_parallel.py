"""Scanning many files on several processes: the same report, in the same order, errors too."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from kubecurrent.analyze import Context
from kubecurrent.cli import _scan_run
from kubecurrent.cli._pool import MIN_PER_WORKER, busy, ordered_map, workers_for
from kubecurrent.cli.scan import run_scan
from kubecurrent.collect.files import Input, InputKind, RenderOptions, discover


def _pid_and_square(n: int) -> tuple[int, int]:
    return os.getpid(), n * n


def _fail_on_seven(n: int) -> int:
    if n == 7:
        raise ValueError("seven")
    return n


def _dispositions(_: int) -> tuple[bool, bool]:
    term, intr = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    return term == signal.SIG_DFL, intr == signal.SIG_IGN


def test_workers_die_at_sigterm_whatever_handler_the_parent_has() -> None:
    # The CLI's SIGTERM handler raises KeyboardInterrupt; copied into a worker by the fork it
    # let a worker outlive the pool's terminate() and the parent hung waiting for it.
    def handler(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    before = signal.signal(signal.SIGTERM, handler)
    try:
        with ordered_map(_dispositions, list(range(100)), 2) as results:
            seen = set(results)
    finally:
        signal.signal(signal.SIGTERM, before)
    assert seen == {(True, True)}  # default SIGTERM (the kernel kills), Ctrl-C left to the parent


def test_results_come_back_in_input_order_from_other_processes() -> None:
    items = list(range(200))
    with ordered_map(_pid_and_square, items, 2) as results:
        out = list(results)
    assert [square for _, square in out] == [n * n for n in items]
    assert os.getpid() not in {pid for pid, _ in out}


def test_one_worker_runs_in_this_process() -> None:
    with ordered_map(_pid_and_square, [1, 2], 1) as results:
        assert list(results) == [(os.getpid(), 1), (os.getpid(), 4)]


def test_an_exception_in_a_worker_reaches_the_caller() -> None:
    with pytest.raises(ValueError, match="seven"), ordered_map(_fail_on_seven, range(50), 2) as r:
        list(r)


def test_workers_need_enough_inputs_and_idle_cores() -> None:
    many = MIN_PER_WORKER * 64
    assert workers_for(MIN_PER_WORKER - 1, cores=4, load=0.0) == 1
    assert workers_for(many, cores=4, load=0.2) == 4
    assert workers_for(many, cores=2, load=1.5) == 2
    assert workers_for(many, cores=2, load=8.0) == 1  # a saturated machine: stay in-process
    assert workers_for(MIN_PER_WORKER * 3, cores=8, load=0.0) == 3


def test_a_machine_is_as_busy_as_its_load_unless_fewer_threads_run_now() -> None:
    assert busy(1.9, "1.90 1.20 0.80 1/312 4242\n") == 0.0  # the load of a run just ended
    assert busy(1.9, "1.90 1.20 0.80 2/312 4242\n") == 1.0
    assert busy(3.5, "3.50 3.20 2.80 9/312 4242\n") == 3.5  # busy now and for a while
    assert busy(0.4, "0.40 0.20 0.10 6/312 4242\n") == 0.4  # a burst now, idle before
    for odd in (None, "", "1.9 1.2", "1.90 1.20 0.80 x/312 4242"):
        assert busy(1.9, odd) == 1.9  # no /proc/loadavg (not Linux) or not of that shape
    assert workers_for(MIN_PER_WORKER * 4, cores=2, load=busy(2.3, "2.3 2 2 1/9 9")) == 2


def test_parallel_scan_report_equals_the_sequential_one(
    tmp_path: Path, ctx: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    for i in range(150):
        body = (
            f"apiVersion: batch/v1beta1\nkind: CronJob\nmetadata:\n  name: c{i}\n---\n"
            f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: m{i}\n"
        )
        if i % 37 == 0:
            body += "---\napiVersion: v1\nkind: ConfigMap\ndata: [unclosed\n"
        (tmp_path / f"f{i:03}.yaml").write_text(body)
    monkeypatch.setattr(_scan_run, "workers_for", lambda n: 1)
    sequential = run_scan((str(tmp_path),), ctx, RenderOptions())
    monkeypatch.setattr(_scan_run, "workers_for", lambda n: 2)
    parallel = run_scan((str(tmp_path),), ctx, RenderOptions())
    assert parallel == sequential
    assert (parallel.documents, len(parallel.findings), len(parallel.errors)) == (300, 150, 5)
    assert [f.object.name for f in parallel.findings[:3]] == ["c0", "c1", "c2"]


def _repository(root: Path, files: int) -> None:
    for i in range(files):
        body = f"apiVersion: batch/v1beta1\nkind: CronJob\nmetadata:\n  name: c{i}\n"
        if i % 9 == 0:
            body += "---\napiVersion: v1\nkind: ConfigMap\ndata: [unclosed\n"
        (root / f"f{i:03}.yaml").write_text(body)


@pytest.mark.parametrize("workers", [1, 2])
def test_a_walk_still_going_on_is_scanned_as_a_finished_one(
    tmp_path: Path, ctx: Context, monkeypatch: pytest.MonkeyPatch, workers: int
) -> None:
    # Only the first inputs are read ahead (to choose the number of processes); the rest of
    # the walk goes on while they are scanned, in the pool's own thread when there is one.
    _repository(tmp_path, 150)
    monkeypatch.setattr(_scan_run, "workers_for", lambda n: 1)
    finished = run_scan((str(tmp_path),), ctx, RenderOptions())
    monkeypatch.setattr(_scan_run, "enough_inputs", lambda: 7)
    monkeypatch.setattr(_scan_run, "BATCH", 5)
    monkeypatch.setattr(_scan_run, "workers_for", lambda n: workers)
    streamed = run_scan((str(tmp_path),), ctx, RenderOptions())
    assert streamed == finished
    assert [f.object.name for f in streamed.findings] == [f"c{i}" for i in range(150)]
    assert streamed.summary is not None and streamed.summary.files.done == 150


@pytest.mark.parametrize("workers", [1, 2])
def test_what_stops_the_walk_reaches_the_caller(
    tmp_path: Path, ctx: Context, monkeypatch: pytest.MonkeyPatch, workers: int
) -> None:
    _repository(tmp_path, 20)
    inputs = [Input("file", p) for p in sorted(tmp_path.iterdir())]

    def walk() -> Iterator[Input]:
        yield from inputs
        raise PermissionError("the walk could not go on")

    monkeypatch.setattr(_scan_run, "enough_inputs", lambda: 3)
    monkeypatch.setattr(_scan_run, "workers_for", lambda n: workers)
    with pytest.raises(PermissionError, match="could not go on"):
        _scan_run.scan(walk(), ctx, RenderOptions())


def test_the_last_inputs_go_in_small_batches_and_none_is_lost_to_a_walk_error() -> None:
    inputs = [Input("file", Path(f"f{i}.yaml")) for i in range(300)]
    feed = _scan_run._Feed(inputs, 256)
    batches = list(feed)
    assert [len(b) for b in batches] == [64, 64, 64, 16, 16, 16, 16, 16, 16, 12]
    assert [i for b in batches for i in b] == inputs and feed.total == 300

    def broken() -> Iterator[Input]:
        yield from inputs[:100]
        raise PermissionError("the walk could not go on")

    feed = _scan_run._Feed(broken(), 10)
    assert [i for b in feed for i in b] == inputs[:100]  # handed out before the error is raised
    with pytest.raises(PermissionError, match="could not go on"):
        feed.raise_stop()


def test_a_chart_or_overlay_weighs_as_many_files_and_goes_alone_in_a_batch() -> None:
    # Rendering runs helm or kustomize (tens to hundreds of ms each): a repository of a few
    # files and several overlays is worth every core, and no batch holds two renders.
    files = [Input("file", Path(f"f{i}.yaml")) for i in range(40)]
    kinds: list[InputKind] = ["chart", "kustomize"] * 3
    renders = [Input(kind, Path(f"app{i}")) for i, kind in enumerate(kinds)]
    inputs = files[:20] + renders + files[20:]
    assert sum(map(_scan_run.weight, inputs)) == 40 + 6 * _scan_run.RENDER_WEIGHT
    assert workers_for(len(inputs), cores=2, load=0.0) == 1  # by count: too few to fork
    assert workers_for(sum(map(_scan_run.weight, inputs)), cores=2, load=0.0) == 2
    batches = list(_scan_run._Feed(inputs, 256))
    assert [i for b in batches for i in b] == inputs  # every input, in order
    assert all(sum(i.kind != "file" for i in b) <= 1 for b in batches)
    assert sum(1 for b in batches if any(i.kind != "file" for i in b)) == 6
    assert [Input("component", Path("c"))] == [
        i for b in _scan_run._Feed([Input("component", Path("c"))], 4) for i in b
    ]


def test_files_weigh_by_their_size_so_many_small_files_stay_in_process(tmp_path: Path) -> None:
    # Forking a pool costs tens of ms: 300 files of a few hundred bytes are less work than
    # that, where 40 files of 300 KB are worth every core. The walk tells each file's size.
    for i in range(3):
        (tmp_path / f"cm{i}.yaml").write_text(f"apiVersion: v1\nkind: ConfigMap\n# {'x' * i}\n")
    walked = [i for i in discover([str(tmp_path)]) if isinstance(i, Input)]
    assert [i.size for i in walked] == [p.stat().st_size for p in sorted(tmp_path.iterdir())]
    small = [Input("file", Path(f"s{i}.yaml"), size=400) for i in range(300)]
    large = [Input("file", Path(f"l{i}.yaml"), size=300 * 1024) for i in range(40)]
    assert workers_for(len(small), cores=2, load=0.0) == 2  # by count they would fork
    assert workers_for(sum(map(_scan_run.weight, small)), cores=2, load=0.0) == 1
    assert workers_for(sum(map(_scan_run.weight, large)), cores=2, load=0.0) == 2
    typical = Input("file", Path("t.yaml"), size=11_669)  # bench/corpus.py's mean file
    assert _scan_run.weight(typical) == pytest.approx(1, abs=0.05)
    assert _scan_run.weight(Input("file", Path("u.yaml"))) == 1  # size not known

"""Benchmark: ``kubecurrent scan files`` against ``helm template | pluto detect -`` on real
repositories (local checkouts of public repositories: kubernetes/examples, helm/charts, ...).

For each repository, in fresh processes:

* kubecurrent scans the whole checkout (manifests, charts, overlays) — the same work as
  ``kubecurrent scan files REPO --target T`` — and reports inputs, objects, findings, errors;
* the peer renders every chart with ``helm template --include-crds`` (the same release name
  kubecurrent uses) and pipes it into ``pluto detect -`` (pluto from
  ~/.cache/kubecurrent/bench/pluto, built from source by ``bench/build_peers.sh``).

* plain manifest files are compared with ``pluto detect-files -d CHECKOUT``.

Printed per repository: inputs and objects, removed findings on both sides (objects from
charts and from plain files; RBAC grants left out, pluto does not judge them), the distinct
removed objects (apiVersion, kind, name) and the differences either way, errors (inputs
kubecurrent could not read; charts helm could not render), wall time and peak memory (of the
process and the helm/kustomize it starts). The exit code kubecurrent's CLI would give is shown
too. ``--show-diff`` lists every difference.

``--exclude GLOB`` (repeatable) and ``--kustomize-remote fetch|skip`` are passed to
kubecurrent as ``scan files`` takes them; pluto has no exclude option, so the charts it renders
and the files it reports are filtered with the same patterns.

Not a test: ``.venv/bin/python bench/scan_repos.py CHECKOUT... [--target 1.37]
[--chart-deps skip] [--exclude GLOB]... [--kustomize-remote skip] [--show-diff]``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "kubecurrent"
PLUTO = CACHE / "bench" / "pluto"
RELEASE_RE = re.compile(r"[^a-z0-9-]+")
KIND_LINE = re.compile(r"(?m)^kind:")
Key = tuple[str, str, str]
"""apiVersion, kind, name of a removed object."""


@dataclass
class Side:
    """One tool's result on one repository."""

    inputs: int = 0
    objects: int = 0
    removed: Counter[Key] = field(default_factory=Counter)
    """Removed objects from charts."""
    files_removed: Counter[Key] = field(default_factory=Counter)
    """Removed objects from plain manifest files (kubecurrent: and kustomize overlays)."""
    deprecated: int = 0
    errors: int = 0
    seconds: float = 0.0
    peak_mib: float = 0.0
    exit: int | None = None
    excluded: int = 0
    """Files and directories ``--exclude`` kept out (kubecurrent only)."""


def timed(argv: list[str], stdin: bytes | None = None) -> tuple[int, bytes, bytes, float, float]:
    """Run argv; return code, stdout, stderr, wall seconds and the peak RSS in MiB of the
    process and the children it waited for (``wait4``: this run only)."""
    start = time.monotonic()
    proc = subprocess.Popen(
        argv,
        stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    chunks: dict[str, bytes] = {}
    readers = [
        threading.Thread(target=lambda: chunks.__setitem__("out", proc.stdout.read())),  # type: ignore[union-attr]
        threading.Thread(target=lambda: chunks.__setitem__("err", proc.stderr.read())),  # type: ignore[union-attr]
    ]
    for reader in readers:
        reader.start()
    if proc.stdin is not None:
        with contextlib.suppress(BrokenPipeError):
            proc.stdin.write(stdin or b"")
        proc.stdin.close()
    for reader in readers:
        reader.join()
    _pid, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.monotonic() - start
    return proc.returncode, chunks["out"], chunks["err"], seconds, usage.ru_maxrss / 1024


@dataclass(frozen=True)
class Options:
    """What kubecurrent is told to do beyond the defaults (the peer reads everything)."""

    target: str
    chart_deps: str
    exclude: tuple[str, ...]
    kustomize_remote: str

    def argv(self) -> list[str]:
        out = ["--target", self.target, "--chart-deps", self.chart_deps]
        out += ["--kustomize-remote", self.kustomize_remote]
        return out + [f"--exclude={glob}" for glob in self.exclude]


def child(repo: str, opts: Options) -> None:
    """In a fresh process: the scan ``kubecurrent scan files`` runs, as JSON with counts."""
    from kubecurrent.cli._scan_run import render_options
    from kubecurrent.cli.scan import context_for, exit_code, run_scan, walk
    from kubecurrent.collect.files import ExcludeRules

    ctx = context_for(opts.target, None, ())
    rules = ExcludeRules.parse(opts.exclude)
    render = render_options(  # cold: the peer renders every chart again each run too
        None,
        None,
        (),
        (),
        opts.chart_deps,
        kustomize_remote=opts.kustomize_remote,
        render_cache=False,
    )
    report = run_scan((repo,), ctx, render, rules)
    inputs, _errors, excluded = walk((repo,), rules)
    out = {
        "inputs": len(inputs),
        "excluded": len(excluded),
        "objects": report.documents,
        "exit": exit_code(report, "removed"),
        "errors": len(report.errors),
        "skipped": report.skipped_counts(),
        "findings": [
            {
                "rule": f.rule,
                "status": f.status.value,
                "source": f.source.value,
                "apiVersion": f.object.api_version,
                "kind": f.object.kind,
                "name": f.object.name,
            }
            for f in report.findings
        ],
    }
    json.dump(out, sys.stdout)


def kubecurrent_side(repo: Path, opts: Options) -> Side:
    argv = [sys.executable, __file__, "--child", str(repo), *opts.argv()]
    code, out, err, seconds, peak = timed(argv)
    if code != 0:
        raise SystemExit(f"kubecurrent failed on {repo}: {err.decode()[-2000:]}")
    data: dict[str, Any] = json.loads(out)
    side = Side(data["inputs"], data["objects"], seconds=seconds, peak_mib=peak)
    side.errors, side.exit, side.excluded = data["errors"], data["exit"], data["excluded"]
    for f in data["findings"]:
        grant = f["rule"].startswith("KC-RBAC") or (
            f["rule"] == "KC-PSP" and f["kind"] != "PodSecurityPolicy"
        )
        if grant or not f["rule"].startswith(("KC-API-", "KC-PSP")):
            continue  # pluto judges objects by their apiVersion only, not RBAC grants
        key = (f["apiVersion"], f["kind"], f["name"])
        if f["status"] != "removed":
            side.deprecated += 1
        elif f["source"] == "helm-chart":
            side.removed[key] += 1
        elif f["source"] in ("manifest", "kustomize"):
            side.files_removed[key] += 1  # pluto detect-files reads an overlay's raw files
    return side


def charts(repo: Path) -> list[Path]:
    """Chart directories, not counting subcharts inside a chart's charts/ directory."""
    found: list[Path] = []
    for chart_yaml in sorted(repo.rglob("Chart.yaml")):
        chart = chart_yaml.parent
        if any(part.startswith(".") for part in chart.relative_to(repo).parts):
            continue
        if any(chart.is_relative_to(c / "charts") for c in found):
            continue
        found.append(chart)
    return found


def release_name(chart: Path) -> str:
    text = chart.joinpath("Chart.yaml").read_text(encoding="utf-8", errors="replace")
    match = re.search(r"(?m)^name:\s*['\"]?([^'\"\s#]+)", text)
    name = match.group(1) if match else chart.name
    return RELEASE_RE.sub("-", name.lower()).strip("-")[:53] or "release"


def excluded(repo: Path, path: str, patterns: tuple[str, ...]) -> bool:
    """Whether kubecurrent's ``--exclude`` keeps ``path`` (or a directory above it) out, so
    that the peer is compared on the same inputs."""
    from kubecurrent.collect.files import ExcludeRules

    rules = ExcludeRules.parse(patterns)
    if not rules:
        return False
    at = path.find(str(repo) + "/")  # pluto prints paths as CWD + "/" + the path it walked
    parts = Path(path[at + len(str(repo)) + 1 :] if at >= 0 else path).parts
    tops = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    return any(rules.matching(p, i < len(tops) - 1) for i, p in enumerate(tops))


def pluto_side(repo: Path, target: str, helm: Path, exclude: tuple[str, ...] = ()) -> Side:
    """The peer on the same inputs: charts and files under ``exclude`` are left out."""
    side = Side()
    for chart in charts(repo):
        if excluded(repo, str(chart.relative_to(repo)) + "/Chart.yaml", exclude):
            continue
        side.inputs += 1
        argv = [str(helm), "template", "--include-crds", f"--kube-version={target}.0"]
        code, out, _err, seconds, peak = timed([*argv, "--", release_name(chart), str(chart)])
        side.seconds += seconds
        side.peak_mib = max(side.peak_mib, peak)
        if code != 0:
            side.errors += 1
            continue
        side.objects += len(KIND_LINE.findall(out.decode("utf-8", "replace")))
        pluto = [str(PLUTO), "detect", "-", "-o", "json", f"--target-versions=k8s=v{target}.0"]
        _code, found, _err, seconds, peak = timed(pluto, stdin=out)
        side.seconds += seconds
        side.peak_mib = max(side.peak_mib, peak)
        for item in json.loads(found or b"{}").get("items") or []:
            key = (item["api"]["version"], item["api"]["kind"], item.get("name", ""))
            if item.get("removed"):
                side.removed[key] += 1
            elif item.get("deprecated"):
                side.deprecated += 1
    files = [str(PLUTO), "detect-files", "-d", str(repo), "-o", "json"]
    _code, found, _err, seconds, peak = timed([*files, f"--target-versions=k8s=v{target}.0"])
    side.seconds += seconds
    side.peak_mib = max(side.peak_mib, peak)
    for item in json.loads(found or b"{}").get("items") or []:
        if item.get("removed") and not excluded(repo, item.get("filePath", ""), exclude):
            side.files_removed[(item["api"]["version"], item["api"]["kind"], item["name"])] += 1
    return side


def helm_binary() -> Path:
    built = sorted((CACHE / "bin" / "helm").glob("*/helm"))
    if built:
        return built[-1]
    raise SystemExit("no helm: run `kubecurrent sandbox build` first")


def all_removed(side: Side) -> set[Key]:
    """Removed objects from charts and files: a chart's crds/ file is both a chart's object
    and a file pluto detect-files reads, so the two sides are compared as one set."""
    return set(side.removed) | set(side.files_removed)


def row(repo: Path, kc: Side, peer: Side) -> list[str]:
    mine, theirs = all_removed(kc), all_removed(peer)
    return [
        repo.name,
        f"{kc.inputs}/{peer.inputs}",
        str(kc.excluded),
        f"{kc.objects}/{peer.objects}",
        f"{sum(kc.removed.values())}/{sum(peer.removed.values())}",
        f"{sum(kc.files_removed.values())}/{sum(peer.files_removed.values())}",
        f"{len(mine)}/{len(theirs)}",
        f"{len(mine - theirs)}/{len(theirs - mine)}",
        f"{kc.errors}/{peer.errors}",
        f"{kc.seconds:.1f}/{peer.seconds:.1f}",
        f"{kc.peak_mib:.0f}/{peer.peak_mib:.0f}",
        str(kc.exit),
    ]


HEAD = [
    "repository",
    "inputs kc/charts",
    "excluded",
    "objects kc/helm",
    "chart removed kc/pluto",
    "file removed kc/pluto",
    "distinct removed kc/pluto",
    "only kc/only pluto",
    "errors kc/helm",
    "seconds kc/peer",
    "peak MiB kc/peer",
    "kc exit",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("repos", nargs="+")
    parser.add_argument("--target", default="1.37")
    parser.add_argument("--chart-deps", default="require", choices=["require", "skip"])
    parser.add_argument("--exclude", action="append", default=[], metavar="GLOB")
    parser.add_argument("--kustomize-remote", default="skip", choices=["skip", "fetch"])
    parser.add_argument("--show-diff", action="store_true")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    opts = Options(args.target, args.chart_deps, tuple(args.exclude), args.kustomize_remote)
    if args.child:
        child(args.repos[0], opts)
        return
    if not PLUTO.exists():
        raise SystemExit(f"no pluto at {PLUTO}: build it with bench/build_peers.sh")
    helm = helm_binary()
    rows = []
    for raw in args.repos:
        repo = Path(raw).resolve()
        kc = kubecurrent_side(repo, opts)
        peer = pluto_side(repo, args.target, helm, opts.exclude)
        rows.append(row(repo, kc, peer))
        print(" | ".join(rows[-1]), file=sys.stderr, flush=True)
        if args.show_diff:
            mine, theirs = all_removed(kc), all_removed(peer)
            for key in sorted(mine - theirs):
                print(f"  {repo.name}: only kubecurrent: {' '.join(key)}")
            for key in sorted(theirs - mine):
                print(f"  {repo.name}: only pluto:       {' '.join(key)}")
    widths = [max(len(r[i]) for r in [HEAD, *rows]) for i in range(len(HEAD))]
    for r in [HEAD, *rows]:
        print("  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)))
    excluded = " ".join(f"--exclude {g}" for g in opts.exclude) or "no --exclude"
    print(
        f"target {args.target}; chart-deps {args.chart_deps}; kustomize-remote "
        f"{args.kustomize_remote}; {excluded}. chart removed: objects from charts "
        "(kubecurrent: source helm-chart; peer: helm template | pluto detect -); file removed: "
        "objects from plain files (peer: pluto detect-files -d); seconds and peak: the peer's "
        "helm and pluto runs summed / their largest"
    )


if __name__ == "__main__":
    main()

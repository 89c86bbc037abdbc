"""Benchmark: ``kubecurrent scan files`` against pluto ``detect-files`` on real repositories.

bench/scan_files.py times a generated corpus; this bench times the same whole commands on
checkouts of public repositories given on the command line (kubernetes/examples, argo-cd,
helm/charts, ...), so a figure does not hold only on our own generated shape. For each
checkout both tools run in fresh processes, interleaved, ``--repeat`` times after a warm-up:
median and min wall time, CPU, peak RSS, the ratio, the machine's load, and the API findings one
tool has and the other has not.

kubecurrent runs twice in the same round: ``cold`` with ``--no-render-cache`` (every chart and
overlay rendered, what a first scan costs) and ``warm`` with a render cache filled by the
warm-up run (what a re-scan of an unchanged checkout costs: a pre-commit hook, a CI job that
keeps the cache). The run that fills an empty cache is timed once and printed as well. Their
outputs must be identical (the bench says so, or prints the first difference).

The two tools do not do the same work everywhere, and the bench says how much differs:
kubecurrent renders every Helm chart (a ``helm template`` process each) and kustomize overlay
it finds, pluto reads the files as they are (chart templates are not YAML until rendered, so it
passes over most of them). The number of charts and overlays is printed with each checkout.
``--exclude GLOB`` is passed to kubecurrent only (pluto has no such option).

Not a test: ``.venv/bin/python bench/scan_checkouts.py CHECKOUT... [--repeat 3]
[--target 1.37] [--exclude GLOB]...``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from harness import interleave, measure, peer, ratio, report  # sibling scripts
from scan_files import TARGET, compare_findings, ours, pluto_command

KUSTOMIZATIONS = ("kustomization.yaml", "kustomization.yml", "Kustomization")


def shape(root: Path) -> str:
    """Manifest-like files, charts and overlays under ``root``, as the reader needs to see them."""
    files = charts = overlays = 0
    for path in root.rglob("*"):
        if not path.is_file():
            continue
        if path.suffix in (".yaml", ".yml", ".json"):
            files += 1
        if path.name == "Chart.yaml":
            charts += 1
        elif path.name in KUSTOMIZATIONS:
            overlays += 1
    return f"{files} YAML/JSON files, {charts} charts, {overlays} kustomize overlays"


def first_difference(one: str, other: str) -> str | None:
    """None when equal, else the first line that differs."""
    if one == other:
        return None
    pairs = zip(one.splitlines(), other.splitlines(), strict=False)
    at = next((n for n, (a, b) in enumerate(pairs) if a != b), None)
    return f"line {at + 1 if at is not None else 'count'} differs"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("checkouts", nargs="+", type=Path, help="checkouts of public repositories")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--target", default=TARGET, help="Kubernetes minor for both tools")
    ap.add_argument("--exclude", action="append", default=[], help="passed to kubecurrent")
    args = ap.parse_args()
    pluto = peer("pluto")
    for root in args.checkouts:
        if not root.is_dir():
            raise SystemExit(f"{root}: not a directory; give checkouts of repositories")
        root = root.resolve()
        print(f"{root.name}: {shape(root)}")
        mine = [*ours(root), *(f"--exclude={glob}" for glob in args.exclude)]
        if args.target != TARGET:
            mine[mine.index(TARGET)] = args.target
        with tempfile.TemporaryDirectory(prefix="kubecurrent-bench-render-") as tmp:
            fill = measure([*mine, f"--render-cache-dir={tmp}"])
            print(f"  first run, empty render cache: wall {fill.wall:.3f}s, CPU {fill.cpu:.3f}s")
            commands = {
                "kubecurrent cold": [*mine, "--no-render-cache"],
                "kubecurrent warm": [*mine, f"--render-cache-dir={tmp}"],
            }
            if pluto is not None:
                theirs = pluto_command(pluto, root)
                theirs[-1] = f"k8s=v{args.target}.0"
                commands["pluto"] = theirs
            results = interleave(commands, args.repeat)
        report(results, "kubecurrent cold", ["pluto"])
        if "pluto" in results:
            print("  " + ratio(results["kubecurrent warm"], results["pluto"]))
        last = results["kubecurrent cold"].last
        if last.exit not in (0, 1, 3, 4, 6):
            print(f"  kubecurrent failed (exit {last.exit}): {last.stderr[-800:]}")
            continue
        for label, other in (("warm", results["kubecurrent warm"].last), ("first", fill)):
            diff = first_difference(last.stdout, other.stdout)
            print(f"  output {label} vs cold: {'identical' if diff is None else diff}")
        if pluto is not None:
            compare_findings(root, last.stdout, results["pluto"].last.stdout)


if __name__ == "__main__":
    main()

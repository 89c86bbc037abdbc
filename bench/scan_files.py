"""Benchmark: ``kubecurrent scan files`` against pluto ``detect-files`` on a realistic repository.

Generates the repository with bench/corpus.py (5,000 files, about 50,000 documents, a few Helm
charts and kustomize overlays, about one document in eight in a deprecated or removed API),
then runs both tools on it in fresh processes, interleaved, --repeat times: median and min wall
time, CPU time, peak RSS and the ratio (goal: <= 0.5x pluto). It also runs our scan once more
with the fast reading path off (``KUBECURRENT_SCAN_FILES_CAREFUL=1``) and checks that the output
is identical, and lists every API finding one tool has and the other has not.

``--smoke`` is the regression check CI runs: a small corpus plus odd inputs (anchors, tags,
byte-order marks, CRLF, huge scalars, Latin-1 bytes...), no timing at all, exit 1 when the output
with and without the fast path differ.
Not a test: ``.venv/bin/python bench/scan_files.py [--files 5000] [--repeat 3] [--smoke]``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from corpus import generate, write_odd  # sibling scripts
from harness import Run, interleave, kubecurrent, measure, peer, report

TARGET = "1.37"
CAREFUL = {"KUBECURRENT_SCAN_FILES_CAREFUL": "1"}


def ours(root: Path) -> list[str]:
    return [
        kubecurrent(), "scan", "files", str(root), "-o", "json", "--target", TARGET,
        "--fail-on", "none",
    ]  # fmt: skip


def pluto_command(binary: Path, root: Path) -> list[str]:
    return [
        str(binary), "detect-files", "-d", str(root), "-o", "json",
        "--target-versions", f"k8s=v{TARGET}.0",
    ]  # fmt: skip


def same_output(root: Path, fast: Run) -> bool:
    """Our output with the fast path off equals ``fast``'s; prints the first difference."""
    careful = measure(ours(root), env={**os.environ, **CAREFUL})
    if careful.exit == fast.exit and careful.stdout == fast.stdout:
        print(
            f"  fast path off: identical output ({len(fast.stdout)} bytes, exit {fast.exit}); "
            f"{careful.wall:.2f}s wall, {careful.cpu:.2f}s CPU without it"
        )
        return True
    a, b = fast.stdout.splitlines(), careful.stdout.splitlines()
    where = next(
        (i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b))
    )
    print(
        f"  fast path off: OUTPUT DIFFERS (exit {fast.exit} vs {careful.exit}) at line {where + 1}:"
    )
    print(f"    fast:    {a[where] if where < len(a) else '<end>'}")
    print(f"    careful: {b[where] if where < len(b) else '<end>'}")
    return False


def _under(root: Path, path: str) -> str:
    """``path`` from ``root`` on (pluto prefixes its working directory to an absolute -d)."""
    at = path.rfind(str(root))
    return path[at:] if at >= 0 else path


def compare_findings(root: Path, mine: str, theirs: str) -> None:
    """API findings one tool reports and the other does not (file, object name, apiVersion)."""
    ours_set = {
        (_under(root, f["location"]["file"]), f["object"]["name"], f["object"]["apiVersion"])
        for f in json.loads(mine)["findings"]
        if f["rule"].startswith("KC-API")
    }
    pluto_set = {
        (_under(root, i["filePath"]), i["name"], i["api"]["version"])
        for i in json.loads(theirs or "{}").get("items") or []
    }
    print(f"  API findings: kubecurrent {len(ours_set)}, pluto {len(pluto_set)}")
    for label, extra in (("kubecurrent", ours_set - pluto_set), ("pluto", pluto_set - ours_set)):
        apis = sorted({api for _, _, api in extra})
        if extra:
            print(f"    only {label}: {len(extra)} ({', '.join(apis)})")
            for item in sorted(extra)[:3]:
                print(f"      e.g. {' '.join(item)}")


def smoke() -> int:
    with tempfile.TemporaryDirectory(prefix="kubecurrent-smoke-") as tmp:
        root = Path(tmp) / "repo"
        stats = generate(root, files=120, per_file=4, charts=0)
        odd = write_odd(root / "odd")
        print(f"smoke corpus: {stats.files} files, {stats.documents} documents, {odd} odd files")
        fast = measure(ours(root))
        if fast.exit not in (0, 1) or not fast.stdout:
            print(f"  kubecurrent failed (exit {fast.exit}): {fast.stderr[-800:]}")
            return 1
        return 0 if same_output(root, fast) else 1


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=5000)
    ap.add_argument("--per-file", type=float, default=10.0, help="documents per file, about")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--smoke", action="store_true", help="the CI check: no timing")
    args = ap.parse_args()
    if args.smoke:
        sys.exit(smoke())
    pluto = peer("pluto")
    with tempfile.TemporaryDirectory(prefix="kubecurrent-bench-") as tmp:
        root = Path(tmp) / "repo"
        stats = generate(root, files=args.files, per_file=args.per_file)
        print(
            f"corpus: {stats.files} files, {stats.documents} documents ({stats.old} in old APIs), "
            f"{stats.charts} charts, {stats.overlays} overlays"
        )
        commands = {"kubecurrent": ours(root)}
        if pluto is not None:
            commands["pluto"] = pluto_command(pluto, root)
        results = interleave(commands, args.repeat)
        report(results, "kubecurrent", ["pluto"])
        if pluto is not None:
            compare_findings(root, results["kubecurrent"].last.stdout, results["pluto"].last.stdout)
        same_output(root, results["kubecurrent"].last)


if __name__ == "__main__":
    main()

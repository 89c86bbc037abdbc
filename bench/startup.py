"""Benchmark: start-up, as a pre-commit hook or a CI step sees it.

Times, each in a fresh process, ``kubecurrent --help`` against ``pluto --help`` and
``kubecurrent scan files`` against ``pluto detect-files`` on a small repository (75 files from
bench/corpus.py, no charts), interleaved; prints median and min wall time, CPU time, peak RSS and
the ratios. Goals: ``--help`` <= 0.15 s, the small scan <= 0.3 s.
Not a test: ``.venv/bin/python bench/startup.py [--repeat 7] [--files 75]``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from corpus import generate  # sibling scripts
from harness import interleave, kubecurrent, peer, report

TARGET = "1.37"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--files", type=int, default=75)
    args = ap.parse_args()
    kc, pluto = kubecurrent(), peer("pluto")
    with tempfile.TemporaryDirectory(prefix="kubecurrent-bench-") as tmp:
        root = Path(tmp) / "repo"
        stats = generate(root, files=args.files, per_file=1.5, charts=0)
        print(f"small repository: {stats.files} files, {stats.documents} documents")
        helps = {"kubecurrent": [kc, "--help"]}
        scans = {"kubecurrent": [kc, "scan", "files", str(root), "--target", TARGET, "-o", "json"]}
        if pluto is not None:
            helps["pluto"] = [str(pluto), "--help"]
            scans["pluto"] = [
                str(pluto), "detect-files", "-d", str(root), "-o", "json",
                "--target-versions", f"k8s=v{TARGET}.0",
            ]  # fmt: skip
        print("--help (goal <= 0.15 s):")
        report(interleave(helps, args.repeat), "kubecurrent", ["pluto"])
        print(f"scan files on {stats.files} files (goal <= 0.3 s):")
        report(interleave(scans, args.repeat), "kubecurrent", ["pluto"])


if __name__ == "__main__":
    main()

"""Benchmark: ``kubecurrent scan files`` against pluto ``detect-files`` on the same corpus.

Generates >= 50,000 documents in >= 5,000 files (workloads, services, RBAC, ingresses, HPAs,
CronJobs, PDBs, PSPs, webhooks, cert-manager objects; about 1 in 8 uses a deprecated or removed
API), builds pluto from the Go module proxy into ~/.cache/kubecurrent/bench/ (never committed),
runs both, prints wall time, peak memory and the ratio, and lists every difference in findings.
Not a test: ``.venv/bin/python bench/scan_files.py [--files 5000] [--docs-per-file 10]``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "kubecurrent" / "bench"
PLUTO_MODULE = "github.com/FairwindsOps/pluto/v5"
TARGET = "1.37"
TEMPLATES = [
    ("apps/v1", "Deployment"),
    ("v1", "Service"),
    ("v1", "ConfigMap"),
    ("v1", "ServiceAccount"),
    ("networking.k8s.io/v1", "Ingress"),
    ("batch/v1", "CronJob"),
    ("autoscaling/v2", "HorizontalPodAutoscaler"),
    ("rbac.authorization.k8s.io/v1", "Role"),
    ("policy/v1", "PodDisruptionBudget"),
]
OLD = [
    ("batch/v1beta1", "CronJob"),
    ("extensions/v1beta1", "Ingress"),
    ("networking.k8s.io/v1beta1", "Ingress"),
    ("autoscaling/v2beta1", "HorizontalPodAutoscaler"),
    ("autoscaling/v2beta2", "HorizontalPodAutoscaler"),
    ("policy/v1beta1", "PodDisruptionBudget"),
    ("policy/v1beta1", "PodSecurityPolicy"),
    ("flowcontrol.apiserver.k8s.io/v1beta2", "FlowSchema"),
    ("cert-manager.io/v1alpha2", "Certificate"),
    ("admissionregistration.k8s.io/v1beta1", "ValidatingWebhookConfiguration"),
]


def _doc(rng: random.Random, i: int) -> str:
    api, kind = rng.choice(OLD) if rng.random() < 0.125 else rng.choice(TEMPLATES)
    labels = "\n".join(f"    l{n}: v{rng.randint(0, 99)}" for n in range(4))
    body = "\n".join(f'  k{n}: "{"x" * rng.randint(5, 40)}"' for n in range(12))
    return (
        f"apiVersion: {api}\nkind: {kind}\nmetadata:\n  name: obj-{i}\n  namespace: ns-{i % 50}\n"
        f"  labels:\n{labels}\nspec:\n{body}\n"
    )


def generate(root: Path, files: int, per_file: int) -> int:
    rng, n = random.Random(4), 0  # noqa: S311 - a reproducible corpus, not a secret
    for f in range(files):
        d = root / f"team-{f % 40}" / f"app-{f % 400}"
        d.mkdir(parents=True, exist_ok=True)
        docs = [_doc(rng, n + k) for k in range(per_file)]
        n += per_file
        (d / f"m{f}.yaml").write_text("---\n".join(docs))
    return n


def build_pluto() -> Path | None:
    binary = CACHE / "pluto"
    if binary.exists():
        return binary
    go = shutil.which("go") or "/usr/local/go/bin/go"
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "GOTOOLCHAIN": "local", "CGO_ENABLED": "0", "GOFLAGS": "-mod=mod"}
        steps = [
            [go, "mod", "init", "bench"],
            [go, "get", f"{PLUTO_MODULE}@latest"],
            [go, "build", "-o", str(binary), PLUTO_MODULE],
        ]
        for step in steps:
            proc = subprocess.run(step, cwd=tmp, env=env, capture_output=True, text=True)
            if proc.returncode != 0:
                print(f"pluto: cannot build ({' '.join(step[1:3])}): {proc.stderr.strip()[:300]}")
                return None
    return binary


def measure(cmd: list[str]) -> tuple[float, float, str]:
    """Wall seconds, peak RSS in MiB, stdout (GNU time -v when present, else rusage)."""
    gnu_time = Path("/usr/bin/time")
    wrapped = [str(gnu_time), "-v", *cmd] if gnu_time.exists() else cmd
    start = time.perf_counter()
    proc = subprocess.run(wrapped, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if gnu_time.exists():
        line = next(ln for ln in proc.stderr.splitlines() if "Maximum resident" in ln)
        peak = int(line.split(":")[1]) / 1024
    else:
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return wall, peak, proc.stdout


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=5000)
    ap.add_argument("--docs-per-file", type=int, default=10)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "corpus"
        docs = generate(corpus, args.files, args.docs_per_file)
        print(f"corpus: {args.files} files, {docs} documents")
        kc = str(Path(sys.executable).with_name("kubecurrent"))
        wall, peak, out = measure(
            [kc, "scan", "files", str(corpus), "-o", "json", "--target", TARGET]
        )
        ours = {
            (f["location"]["file"], f["object"]["name"], f["object"]["apiVersion"])
            for f in json.loads(out)["findings"]
            if f["rule"].startswith("KC-API")
        }
        print(f"kubecurrent: {wall:.2f} s wall, {peak:.0f} MiB peak, {len(ours)} API findings")
        pluto = build_pluto()
        if pluto is None:
            print("pluto: unavailable, no ratio or comparison this run")
            return
        pwall, ppeak, pout = measure(
            [
                str(pluto),
                "detect-files",
                "-d",
                str(corpus),
                "-o",
                "json",
                "--target-versions",
                f"k8s=v{TARGET}.0",
            ]
        )
        theirs = {
            (i["filePath"], i["name"], i["api"]["version"])
            for i in json.loads(pout or "{}").get("items", [])
        }
        print(f"pluto: {pwall:.2f} s wall, {ppeak:.0f} MiB peak, {len(theirs)} findings")
        print(f"ratio kubecurrent/pluto: wall {wall / pwall:.2f}x, memory {peak / ppeak:.2f}x")
        for f, name, api in sorted(ours - theirs):
            print(
                f"only kubecurrent: {f} {name} {api} (pluto has no entry for it or its target ignores it)"
            )
        for f, name, api in sorted(theirs - ours):
            print(f"only pluto: {f} {name} {api}")


if __name__ == "__main__":
    main()

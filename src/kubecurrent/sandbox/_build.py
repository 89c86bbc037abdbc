"""Build the sandbox binaries from the Go module proxy into the per-version cache.

A component is rebuilt only on a cache miss: when a binary is absent or the recorded build id
(a hash of the wrapper's go.mod/go.sum, the link flags, the build tags and the Go version) differs. Binaries are
written to a temporary name and renamed, so an interrupted build never leaves a broken binary.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from kubecurrent.errors import BinaryMissingError, SandboxError
from kubecurrent.sandbox._components import Component, GoBinary, kubernetes
from kubecurrent.sandbox._paths import GOMOD_DIR, bin_dir

BUILD_ID_FILE = ".build-id"

# (binary, packages compiled so far, packages in total or 0 when unknown)
ProgressFn = Callable[[str, int, int], None]


@dataclass(frozen=True)
class BuildResult:
    component: Component
    binary: str
    path: Path
    seconds: float
    cached: bool


def _go() -> str:
    go = shutil.which("go")
    if go is None:
        raise SandboxError(
            "the Go toolchain (go) is not on PATH; it is needed to build the sandbox binaries",
            hint="install Go >= 1.26 (e.g. `apt-get install golang-go` or your distribution's "
            "package) and run the command again",
        )
    return go


def _go_env(cgo: bool = False) -> dict[str, str]:
    return {
        **os.environ,
        "CGO_ENABLED": "1" if cgo else "0",
        "GOTOOLCHAIN": "local",
        "GOFLAGS": "-mod=readonly",
    }


def _build_id(component: Component) -> str:
    mod_dir = GOMOD_DIR / component.key
    digest = hashlib.sha256()
    for name in ("go.mod", "go.sum"):
        digest.update((mod_dir / name).read_bytes())
    go_version = subprocess.run(
        [_go(), "env", "GOVERSION"], capture_output=True, text=True, check=True, env=_go_env()
    ).stdout.strip()
    digest.update(f"{component.ldflags}\n{go_version}\n".encode())
    digest.update("\n".join(f"{b.name}={b.package}" for b in component.binaries).encode())
    if component.tags:  # only then, so that the build ids of untagged components stay stable
        digest.update(f"\ntags={','.join(component.tags)}".encode())
    if component.cgo:
        digest.update(b"\ncgo")
    return digest.hexdigest()


def cached_paths(component: Component) -> dict[str, Path] | None:
    """The component's binaries when all are present in the cache, else None (no build check)."""
    directory = bin_dir(component.family, component.version)
    paths = {b.name: directory / b.name for b in component.binaries}
    if all(p.is_file() and os.access(p, os.X_OK) for p in paths.values()):
        return paths
    return None


def is_built(component: Component) -> bool:
    """True when the cache holds this component built from the current wrapper and flags."""
    id_file = bin_dir(component.family, component.version) / BUILD_ID_FILE
    return (
        cached_paths(component) is not None
        and id_file.is_file()
        and id_file.read_text().strip() == _build_id(component)
    )


def _tag_args(component: Component) -> list[str]:
    return ["-tags", ",".join(component.tags)] if component.tags else []


def _count_packages(component: Component, binary: GoBinary) -> int:
    out = subprocess.run(
        [_go(), "list", "-deps", *_tag_args(component), binary.package],
        cwd=GOMOD_DIR / component.key,
        capture_output=True,
        text=True,
        env=_go_env(component.cgo),
        check=False,
    )
    return len(out.stdout.splitlines()) if out.returncode == 0 else 0


def _build_binary(
    component: Component, binary: GoBinary, target: Path, progress: ProgressFn
) -> None:
    total = _count_packages(component, binary)
    progress(binary.name, 0, total)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".build-") as tmp:
        out = Path(tmp) / binary.name
        cmd = [_go(), "build", "-v", "-trimpath", *_tag_args(component)]
        cmd += ["-ldflags", component.ldflags, "-o", str(out)]
        proc = subprocess.Popen(
            [*cmd, binary.package],
            cwd=GOMOD_DIR / component.key,
            env=_go_env(component.cgo),
            stderr=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            text=True,
        )
        assert proc.stderr is not None
        tail: list[str] = []
        for done, line in enumerate(proc.stderr, start=1):
            tail = [*tail[-40:], line.rstrip()]
            progress(binary.name, done, max(total, done))
        if proc.wait() != 0:
            raise SandboxError(
                f"`go build {binary.package}` ({component.module} {component.version}) failed",
                hint="the last lines of its output follow; fix the wrapper module with "
                "scripts/gen_gomod.py or report the Go error\n" + "\n".join(tail[-20:]),
            )
        out.replace(target)


def build_component(
    component: Component, progress: ProgressFn, force: bool = False
) -> list[BuildResult]:
    """Build every binary of ``component`` unless the cache already holds this exact build."""
    directory = bin_dir(component.family, component.version)
    if not force and is_built(component):
        return [
            BuildResult(component, b.name, directory / b.name, 0.0, cached=True)
            for b in component.binaries
        ]
    directory.mkdir(parents=True, exist_ok=True)
    (directory / BUILD_ID_FILE).unlink(missing_ok=True)
    results = []
    for binary in component.binaries:
        started = time.monotonic()
        _build_binary(component, binary, directory / binary.name, progress)
        results.append(
            BuildResult(
                component,
                binary.name,
                directory / binary.name,
                time.monotonic() - started,
                cached=False,
            )
        )
    (directory / BUILD_ID_FILE).write_text(_build_id(component) + "\n")
    return results


def binary_path(component: Component, name: str) -> Path:
    """The cached binary ``name`` of ``component``; names the build command when it is missing."""
    paths = cached_paths(component)
    if paths is None or name not in paths:
        version_flag = ""
        if component.family == "kubernetes":
            version_flag = " --version " + component.key.removeprefix("kubernetes-")
        raise BinaryMissingError(
            f"{name} {component.version} is not built (looked in "
            f"{bin_dir(component.family, component.version)})",
            hint=f"run `kubecurrent sandbox build{version_flag}` first",
        )
    return paths[name]


def kube_binary(version: str, name: str) -> Path:
    """The cached Kubernetes binary ``name`` for minor ``version``."""
    return binary_path(kubernetes(version), name)

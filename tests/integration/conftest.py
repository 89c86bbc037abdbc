"""Integration tests run against sandboxes that this test session starts, and nothing else.

The guard: every client comes from a kubeconfig under this session's private sandbox home and
must point at a loopback API server whose port that sandbox recorded; ``KUBECONFIG`` is pointed
at a file that does not exist, so nothing can fall back to the user's own clusters.
"""

from __future__ import annotations

import contextlib
import os
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from lightkube import Client, KubeConfig
from lightkube.core.exceptions import ApiError
from lightkube.models.meta_v1 import ObjectMeta
from lightkube.resources.core_v1 import Namespace, ServiceAccount

from kubecurrent import sandbox as sb
from kubecurrent.sandbox._build import cached_paths
from kubecurrent.sandbox._components import all_components


@dataclass(frozen=True)
class SessionSandbox:
    """A sandbox this session started; the only way tests reach a cluster."""

    name: str
    home: Path

    @property
    def kubeconfig(self) -> Path:
        return sb.run_dir(self.name) / "kubeconfig"

    def client(self, kubeconfig: Path | None = None, namespace: str | None = None) -> Client:
        path = kubeconfig or self.kubeconfig
        guard(self, path)
        return Client(
            KubeConfig.from_file(path), namespace=namespace, field_manager="kubecurrent-tests"
        )


def guard(box: SessionSandbox, kubeconfig: Path) -> None:
    """Refuse any kubeconfig that is not one of this session's sandboxes."""
    resolved = kubeconfig.resolve()
    if box.home.resolve() not in resolved.parents:
        raise RuntimeError(
            f"refusing {kubeconfig}: not under this session's sandbox home {box.home}"
        )
    state = sb.require(box.name)
    server = KubeConfig.from_file(resolved).get().cluster.server
    if server != state.server:
        raise RuntimeError(
            f"refusing {kubeconfig}: server {server} is not sandbox {box.name} ({state.server})"
        )


@pytest.fixture(scope="session")
def sandbox_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    missing = [c for c in all_components() if cached_paths(c) is None]
    if missing:
        names = ", ".join(f"{c.key} {c.version}" for c in missing)
        pytest.fail(
            f"sandbox binaries are not built ({names}): run `kubecurrent sandbox build`",
            pytrace=False,
        )
    home = tmp_path_factory.mktemp("sandboxes")
    saved = {k: os.environ.get(k) for k in ("KUBECURRENT_SANDBOX_HOME", "KUBECONFIG")}
    os.environ["KUBECURRENT_SANDBOX_HOME"] = str(home)
    os.environ["KUBECONFIG"] = str(home / "no-such-kubeconfig")
    try:
        yield home
    finally:
        with contextlib.suppress(Exception):  # whatever a test left behind; each is attempted
            sb.down_many(sb.names())
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def start_sandbox(
    home: Path, name: str, version: str = "1.36", pools: tuple[str, ...] = ("default=3",)
) -> SessionSandbox:
    parsed = tuple(sb.parse_pool(p, sb.release_of(version)) for p in pools)
    sb.up(sb.UpOptions(name, version, parsed, timeout=300))
    return SessionSandbox(name, home)


def start_sandboxes(
    home: Path, specs: Sequence[tuple[str, str, tuple[str, ...]]]
) -> list[SessionSandbox]:
    """Sandboxes (name, version, pools) started side by side; all of them or none."""
    options = [
        sb.UpOptions(
            name,
            version,
            tuple(sb.parse_pool(p, sb.release_of(version)) for p in pools),
            timeout=300,
        )
        for name, version, pools in specs
    ]
    return [SessionSandbox(s.name, home) for s in sb.up_many(options)]


def side_by_side(*calls: Callable[[], object]) -> None:
    """Run ``calls`` in threads (e.g. a cloud double's ``start_sandbox`` for several clusters);
    every call runs to its end, then the first failure is raised."""
    with ThreadPoolExecutor(max_workers=len(calls) or 1) as pool:
        futures = [pool.submit(call) for call in calls]
    for future in futures:
        future.result()


@pytest.fixture(scope="session")
def cluster(sandbox_home: Path) -> Iterator[SessionSandbox]:
    """A shared sandbox at Kubernetes 1.36 with three kwok nodes; tests use their own namespace."""
    box = start_sandbox(sandbox_home, "shared")
    yield box
    sb.down(box.name)


@pytest.fixture
def namespace(cluster: SessionSandbox, request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh namespace for one test, deleted afterwards."""
    name = f"t-{request.node.name[:40].lower().replace('_', '-').strip('-')}-{uuid.uuid4().hex[:6]}"
    name = "".join(ch for ch in name if ch.isalnum() or ch == "-")
    client = cluster.client()
    client.create(Namespace(metadata=ObjectMeta(name=name)))
    wait_for(lambda: _has_default_sa(client, name), "default ServiceAccount", timeout=60)
    yield name
    with contextlib.suppress(ApiError):
        client.delete(Namespace, name)


def _has_default_sa(client: Client, namespace: str) -> bool:
    try:
        client.get(ServiceAccount, "default", namespace=namespace)
        return True
    except ApiError:
        return False


def wait_for(
    predicate: Callable[[], bool], what: str, timeout: float = 60.0, interval: float = 0.25
) -> None:
    """Poll ``predicate()`` until true; fail the test naming ``what`` otherwise."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    pytest.fail(f"timed out after {timeout:.0f}s waiting for {what}")

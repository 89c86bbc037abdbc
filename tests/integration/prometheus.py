"""A real Prometheus (3.16.0, built from the Go module proxy on demand) for the tests.

``PrometheusServer`` starts the binary on a free loopback port with a configuration written to a
temporary folder, waits until ``/-/ready`` answers, and stops it (SIGTERM, then SIGKILL) when
the ``with`` block ends. ``scrape_sandbox`` writes the scrape job for a sandbox's API server:
HTTPS with the sandbox's CA and its admin client certificate, as a real Prometheus scrapes a
control plane.
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import time
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx
import pytest
import yaml

from kubecurrent import sandbox as sb
from kubecurrent.sandbox._build import build_component, cached_paths, is_built
from kubecurrent.sandbox._components import PROMETHEUS


def prometheus_binary() -> Path:
    """The cached Prometheus binary, built first when the cache does not hold this build."""
    if not is_built(PROMETHEUS):
        started = time.monotonic()
        build_component(PROMETHEUS, lambda _b, _d, _t: None)
        print(f"built Prometheus {PROMETHEUS.version} in {time.monotonic() - started:.0f}s")
    paths = cached_paths(PROMETHEUS)
    assert paths is not None
    return paths["prometheus"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def scrape_sandbox(name: str, interval: str = "1s") -> dict[str, Any]:
    """A scrape job ``apiserver`` for sandbox ``name``'s API server (client-certificate auth)."""
    pki = sb.run_dir(name) / "pki"
    server = sb.require(name).server.removeprefix("https://")
    return {
        "job_name": "apiserver",
        "scheme": "https",
        "scrape_interval": interval,
        "scrape_timeout": interval,
        "tls_config": {
            "ca_file": str(pki / "ca.crt"),
            "cert_file": str(pki / "admin.crt"),
            "key_file": str(pki / "admin.key"),
        },
        "static_configs": [{"targets": [server]}],
    }


class PrometheusServer:
    """One Prometheus process this test started; ``url`` is its base URL."""

    def __init__(
        self,
        directory: Path,
        scrape_configs: list[dict[str, Any]],
        web_config: dict[str, Any] | None = None,
        scheme: str = "http",
    ) -> None:
        self.directory, self.port = directory, free_port()
        self.url = f"{scheme}://127.0.0.1:{self.port}"
        directory.mkdir(parents=True, exist_ok=True)
        config = directory / "prometheus.yml"
        config.write_text(
            yaml.safe_dump({"global": {"scrape_interval": "1s"}, "scrape_configs": scrape_configs})
        )
        self.argv = [
            str(prometheus_binary()),
            f"--config.file={config}",
            f"--storage.tsdb.path={directory / 'data'}",
            f"--web.listen-address=127.0.0.1:{self.port}",
            "--storage.tsdb.retention.time=1h",
            "--log.level=warn",
        ]
        if web_config is not None:
            (directory / "web.yml").write_text(yaml.safe_dump(web_config))
            self.argv.append(f"--web.config.file={directory / 'web.yml'}")
        self.log = directory / "prometheus.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> PrometheusServer:
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(self.argv, stdout=out, stderr=subprocess.STDOUT)
        return self

    def wait_ready(self, verify: Any = True, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                pytest.fail(f"Prometheus exited {self.proc.returncode}: {self.log.read_text()}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.url}/-/ready", verify=verify, timeout=2).status_code == 200:
                    return
            time.sleep(0.25)
        pytest.fail(f"Prometheus not ready after {timeout:.0f}s: {self.log.read_text()}")

    def query(self, promql: str, verify: Any = True) -> Any:
        resp = httpx.get(
            f"{self.url}/api/v1/query", params={"query": promql}, verify=verify, timeout=5
        )
        return resp.json()

    def wait_for(self, promql: str, verify: Any = True, timeout: float = 60.0) -> None:
        """Until ``promql`` returns a non-empty vector (e.g. a first scrape happened)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.query(promql, verify)["data"]["result"]:
                return
            time.sleep(0.5)
        pytest.fail(f"{promql} stayed empty for {timeout:.0f}s: {self.log.read_text()[-2000:]}")

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)

"""The connection the executor acts through: a lightkube client plus raw GETs (``/readyz``).

Both are built from one ``kubecurrent.collect.cluster.Connection`` (a kubeconfig context, or an
managed cloud's cluster with its renewed token), the same the collector reads through.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

import httpx2
from lightkube import Client, KubeConfig
from lightkube.config.client_adapter import Client as RawClient
from lightkube.models.meta_v1 import ObjectMeta

from kubecurrent.collect import exec_plugins
from kubecurrent.collect.cluster import ClusterTarget, Connection, connection
from kubecurrent.collect.decoding import prepare_decoders
from kubecurrent.errors import ClusterError

exec_plugins.install()  # exec credential plugins bounded and never left running

__all__ = ["Kube", "connect", "connect_target", "meta", "name_of", "ns_of"]


class Kube:
    """A cluster as the executor sees it: typed objects and plain HTTP paths."""

    def __init__(self, conn: Connection, timeout: float = 30.0) -> None:
        prepare_decoders()  # several threads may decode with their own clients
        self.client = Client(
            conn.config,
            timeout=httpx2.Timeout(timeout),
            field_manager="kubecurrent",
            trust_env=False,
            transport=conn.transport(),
        )
        self._raw: httpx2.Client = RawClient(conn.config, conn.params(timeout, sync=True))

    def get_text(self, path: str) -> tuple[int, str]:
        """Status code and body of ``GET path`` (never raises for HTTP errors)."""
        try:
            resp = self._raw.get(path, headers={"Accept": "text/plain"})
        except httpx2.HTTPError as exc:
            return 0, f"{type(exc).__name__}: {exc}"
        return resp.status_code, resp.text

    def get_json(self, path: str) -> tuple[int, Any]:
        """Status code and parsed JSON body of ``GET path`` (None when the body is not JSON)."""
        try:
            resp = self._raw.get(path, headers={"Accept": "application/json"})
        except httpx2.HTTPError as exc:
            return 0, f"{type(exc).__name__}: {exc}"
        try:
            return resp.status_code, resp.json()
        except ValueError:
            return resp.status_code, None

    def close(self) -> None:
        self._raw.close()


def connect(kubeconfig: Path | None, context: str | None, timeout: float = 30.0) -> Kube:
    """A ``Kube`` for ``context`` of ``kubeconfig`` (defaults as kubectl reads them)."""
    try:
        config = KubeConfig.from_file(kubeconfig) if kubeconfig else KubeConfig.from_env()
        single = config.get(context_name=context)
    except Exception as exc:
        raise ClusterError(
            f"cannot use kubeconfig {kubeconfig or '(default)'} context {context or '(current)'}: "
            f"{exc}",
            hint="check --kubeconfig and --context (kubectl config get-contexts)",
        ) from None
    return Kube(Connection(single), timeout)


def connect_target(target: ClusterTarget, timeout: float = 30.0) -> Kube:
    """A ``Kube`` for a collector target: its kubeconfig context, or its cloud's cluster."""
    if target.cloud is None:
        return connect(target.kubeconfig, target.context, timeout)
    return Kube(connection(target), timeout)


def meta(obj: Any) -> ObjectMeta:
    """An object's metadata (objects read from the API server always have it)."""
    found = obj.metadata
    if found is None:  # pragma: no cover - the API server always sets metadata
        raise ClusterError(f"a {type(obj).__name__} without metadata came back from the API")
    return cast(ObjectMeta, found)


def name_of(obj: Any) -> str:
    return str(meta(obj).name)


def ns_of(obj: Any) -> str:
    return str(meta(obj).namespace or "")

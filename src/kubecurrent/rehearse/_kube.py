"""Requests to the cluster and to its twin, keeping what the API server says: status, its
``Status`` message and every ``Warning`` header.

Both ends are reached through the project's one connection home (``collect.cluster``);
lists are paginated and yielded a page at a time, so memory holds one page.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from lightkube.config.client_adapter import Client

from kubecurrent.collect.cluster import Connection
from kubecurrent.errors import ClusterError

__all__ = ["PAGE", "Kube", "Reply"]

PAGE = 500
_WARNING = re.compile(r'^\s*\d{3}\s+\S+\s+"(?P<text>(?:[^"\\]|\\.)*)"')


@dataclass(frozen=True)
class Reply:
    status: int
    body: dict[str, Any]
    warnings: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def message(self) -> str:
        """The API server's own message (its ``Status``), else the HTTP status."""
        text = self.body.get("message") if self.body.get("kind") == "Status" else None
        return str(text) if text else f"HTTP {self.status}"

    @property
    def reason(self) -> str:
        return str(self.body.get("reason") or "")


def _warnings(values: list[str]) -> tuple[str, ...]:
    out = []
    for value in values:
        m = _WARNING.match(value)
        out.append(m.group("text").replace('\\"', '"') if m else value)
    return tuple(out)


class Kube:
    """A synchronous client for one API server (thread-safe: one pool of connections)."""

    def __init__(self, conn: Connection, what: str, timeout: float = 60.0) -> None:
        self._http = Client(conn.config, conn.params(timeout, sync=True))
        self._what = what

    def close(self) -> None:
        self._http.close()

    def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        body: dict[str, Any] | None = None,
        content_type: str = "application/json",
    ) -> Reply:
        try:
            resp = self._http.request(
                method,
                path,
                params=params,
                content=None if body is None else json.dumps(body).encode(),
                headers={"Content-Type": content_type, "Accept": "application/json"},
            )
        except Exception as exc:  # httpx's transport errors: the server is gone or slow
            raise ClusterError(
                f"{self._what}: {method} {path} failed: {str(exc).splitlines()[0][:200]}",
                hint="check that the API server is reachable and retry",
            ) from None
        try:
            data = resp.json() if resp.content else {}
        except ValueError:
            data = {"kind": "Status", "message": resp.text[:500]}
        return Reply(
            resp.status_code,
            data if isinstance(data, dict) else {},
            _warnings(resp.headers.get_list("warning")),
        )

    def get(self, path: str, params: dict[str, Any] | None = None) -> Reply:
        return self.request("GET", path, params=params)

    def json(self, path: str) -> dict[str, Any]:
        """GET that must succeed."""
        reply = self.get(path)
        if not reply.ok:
            raise ClusterError(
                f"{self._what}: GET {path}: {reply.message}",
                hint="check the credentials' permissions and that the API server is healthy",
            )
        return reply.body

    def pages(self, path: str) -> Iterator[list[dict[str, Any]] | Reply]:
        """Each page of a list (``limit`` + ``continue``); a failed request is yielded as its
        ``Reply`` and ends the list."""
        params: dict[str, Any] = {"limit": PAGE}
        while True:
            reply = self.get(path, params)
            if not reply.ok:
                yield reply
                return
            items = reply.body.get("items") or []
            yield [i for i in items if isinstance(i, dict)]
            token = (reply.body.get("metadata") or {}).get("continue")
            if not token:
                return
            params["continue"] = token

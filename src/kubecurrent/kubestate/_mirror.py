"""``Mirror``: the objects of one kind in a namespace as a watch keeps them, for reads that
tolerate a moment's staleness.

One list, then a watch from the list's ``resourceVersion``; every event replaces the object it
names (a deleted one goes). When the watch ends with an error (410 Gone: the version is too
old, or the connection broke) it lists again and watches from there. The owner also puts in
the objects it writes itself (``put``, with the object the API server answered), so a process
reads its own writes at once; an object is only ever replaced by a newer ``resourceVersion``.

What a mirror is for: a poll that looks at every cluster of a rollout costs no request and no
transfer, however many clusters there are. What it is not for: deciding a write — writes stay
compare-and-set on the ``resourceVersion`` they carry, and a decision not to write is made on
a fresh read (``KubeStore._update``).
"""

from __future__ import annotations

import copy
import logging
import threading
from collections.abc import Callable
from typing import Any

from lightkube import Client

__all__ = ["Mirror"]

log = logging.getLogger("kubecurrent.kubestate")

Count = Callable[[str], None]


class Mirror:
    """The objects of ``res`` in ``namespace``, kept by a watch in a daemon thread."""

    def __init__(self, client: Client, res: Any, namespace: str, count: Count) -> None:
        self.client, self.res, self.namespace, self._count = client, res, namespace, count
        self._objs: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()
        self._synced = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._memo: dict[tuple[str, str], Any] = {}

    def start(self) -> None:
        """List, then keep watching in a daemon thread (once; later calls do nothing)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="mirror", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def wait(self, timeout: float) -> bool:
        """Whether the first list arrived within ``timeout`` seconds."""
        return self._synced.wait(timeout)

    def objects(self) -> list[dict[str, Any]]:
        """Every object known now (shared: a caller must not change them)."""
        with self._lock:
            return list(self._objs.values())

    def get(self, name: str) -> dict[str, Any] | None:
        """A copy of object ``name`` as known now (None: not known)."""
        with self._lock:
            found = self._objs.get(name)
        return copy.deepcopy(found) if found is not None else None

    def derived(self, obj: dict[str, Any], make: Callable[[dict[str, Any]], Any]) -> Any:
        """``make(obj)``, remembered per name and ``resourceVersion`` (objects of one version
        never change, so neither does what is made of them)."""
        key = (obj["metadata"]["name"], str(obj["metadata"].get("resourceVersion", "")))
        with self._lock:
            if key in self._memo:
                return self._memo[key]
        made = make(obj)
        with self._lock:
            self._memo[key] = made
        return made

    def put(self, obj: dict[str, Any]) -> None:
        """Keep ``obj`` (one this process wrote), unless a newer version is known already."""
        with self._lock:
            self._keep(obj)

    def _keep(self, obj: dict[str, Any]) -> None:
        name = obj["metadata"]["name"]
        known = self._objs.get(name)
        if known is not None and _version(known) > _version(obj):
            return
        if known is not None:
            self._memo.pop((name, str(known["metadata"].get("resourceVersion", ""))), None)
        self._objs[name] = obj

    def _forget(self, name: str) -> None:
        known = self._objs.pop(name, None)
        if known is not None:
            self._memo.pop((name, str(known["metadata"].get("resourceVersion", ""))), None)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                version = self._list()
                self._watch(version)
            except Exception as exc:  # ends, 410 Gone, a broken connection: list again
                log.debug("mirror of %s: %s; listing again", self.res.__name__, exc)
                self._stop.wait(1.0)

    def _list(self) -> str:
        self._count("list")
        found = self.client.list(self.res, namespace=self.namespace)
        objs = {o.metadata.name: o.to_dict() for o in found}
        with self._lock:
            self._objs = {}
            self._memo = {}
            for obj in objs.values():
                self._keep(obj)
        self._synced.set()
        return str(found.resourceVersion)

    def _watch(self, version: str) -> None:
        self._count("watch")
        events = self.client.watch(self.res, namespace=self.namespace, resource_version=version)
        for kind, obj in events:
            if self._stop.is_set():
                return
            plain = obj.to_dict()
            with self._lock:
                if kind == "DELETED":
                    self._forget(plain["metadata"]["name"])
                else:
                    self._keep(plain)


def _version(obj: dict[str, Any]) -> int:
    """An object's ``resourceVersion`` as a number (etcd's revision; 0 when it has none)."""
    text = str(obj["metadata"].get("resourceVersion") or "0")
    return int(text) if text.isdigit() else 0

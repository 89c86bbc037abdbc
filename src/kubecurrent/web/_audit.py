"""The dashboard's audit trail: every state-changing request, allowed or refused, as one JSON
line in the same format as ``kubecurrent upgrade``'s audit log (``execute.audit_record``), with
the dashboard user's identity instead of the operating-system user::

    {"time": "...", "user": "alice", "cluster": "*", "action": "web.refresh", "before": null,
     "after": null, "outcome": "ok", "detail": "", "role": "operator", "via": "password",
     "remote": "127.0.0.1"}

``outcome`` is ``ok``, ``denied`` (role or CSRF), or ``failed``. Secrets (passwords, tokens)
never reach a record.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from kubecurrent.execute import audit_record
from kubecurrent.web._auth import User


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass
class WebAudit:
    path: Path
    clock: Callable[[], dt.datetime] = _now
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)

    def write(
        self,
        user: User | None,
        action: str,
        outcome: str,
        *,
        cluster: str = "*",
        detail: str = "",
        remote: str = "",
        name: str = "",
    ) -> None:
        """Append one record; ``name`` is the claimed user name when nobody is logged in."""
        record = audit_record(
            when=self.clock(),
            user=user.name if user else (name or "anonymous"),
            cluster=cluster,
            action=action,
            outcome=outcome,
            detail=detail,
            role=user.role.value if user else None,
            via=user.via if user else None,
            remote=remote,
        )
        with self._lock, self.path.open("a", encoding="utf-8") as out:
            out.write(json.dumps(record) + "\n")
            out.flush()

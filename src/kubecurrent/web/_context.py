"""Everything a request handler needs, built once at start and kept on ``app.state.kc``."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from starlette.requests import Request
from starlette.templating import Jinja2Templates

from kubecurrent.catalog import Catalog
from kubecurrent.rollout import ClusterRef, RolloutStore, RunnerSource
from kubecurrent.web._audit import WebAudit
from kubecurrent.web._auth import Authenticators
from kubecurrent.web._fleet import FleetState
from kubecurrent.web._registry import NavEntry
from kubecurrent.web._session import Sessions
from kubecurrent.web._throttle import Throttle

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"


@dataclass
class WebContext:
    catalog: Catalog
    fleet: FleetState
    auth: Authenticators
    sessions: Sessions
    audit: WebAudit
    refresh_interval: float = 300.0
    secure_cookies: bool = False
    """Set the cookies' Secure flag (behind a TLS-terminating proxy)."""
    sso: bool = False
    """Single sign-on is configured: the login page offers it (``/oidc/login``)."""
    store: RolloutStore | None = None
    """The rollout store the CLI uses (``--state``: a SQLite file or ``k8s://CONTEXT/NAMESPACE``,
    the custom resources of a management cluster); handed to extensions such as the rollout
    pages. None: no rollout pages."""
    runners: RunnerSource | None = None
    """Builds the per-cluster side of a rollout from its recorded options (the CLI's
    ``SandboxAwareRun``, injected by ``kubecurrent serve``); None when the dashboard cannot
    drive rollouts (saved snapshots, or no live clusters: in a management cluster the controller
    drives them)."""
    controller_drives: bool = False
    """The store is a management cluster's and ``cluster_refs`` are its MemberClusters: the
    Upgrade page starts rollouts (recorded in the custom resources) that the controller drives,
    although this dashboard has no ``runners``."""
    cluster_refs: tuple[ClusterRef, ...] = ()
    """Where each cluster of the fleet is reached (kubeconfig, context, labels, timeout)."""
    fleet_source: str = ""
    """What the clusters came from (the fleet file), recorded with each rollout."""
    today: Callable[[], dt.date] = dt.date.today
    throttle: Throttle = field(default_factory=Throttle)
    """Slows down password and token guessing (per user name and client address)."""
    nav: list[NavEntry] = field(default_factory=list)
    templates: Jinja2Templates = field(
        default_factory=lambda: Jinja2Templates(directory=str(TEMPLATES))
    )
    closing: threading.Event = field(default_factory=threading.Event)
    """Set once the server begins to stop (live streams end, drivers are asked to pause)."""
    on_close: list[Callable[[], None]] = field(default_factory=list)
    """Run once, in order, when the server begins to stop (extensions register here)."""
    _close_lock: threading.Lock = field(default_factory=threading.Lock)

    def begin_shutdown(self) -> None:
        """Set ``closing`` and run ``on_close`` once; a second caller waits for the first."""
        with self._close_lock:
            if self.closing.is_set():
                return
            self.closing.set()
            for close in self.on_close:
                close()


def context_of(request: Request) -> WebContext:
    ctx: WebContext = request.app.state.kc
    return ctx

"""Everything a request handler needs, built once at start and kept on ``app.state.kc``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from starlette.requests import Request
from starlette.templating import Jinja2Templates

from kubecurrent.catalog import Catalog
from kubecurrent.web._audit import WebAudit
from kubecurrent.web._auth import Authenticators
from kubecurrent.web._fleet import FleetState
from kubecurrent.web._registry import NavEntry
from kubecurrent.web._session import Sessions

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
    state_path: Path | None = None
    """The state store the CLI uses (``--state``); handed to extensions such as rollout pages."""
    today: Callable[[], dt.date] = dt.date.today
    nav: list[NavEntry] = field(default_factory=list)
    templates: Jinja2Templates = field(
        default_factory=lambda: Jinja2Templates(directory=str(TEMPLATES))
    )


def context_of(request: Request) -> WebContext:
    ctx: WebContext = request.app.state.kc
    return ctx

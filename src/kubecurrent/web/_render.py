"""Rendering a page: the template, plus what every page's frame shows (user, CSRF, nav, status)."""

from __future__ import annotations

from typing import Any

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import Response

from kubecurrent.plan import action, change
from kubecurrent.web._auth import Role
from kubecurrent.web._context import context_of
from kubecurrent.web._guard import current_session, current_user
from kubecurrent.web._views import eol_class, eol_text, usd


def render(request: Request, template: str, status: int = 200, **data: Any) -> Response:
    ctx = context_of(request)
    user, session = current_user(request), current_session(request)
    frame = {
        "user": user,
        "is_operator": bool(user and user.role.allows(Role.OPERATOR)),
        "csrf": session.csrf if session else "",
        "nav": [n for n in ctx.nav if user and user.role.allows(n.role)],
        "fleet": ctx.fleet,
        "path": request.url.path,
        "eol_text": eol_text,
        "eol_class": eol_class,
        "usd": usd,
        "step_action": action,
        "step_change": change,
        "svg": Markup,  # only for markup the report's SVG helpers escaped
    }
    return ctx.templates.TemplateResponse(request, template, frame | data, status_code=status)

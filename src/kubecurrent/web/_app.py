"""The ASGI application: routes, the security-header middleware, and the background refresh."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from kubecurrent.web import _api, _login, _pages
from kubecurrent.web._context import STATIC, WebContext
from kubecurrent.web._guard import refuse
from kubecurrent.web._headers import SecurityHeaders
from kubecurrent.web._registry import EXTENSIONS, ExtensionHook, NavEntry

PUBLIC_PATHS = frozenset({"/login", "/healthz", "/static", "/oidc/login", "/oidc/callback"})
"""The only routes ``guard`` does not protect (a unit test holds every other route to it)."""
BASE_NAV = (NavEntry("Fleet", "/"),)


async def healthz(_: Request) -> Response:
    return PlainTextResponse("ok")


def routes(ctx: WebContext, extensions: list[ExtensionHook]) -> list[BaseRoute]:
    base: list[BaseRoute] = [
        Route("/", _pages.fleet_page),
        Route("/clusters/{name}", _pages.cluster_page),
        Route("/clusters/{name}/plan", _pages.plan_page),
        Route("/clusters/{name}/runbook.md", _pages.runbook),
        Route("/refresh", _pages.refresh, methods=["POST"]),
        Route("/login", _login.login_form, methods=["GET"]),
        Route("/login", _login.login, methods=["POST"]),
        Route("/logout", _login.logout, methods=["POST"]),
        Route("/healthz", healthz),
        Route("/api/whoami", _api.whoami),
        Route("/api/clusters", _api.clusters),
        Route("/api/clusters/{name}", _api.cluster),
        Route("/api/clusters/{name}/plan", _api.plan),
        Route("/api/refresh", _api.refresh, methods=["POST"]),
        Mount(
            "/static",
            # the dashboard's script, and the stylesheet it shares with the reports
            StaticFiles(directory=str(STATIC), packages=[("kubecurrent.pages", "static")]),
            name="static",
        ),
        *ctx.auth.routes(),
    ]
    ctx.nav[:] = list(BASE_NAV)
    for hook in extensions:
        extension = hook(ctx)
        base[:0] = extension.routes
        ctx.nav += extension.nav
    return base


def create_app(
    ctx: WebContext, *, extensions: list[ExtensionHook] | None = None, background: bool = True
) -> Starlette:
    """The dashboard over ``ctx``; ``background`` collects the fleet at start and every
    ``ctx.refresh_interval`` seconds (tests turn it off and call ``ctx.fleet.refresh()``)."""

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        task = None
        if background:
            task = asyncio.get_running_loop().create_task(ctx.fleet.run(ctx.refresh_interval))
        try:
            yield
        finally:
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await ctx.fleet.stop()
            await asyncio.to_thread(ctx.begin_shutdown)

    async def not_found(request: Request, exc: Exception) -> Response:
        return refuse(request, 404, "no such page")

    app = Starlette(
        routes=routes(ctx, EXTENSIONS if extensions is None else extensions),
        middleware=[Middleware(SecurityHeaders, hsts=ctx.secure_cookies)],
        exception_handlers={404: not_found},
        lifespan=lifespan,
    )
    app.state.kc = ctx
    return app

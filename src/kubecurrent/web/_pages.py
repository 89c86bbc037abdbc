"""The read-only pages (Fleet, Cluster, Plan, the runbook download) and the Refresh action."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response

from kubecurrent.errors import UsageError
from kubecurrent.web._auth import Role
from kubecurrent.web._context import context_of
from kubecurrent.web._fleet import ClusterState
from kubecurrent.web._guard import current_user, guard, refuse, remote
from kubecurrent.web._render import render
from kubecurrent.web._views import (
    DEFAULT_PLAN_TARGET,
    cluster_view,
    fleet_view,
    plan_targets,
    plan_view,
)


@guard(Role.VIEWER)
async def fleet_page(request: Request) -> Response:
    ctx = context_of(request)
    filters = {k: v for k, v in request.query_params.items() if v}
    view = fleet_view(ctx.fleet.snapshot, ctx.catalog, ctx.today(), filters)
    return render(request, "fleet.html", view=view)


def _cluster(request: Request) -> ClusterState | Response:
    name = request.path_params["name"]
    state = context_of(request).fleet.snapshot.get(name)
    if state is None:
        return refuse(request, 404, f"no cluster named {name!r} in the fleet")
    return state


@guard(Role.VIEWER)
async def cluster_page(request: Request) -> Response:
    state = _cluster(request)
    if isinstance(state, Response):
        return state
    ctx = context_of(request)
    return render(request, "cluster.html", view=cluster_view(state, ctx.catalog, ctx.today()))


def _plan(request: Request) -> tuple[ClusterState, str] | Response:
    state = _cluster(request)
    if isinstance(state, Response):
        return state
    if state.inventory is None:
        return refuse(request, 409, f"{state.name} could not be read: {state.error}")
    return state, request.query_params.get("target") or DEFAULT_PLAN_TARGET


@guard(Role.VIEWER)
async def plan_page(request: Request) -> Response:
    chosen = _plan(request)
    if isinstance(chosen, Response):
        return chosen
    state, target = chosen
    ctx = context_of(request)
    try:
        view = plan_view(state, ctx.catalog, target, ctx.today())
    except UsageError as exc:
        targets = plan_targets(state, ctx.catalog)
        return render(request, "plan.html", 400, view=None, state=state, error=exc, targets=targets)
    return render(request, "plan.html", view=view, state=state, targets=view.targets)


@guard(Role.VIEWER)
async def runbook(request: Request) -> Response:
    chosen = _plan(request)
    if isinstance(chosen, Response):
        return chosen
    state, target = chosen
    ctx = context_of(request)
    try:
        view = plan_view(state, ctx.catalog, target, ctx.today())
    except UsageError as exc:
        return refuse(request, 400, exc.message)
    filename = f"runbook-{state.name}-{view.plan.target}.md"
    return PlainTextResponse(
        view.markdown,
        media_type="text/markdown; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@guard(Role.OPERATOR)
async def refresh(request: Request) -> Response:
    """Collect the fleet again now (operators only; POST with the CSRF token; audited)."""
    ctx = context_of(request)
    started = ctx.fleet.start_refresh()
    ctx.audit.write(
        current_user(request),
        "web.refresh",
        "ok" if started else "skipped",
        detail="" if started else "a refresh was already running",
        remote=remote(request),
    )
    return RedirectResponse("/", status_code=303)

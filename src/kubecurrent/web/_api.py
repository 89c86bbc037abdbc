"""The JSON API under ``/api`` (``Authorization: Bearer`` or the session cookie plus CSRF).

``GET /api/whoami``, ``GET /api/clusters[?label=value…]``, ``GET /api/clusters/{name}`` (the
inventory, its findings and the reason it could not be read), ``GET /api/clusters/{name}/plan
[?target=]`` and ``POST /api/refresh`` (operators).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from kubecurrent.collect.cluster import inventory_json
from kubecurrent.errors import UsageError
from kubecurrent.model.findings import to_data
from kubecurrent.web._auth import Role
from kubecurrent.web._context import context_of
from kubecurrent.web._fleet import ClusterState
from kubecurrent.web._guard import current_user, guard, refuse, remote
from kubecurrent.web._views import DEFAULT_PLAN_TARGET, FleetRow, fleet_view, plan_view


@guard(Role.VIEWER)
async def whoami(request: Request) -> Response:
    user = current_user(request)
    assert user is not None
    return JSONResponse({"user": user.name, "role": user.role.value, "via": user.via})


def _row(r: FleetRow) -> dict[str, Any]:
    c = r.currency
    return {
        "name": r.name,
        "provider": r.provider,
        "labels": dict(r.labels),
        "version": c.version if c else None,
        "behind": c.behind if c else None,
        "endOfLife": c.end_of_life.isoformat() if c and c.end_of_life else None,
        "daysLeft": c.days_left if c else None,
        "findings": dict(r.severities),
        "addons": r.addons,
        "addonsBehind": r.addons_behind,
        "error": r.error,
    }


@guard(Role.VIEWER)
async def clusters(request: Request) -> Response:
    ctx = context_of(request)
    view = fleet_view(ctx.fleet.snapshot, ctx.catalog, ctx.today(), dict(request.query_params))
    at = ctx.fleet.snapshot.collected_at
    return JSONResponse(
        {
            "collectedAt": at.isoformat(timespec="seconds") if at else None,
            "refreshing": ctx.fleet.refreshing,
            "clusters": [_row(r) for r in view.rows],
            "support": [p.to_json() for p in view.support],
        }
    )


def _state(request: Request) -> ClusterState | Response:
    name = request.path_params["name"]
    state = context_of(request).fleet.snapshot.get(name)
    return state if state is not None else refuse(request, 404, f"no cluster named {name!r}")


@guard(Role.VIEWER)
async def cluster(request: Request) -> Response:
    state = _state(request)
    if isinstance(state, Response):
        return state
    return JSONResponse(
        {
            "name": state.name,
            "labels": dict(state.labels),
            "error": state.error,
            "target": str(state.target) if state.target else None,
            "inventory": inventory_json(state.inventory) if state.inventory else None,
            "findings": [to_data(f, nones=True) for f in state.findings],
        }
    )


@guard(Role.VIEWER)
async def plan(request: Request) -> Response:
    state = _state(request)
    if isinstance(state, Response):
        return state
    if state.inventory is None:
        return refuse(request, 409, f"{state.name} could not be read: {state.error}")
    ctx = context_of(request)
    target = request.query_params.get("target") or DEFAULT_PLAN_TARGET
    try:
        view = plan_view(state, ctx.catalog, target, ctx.today())
    except UsageError as exc:
        return refuse(request, 400, exc.message)
    return JSONResponse(view.plan.to_json())


@guard(Role.OPERATOR)
async def refresh(request: Request) -> Response:
    ctx = context_of(request)
    started = ctx.fleet.start_refresh()
    outcome = "ok" if started else "skipped"
    ctx.audit.write(current_user(request), "web.refresh", outcome, remote=remote(request))
    return JSONResponse({"refreshing": True, "started": started}, status_code=202)

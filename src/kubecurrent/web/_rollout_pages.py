"""The Upgrade, rollout, approve and History pages, plugged in through ``EXTENSIONS``.

Pages (viewers read, operators act; every POST carries the CSRF token, see ``_guard``):

- ``GET /upgrade``: the start form (clusters, target, strategy, approvals); with ``preview=1``
  the wave assignment, each cluster's plan and the confirmation; ``POST /upgrade`` starts it;
- ``GET /rollouts/{id}``: live progress (``/rollouts/{id}/events``, server-sent events; the
  ``/rollouts/{id}/progress`` fragment), the controls, the journal, the report downloads
  ``/rollouts/{id}/report.md`` and ``report.html``; ``POST /rollouts/{id}/{action}`` with
  action ``approve``, ``pause``, ``resume`` or ``abort``;
- ``GET /rollouts/{id}/waves/{wave}/approve``: the approve page of one wave (the link in
  approval requests): its clusters, the approvals so far, and the form for operators;
- ``GET /history``: every rollout of the state store, newest first;
- API: ``GET /api/rollouts``, ``GET /api/rollouts/{id}``, ``GET /api/rollouts/{id}/events``,
  ``POST /api/rollouts`` (JSON: ``clusters``, ``target``, ``strategy``, ``approveLater``,
  ``confirm``) and ``POST /api/rollouts/{id}/{action}`` (JSON: ``wave``, ``note``,
  ``retryFailed``).

Every action is recorded twice: in the rollout's own journal and audit trail with the web
user's name as the actor, and in the dashboard's audit log. An operator whose single sign-on role
covers some clusters only (``env=dev``) is refused, and audited, when a rollout to start or act on
holds any other cluster.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from kubecurrent.errors import UsageError
from kubecurrent.rollout import (
    AuditAction,
    describe_runner,
    render_html,
    render_markdown,
    settings_json,
    summaries,
)
from kubecurrent.web import _sse
from kubecurrent.web._auth import Role, User
from kubecurrent.web._context import WebContext
from kubecurrent.web._guard import current_user, guard, is_api, refuse, remote
from kubecurrent.web._registry import Extension, NavEntry
from kubecurrent.web._render import render
from kubecurrent.web._rollouts import FINISHED, Rollouts
from kubecurrent.web._upgrade_form import DEFAULT_TARGET, Proposal, StartForm, propose
from kubecurrent.web._views import PlanView, plan_view

ACTIONS = ("approve", "pause", "resume", "abort")
DONE_TEXT = {
    "started": "Rollout started.",
    "approve": "Approval recorded.",
    "pause": "Pause requested: the rollout stops after the steps now running.",
    "resume": "Resumed.",
    "abort": "Abort requested: the rollout stops after the steps now running.",
}


def took(start: str | None, end: str | None) -> str:
    """``1m05s`` between two stored times; empty when either is missing."""
    if not start or not end:
        return ""
    seconds = int(
        (dt.datetime.fromisoformat(end) - dt.datetime.fromisoformat(start)).total_seconds()
    )
    minutes, secs = divmod(max(seconds, 0), 60)
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"


def rollout_extension(ctx: WebContext) -> Extension:
    """The hook in ``EXTENSIONS``: nothing without a state store (nothing is faked)."""
    if ctx.store is None:
        return Extension("rollouts", ())
    service = Rollouts(ctx.store, ctx.runners)
    ctx.on_close.append(service.stop)
    pages = RolloutPages(ctx, service)
    return Extension(
        "rollouts",
        pages.routes(),
        (NavEntry("Upgrade", "/upgrade"), NavEntry("History", "/history")),
    )


class RolloutPages:
    def __init__(self, ctx: WebContext, service: Rollouts) -> None:
        self.ctx, self.service = ctx, service

    def routes(self) -> list[BaseRoute]:
        viewer, operator = guard(Role.VIEWER), guard(Role.OPERATOR)
        return [
            Route("/upgrade", viewer(self.upgrade_page), methods=["GET"]),
            Route("/upgrade", operator(self.start), methods=["POST"]),
            Route("/history", viewer(self.history)),
            Route("/rollouts/{rid}", viewer(self.rollout_page)),
            Route("/rollouts/{rid}/progress", viewer(self.progress)),
            Route("/rollouts/{rid}/events", viewer(self.events)),
            Route("/rollouts/{rid}/report.{fmt}", viewer(self.report)),
            Route(
                "/rollouts/{rid}/waves/{wave:path}/approve",
                viewer(self.approve_page),
                methods=["GET"],
            ),
            Route("/rollouts/{rid}/{action}", operator(self.act), methods=["POST"]),
            Route("/api/rollouts", viewer(self.api_list), methods=["GET"]),
            Route("/api/rollouts", operator(self.start), methods=["POST"]),
            Route("/api/rollouts/{rid}", viewer(self.api_rollout)),
            Route("/api/rollouts/{rid}/events", viewer(self.events)),
            Route("/api/rollouts/{rid}/{action}", operator(self.act), methods=["POST"]),
        ]

    # --- Upgrade ----------------------------------------------------------------------------

    def _targets(self) -> tuple[str, ...]:
        known = [s.inventory for s in self.ctx.fleet.snapshot.clusters if s.inventory is not None]
        lowest = min((i.control_plane.minor_version for i in known), default=None)
        minors = sorted(
            (r.version for r in self.ctx.catalog.releases if lowest is None or r.version >= lowest),
            reverse=True,
        )
        return (DEFAULT_TARGET, "latest", *(str(m) for m in minors))

    def _plans(self, proposal: Proposal) -> list[tuple[str, PlanView | None, str]]:
        """Each chosen cluster's plan to the chosen target (the Plan page's view), or why not."""
        found: list[tuple[str, PlanView | None, str]] = []
        for name in proposal.form.clusters:
            state = self.ctx.fleet.snapshot.get(name)
            if state is None or state.inventory is None:
                why = state.error if state and state.error else "not collected yet"
                found.append((name, None, f"no plan: {why}; it is planned when its wave starts"))
                continue
            try:
                found.append(
                    (
                        name,
                        plan_view(state, self.ctx.catalog, proposal.form.target, self.ctx.today()),
                        "",
                    )
                )
            except UsageError as exc:
                found.append((name, None, exc.message))
        return found

    def _upgrade(
        self, request: Request, proposal: Proposal | None, status: int = 200, error: str = ""
    ) -> Response:
        active = [r for r in summaries(self.service.store) if r["state"] not in FINISHED]
        form = (
            proposal.form
            if proposal
            else StartForm(clusters=tuple(r.name for r in self.ctx.cluster_refs))
        )
        states = {s.name: s for s in self.ctx.fleet.snapshot.clusters}
        return render(
            request,
            "upgrade.html",
            status,
            form=form,
            proposal=proposal,
            plans=self._plans(proposal) if proposal and proposal.form.clusters else [],
            refs=self.ctx.cluster_refs,
            states=states,
            targets=self._targets(),
            active=active,
            can_drive=self.can_start,
            runner=describe_runner(settings_json(self.service.runners.record()))
            if self.service.runners
            else "",
            error=error,
        )

    async def upgrade_page(self, request: Request) -> Response:
        q = request.query_params
        user = current_user(request)
        if q.get("preview") and user is not None and user.role.allows(Role.OPERATOR):
            form = StartForm.from_fields(q, q.getlist("clusters"))
            return self._upgrade(request, self._propose(form))
        return self._upgrade(request, None)

    def _propose(self, form: StartForm) -> Proposal:
        return propose(form, self.ctx.cluster_refs, self.ctx.catalog, self.ctx.today())

    async def start(self, request: Request) -> Response:
        user = current_user(request)
        assert user is not None
        if is_api(request):
            try:
                body = await request.json()
            except ValueError:
                return refuse(request, 400, "send a JSON object (see docs/dashboard.md)")
            if not isinstance(body, dict):
                return refuse(request, 400, "send a JSON object (see docs/dashboard.md)")
            form = _form_of_json(body)
        else:
            data = await request.form()
            fields = {k: v for k, v in data.items() if isinstance(v, str)}
            form = StartForm.from_fields(
                fields, [c for c in data.getlist("clusters") if isinstance(c, str)]
            )
        proposal = self._propose(form)
        outside = [r.name for r in proposal.refs if not user.may_operate(r.labels)]
        if outside:
            return self._out_of_scope(request, user, "start", ", ".join(outside))
        problem = self._refusal(proposal)
        if problem:
            self._audit(request, user, "web.rollout.start", "failed", problem)
            if is_api(request):
                return JSONResponse(
                    {"error": problem, "status": 400, "fields": proposal.errors}, 400
                )
            return self._upgrade(request, proposal, 400, problem)
        assert proposal.strategy is not None
        try:
            rid = await run_in_threadpool(
                self.service.start,
                proposal.refs,
                proposal.version,
                proposal.strategy,
                self.ctx.fleet_source or "dashboard",
                user.name,
            )
        except UsageError as exc:
            self._audit(request, user, "web.rollout.start", "failed", exc.message)
            return refuse(request, 400, exc.message)
        self._audit(
            request,
            user,
            "web.rollout.start",
            "ok",
            f"{rid}: {', '.join(proposal.form.clusters)} to {proposal.version}",
        )
        if is_api(request):
            return JSONResponse({"id": rid, "url": f"/rollouts/{rid}"}, status_code=201)
        return RedirectResponse(f"/rollouts/{rid}?done=started", status_code=303)

    @property
    def can_start(self) -> bool:
        """Whether a rollout started here will be driven: by this server, or by the controller
        of the management cluster whose store it uses."""
        return self.service.can_drive or self.ctx.controller_drives

    def _refusal(self, proposal: Proposal) -> str:
        if not self.can_start:
            return (
                "this dashboard has no live clusters (saved snapshots, or none given) and cannot "
                "upgrade clusters; run `kubecurrent serve --fleet FILE` (or `kubecurrent rollout "
                "start`, or apply a FleetUpgrade to the management cluster)"
            )
        if proposal.errors:
            return "; ".join(proposal.errors.values())
        if not proposal.confirmed():
            proposal.errors["confirm"] = (
                f"type {proposal.confirmation!r} exactly to upgrade production clusters"
            )
            return proposal.errors["confirm"]
        return ""

    # --- one rollout ------------------------------------------------------------------------

    async def _live(self, request: Request) -> dict[str, Any] | Response:
        rid = request.path_params["rid"]
        try:
            return await run_in_threadpool(self.service.live, rid)
        except UsageError as exc:
            return refuse(request, 404, exc.message)

    def _page(
        self, request: Request, snap: dict[str, Any], status: int = 200, error: str = ""
    ) -> Response:
        journal = [e.to_json() for e in self.service.store.journal(snap["id"])]
        rehearsals = [
            a
            for a in self.service.store.audit_records(snap["id"])
            if a.action == AuditAction.REHEARSAL
        ]
        done = DONE_TEXT.get(request.query_params.get("done", ""), "")
        return render(
            request,
            "rollout.html",
            status,
            snap=snap,
            journal=journal,
            rehearsals=rehearsals,
            done=done,
            error=error,
            took=took,
            can_drive=self.service.can_drive,
        )

    async def rollout_page(self, request: Request) -> Response:
        snap = await self._live(request)
        return snap if isinstance(snap, Response) else self._page(request, snap)

    async def approve_page(self, request: Request) -> Response:
        """The page an approval request links to: the wave, its approvals so far, the form."""
        snap = await self._live(request)
        if isinstance(snap, Response):
            return snap
        name = request.path_params["wave"]
        wave = next((w for w in snap["waves"] if w["name"] == name), None)
        if wave is None:
            known = ", ".join(w["name"] for w in snap["waves"])
            return refuse(request, 404, f"rollout {snap['id']} has no wave {name!r} ({known})")
        user = current_user(request)
        starter = user is not None and user.name == snap["actor"]
        may = bool(snap["strategy"].get("starterMayApprove", True))
        return render(
            request, "approve.html", snap=snap, wave=wave, starter_refused=starter and not may
        )

    async def progress(self, request: Request) -> Response:
        snap = await self._live(request)
        if isinstance(snap, Response):
            return snap
        return render(
            request, "_progress.html", snap=snap, took=took, can_drive=self.service.can_drive
        )

    async def events(self, request: Request) -> Response:
        snap = await self._live(request)  # 404 before the stream starts
        if isinstance(snap, Response):
            return snap
        rid = snap["id"]
        stream = _sse.snapshots(
            lambda: self.service.live(rid),
            closing=self.ctx.closing,
            disconnected=request.is_disconnected,
        )
        return StreamingResponse(
            stream,
            media_type="text/event-stream",
            headers={"X-Accel-Buffering": "no", "Cache-Control": "no-store"},
        )

    async def report(self, request: Request) -> Response:
        rid, fmt = request.path_params["rid"], request.path_params["fmt"]
        if fmt not in ("md", "html"):
            return refuse(request, 404, "reports are report.md or report.html")
        store = self.service.store

        def make() -> str:
            snap = self.service.snapshot(rid)
            render_report = render_html if fmt == "html" else render_markdown
            return render_report(snap, store.journal(rid), store.audit_records(rid))

        try:
            text = await run_in_threadpool(make)
        except UsageError as exc:
            return refuse(request, 404, exc.message)
        media = "text/html" if fmt == "html" else "text/markdown"
        return Response(
            text,
            media_type=f"{media}; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="change-record-{rid}.{fmt}"'},
        )

    async def act(self, request: Request) -> Response:
        user = current_user(request)
        assert user is not None
        rid, action = request.path_params["rid"], request.path_params["action"]
        if action not in ACTIONS:
            return refuse(request, 404, f"no action {action!r}: use {', '.join(ACTIONS)}")
        labels = await run_in_threadpool(self.service.cluster_labels, rid)
        outside = [name for name, found in labels.items() if not user.may_operate(found)]
        if outside:
            return self._out_of_scope(request, user, action, f"{rid}: {', '.join(outside)}")
        if is_api(request):
            try:
                body = await request.json() if await request.body() else {}
            except ValueError:
                return refuse(request, 400, "send a JSON object (see docs/dashboard.md)")
            args = body if isinstance(body, dict) else {}
            wave, note, retry = (
                args.get("wave"),
                args.get("note", ""),
                bool(args.get("retryFailed")),
            )
        else:
            data = await request.form()
            wave = str(data.get("wave") or "") or None
            note = str(data.get("note") or "")
            retry = data.get("retry_failed") == "on"
        try:
            outcome = await run_in_threadpool(
                self._do, action, rid, user.name, str(wave) if wave else None, str(note), retry
            )
        except UsageError as exc:
            message = exc.message + (f" ({exc.hint})" if exc.hint else "")
            self._audit(request, user, f"web.rollout.{action}", "failed", f"{rid}: {message}")
            if is_api(request):
                return JSONResponse({"error": message, "status": 409}, 409)
            snap = await self._live(request)
            if isinstance(snap, Response):
                return snap
            return self._page(request, snap, 409, message)
        self._audit(request, user, f"web.rollout.{action}", "ok", f"{rid}: {outcome}")
        if is_api(request):
            return JSONResponse({"id": rid, "action": action, "outcome": outcome})
        return RedirectResponse(f"/rollouts/{rid}?done={action}", status_code=303)

    def _do(
        self, action: str, rid: str, actor: str, wave: str | None, note: str, retry: bool
    ) -> str:
        if action == "approve":
            return self.service.approve(rid, wave, actor, note).describe()
        if action == "pause":
            return self.service.pause(rid, actor)
        if action == "abort":
            return self.service.abort(rid, actor)
        self.service.resume(rid, actor, retry)
        return "resumed"

    # --- History and the API ----------------------------------------------------------------

    async def history(self, request: Request) -> Response:
        found = await run_in_threadpool(summaries, self.service.store)
        return render(request, "history.html", rollouts=found)

    async def api_list(self, request: Request) -> Response:
        return JSONResponse(await run_in_threadpool(summaries, self.service.store))

    async def api_rollout(self, request: Request) -> Response:
        snap = await self._live(request)
        return snap if isinstance(snap, Response) else JSONResponse(snap)

    def _out_of_scope(self, request: Request, user: User, action: str, what: str) -> Response:
        """403 for an operator whose role does not cover these clusters (single sign-on's
        per-environment roles), audited as ``denied``."""
        why = f"{what}: your operator role covers {user.scope.describe()} only"
        self._audit(request, user, f"web.rollout.{action}", "denied", why)
        return refuse(request, 403, why)

    def _audit(self, request: Request, user: User, action: str, outcome: str, detail: str) -> None:
        self.ctx.audit.write(user, action, outcome, detail=detail, remote=remote(request))


def _form_of_json(body: dict[str, Any]) -> StartForm:
    clusters = body.get("clusters") or []
    strategy = body.get("strategy")
    return StartForm(
        clusters=tuple(dict.fromkeys(str(c) for c in clusters))
        if isinstance(clusters, list)
        else (),
        target=str(body.get("target") or DEFAULT_TARGET),
        custom_strategy=bool(strategy),
        strategy=strategy if isinstance(strategy, str) else json.dumps(strategy or {}),
        approve_later=bool(body.get("approveLater")),
        confirm=str(body.get("confirm") or ""),
    )

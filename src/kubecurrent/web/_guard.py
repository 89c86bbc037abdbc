"""Every protected route goes through ``guard(role)``: the one place that authenticates, checks
CSRF and checks the role.

1. Who: ``Authorization: Bearer`` on ``/api/…`` (no cookie needed, no CSRF: the browser never
   sends it by itself), otherwise the signed session cookie.
   Nobody → pages redirect to ``/login?next=…``; the API answers 401 with ``WWW-Authenticate``.
2. CSRF (cookie sessions, every POST/PUT/PATCH/DELETE): the session's token must come back in the
   ``X-CSRF-Token`` header or the ``csrf_token`` form field → else 403.
3. Role: the user's role must allow ``role`` → else 403 (an HTML page or JSON).

Refused state-changing requests are written to the audit log with outcome ``denied``.
"""

from __future__ import annotations

import functools
import hmac
from collections.abc import Awaitable, Callable
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from kubecurrent.web._auth import Role, User
from kubecurrent.web._context import context_of
from kubecurrent.web._session import SESSION_COOKIE, Session

Handler = Callable[[Request], Awaitable[Response]]
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"


def is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def remote(request: Request) -> str:
    return request.client.host if request.client else ""


def current_user(request: Request) -> User | None:
    user: User | None = getattr(request.state, "user", None)
    return user


def current_session(request: Request) -> Session | None:
    session: Session | None = getattr(request.state, "session", None)
    return session


def bearer_token(request: Request) -> str | None:
    """The ``Authorization: Bearer`` token of an API request, if it has one."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() if is_api(request) and scheme.lower() == "bearer" and token else None


def identify(request: Request) -> tuple[User | None, Session | None]:
    """The user of ``request`` and their cookie session (None for bearer requests)."""
    ctx = context_of(request)
    token = bearer_token(request)
    if token is not None:
        return ctx.auth.bearer(token), None
    session = ctx.sessions.read(request.cookies.get(SESSION_COOKIE))
    return (session.user, session) if session else (None, None)


async def csrf_ok(request: Request, session: Session) -> bool:
    given = request.headers.get(CSRF_HEADER)
    if given is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        value = (await request.form()).get(CSRF_FIELD)
        given = value if isinstance(value, str) else None
    return given is not None and hmac.compare_digest(given.encode(), session.csrf.encode())


def refuse(request: Request, status: int, message: str) -> Response:
    """A 401/403/404/… as JSON on the API and as a page elsewhere."""
    if is_api(request):
        headers = {"WWW-Authenticate": 'Bearer realm="kubecurrent"'} if status == 401 else None
        return JSONResponse({"error": message, "status": status}, status, headers=headers)
    ctx = context_of(request)
    return ctx.templates.TemplateResponse(
        request, "error.html", {"status": status, "message": message}, status_code=status
    )


def too_many(request: Request, wait: int) -> Response:
    """429 with ``Retry-After``: too many failed attempts from this user name or address."""
    response = refuse(request, 429, f"too many failed attempts; try again in {wait} s")
    response.headers["Retry-After"] = str(wait)
    return response


def guard(role: Role) -> Callable[[Handler], Handler]:
    """Require a user whose role allows ``role`` (and a CSRF token on unsafe methods)."""

    def wrap(handler: Handler) -> Handler:
        @functools.wraps(handler)
        async def guarded(request: Request) -> Response:
            ctx, bearer = context_of(request), bearer_token(request) is not None
            keys = ctx.throttle.keys(None, remote(request))
            if bearer and (wait := ctx.throttle.wait(keys)):
                ctx.audit.write(None, "web.token", "throttled", remote=remote(request))
                return too_many(request, wait)
            # a bearer ID token may make the server fetch the provider's keys: not on the loop
            user, session = (
                await run_in_threadpool(identify, request) if bearer else identify(request)
            )
            request.state.user, request.state.session = user, session
            if bearer:
                if user is None:
                    ctx.throttle.failed(keys)
                    ctx.audit.write(None, "web.token", "failed", remote=remote(request))
                else:
                    ctx.throttle.succeeded(keys)
            if user is None:
                if is_api(request):
                    return refuse(request, 401, "authentication required")
                target = quote(request.url.path, safe="/")
                return RedirectResponse(f"/login?next={target}", status_code=303)
            unsafe = request.method in UNSAFE
            if unsafe and session is not None and not await csrf_ok(request, session):
                _deny(request, user, "missing or wrong CSRF token")
                return refuse(request, 403, "missing or wrong CSRF token; reload the page")
            if not user.role.allows(role):
                if unsafe:
                    _deny(request, user, f"needs role {role.value}")
                return refuse(request, 403, f"this needs the {role.value} role")
            return await handler(request)

        guarded.__kc_role__ = role  # type: ignore[attr-defined]
        return guarded

    return wrap


def _deny(request: Request, user: User, why: str) -> None:
    action = f"web.{request.method.lower()} {request.url.path}"
    context_of(request).audit.write(user, action, "denied", detail=why, remote=remote(request))

"""Logging in and out.

The login form is protected against CSRF by a double-submit token: ``GET /login`` sets a signed,
short-lived ``kc_login`` cookie and puts the same token in the form; ``POST /login`` needs both to
match. A successful login sets the signed session cookie (HttpOnly, SameSite=Strict, expiring).
Both outcomes are audited, with the user name that was tried (never the secret). Repeated
failures are slowed down (``_throttle``): 429 with ``Retry-After``, the secret not checked.
"""

from __future__ import annotations

from typing import Literal

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from kubecurrent.web._auth import Role, User
from kubecurrent.web._context import WebContext, context_of
from kubecurrent.web._guard import current_session, current_user, guard, remote
from kubecurrent.web._render import render
from kubecurrent.web._session import LOGIN_COOKIE, LOGIN_TTL, SESSION_COOKIE


def safe_next(value: object) -> str:
    """Only a path on this site (no ``//host`` or scheme): an open redirect otherwise."""
    text = value if isinstance(value, str) else ""
    ok = text.startswith("/") and not text.startswith(("//", "/\\"))
    return text if ok else "/"


def _form(request: Request, status: int = 200, error: str = "") -> Response:
    ctx = context_of(request)
    token, cookie = ctx.sessions.login_token()
    response = render(
        request,
        "login.html",
        status,
        login_token=token,
        next=safe_next(request.query_params.get("next")),
        error=error,
        sso=ctx.sso,
    )
    _cookie(response, ctx, LOGIN_COOKIE, cookie, LOGIN_TTL)
    return response


def _cookie(
    response: Response,
    ctx: WebContext,
    name: str,
    value: str,
    max_age: int,
    samesite: Literal["strict", "lax"] = "strict",
) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path="/",
        httponly=True,
        samesite=samesite,
        secure=ctx.secure_cookies,
    )


def set_session(
    response: Response, ctx: WebContext, user: User, samesite: Literal["strict", "lax"] = "strict"
) -> None:
    """Issue a session for ``user`` and set its cookie on ``response``."""
    _, cookie = ctx.sessions.issue(user)
    _cookie(response, ctx, SESSION_COOKIE, cookie, ctx.sessions.ttl, samesite)


async def login_form(request: Request) -> Response:
    return _form(request)


async def login(request: Request) -> Response:
    ctx = context_of(request)
    form = await request.form()
    username, secret = str(form.get("username", "")).strip(), str(form.get("password", ""))
    if not ctx.sessions.check_login_token(
        request.cookies.get(LOGIN_COOKIE), str(form.get("csrf_token", ""))
    ):
        ctx.audit.write(
            None,
            "web.login",
            "denied",
            detail="missing or wrong CSRF token",
            remote=remote(request),
            name=username,
        )
        return _form(request, 403, "The form expired; please log in again.")
    keys = ctx.throttle.keys(username, remote(request))
    wait = ctx.throttle.wait(keys)
    if wait:  # the secret is not even checked while blocked
        ctx.audit.write(None, "web.login", "throttled", remote=remote(request), name=username)
        response = _form(request, 429, f"Too many failed logins; try again in {wait} s.")
        response.headers["Retry-After"] = str(wait)
        return response
    user = ctx.auth.login(username, secret)
    if user is None:
        ctx.throttle.failed(keys)
        ctx.audit.write(None, "web.login", "failed", remote=remote(request), name=username)
        return _form(request, 401, "Wrong user name or password.")
    ctx.throttle.succeeded(keys)
    ctx.audit.write(user, "web.login", "ok", remote=remote(request))
    response = RedirectResponse(safe_next(form.get("next")), status_code=303)
    set_session(response, ctx, user)
    response.delete_cookie(LOGIN_COOKIE, path="/")
    return response


@guard(Role.VIEWER)
async def logout(request: Request) -> Response:
    ctx = context_of(request)
    session = current_session(request)
    if session is not None:
        ctx.sessions.revoke(session)
    ctx.audit.write(current_user(request), "web.logout", "ok", remote=remote(request))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response

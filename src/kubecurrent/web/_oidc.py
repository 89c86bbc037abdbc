"""Single sign-on with OpenID Connect: the authorization code flow with PKCE (S256).

At start (``OidcLogin.connect``), before the server listens: the discovery document
(``<issuer>/.well-known/openid-configuration``) is read and its ``issuer`` must be the configured
one; the JWKS is fetched; and the client credentials are tried with a code exchange for a code
that does not exist: a provider that answers ``invalid_client`` has refused the client id or
secret. Each failure stops the server with a message naming the setting.

Routes (public):

- ``GET /oidc/login?next=/path``: a fresh ``state``, ``nonce`` and PKCE verifier go into a
  signed, short-lived ``kc_oidc`` cookie (HttpOnly, SameSite=Lax so that it comes back with the
  provider's redirect), then a redirect to the provider;
- ``GET /oidc/callback``: ``state`` checked against the cookie, the code exchanged (with the
  verifier and the client secret), the ID token checked (``_oidc_tokens``, with the nonce), the
  roles mapped from its claim, and a session issued (SameSite=Lax: the redirect that follows
  belongs to the provider's navigation). Every outcome is audited as ``web.oidc.login``.

On ``/api``, ``Authorization: Bearer <ID token of this client>`` is accepted too (checked the
same way, without a nonce); a refused token is audited as ``web.oidc.token``.
The OAuth 2.0 client is authlib's (``OAuth2Client`` over httpx).
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from kubecurrent.errors import UsageError
from kubecurrent.web._auth import User
from kubecurrent.web._context import context_of
from kubecurrent.web._guard import refuse, remote
from kubecurrent.web._login import safe_next, set_session
from kubecurrent.web._oidc_config import OidcSettings
from kubecurrent.web._oidc_tokens import IdTokens, TokenRefused

FLOW_COOKIE = "kc_oidc"
FLOW_PREFIX = b"oidc-flow\n"
"""Signed with the session key, so kept apart: no other signed value reads as a flow."""
FLOW_TTL = 10 * 60
OIDC_SECRET_ENV = "KUBECURRENT_SERVE_OIDC_CLIENT_SECRET"  # noqa: S105 (a name)
TIMEOUT = 10.0


@dataclass(frozen=True)
class Provider:
    """What the discovery document says."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    algorithms: frozenset[str]


class LoginRefused(Exception):
    """A callback that does not log anybody in; ``status`` and a message for the page."""

    def __init__(self, status: int, message: str, audit: str) -> None:
        super().__init__(message)
        self.status, self.message, self.audit = status, message, audit


def _get_json(url: str) -> Any:
    response = httpx.get(url, timeout=TIMEOUT, follow_redirects=False)
    response.raise_for_status()
    return response.json()


def discover(settings: OidcSettings, where: str) -> Provider:
    """The provider's endpoints from its discovery document; UsageError naming ``issuer``."""
    url = settings.issuer.rstrip("/") + "/.well-known/openid-configuration"
    try:
        doc = _get_json(url)
    except (httpx.HTTPError, ValueError) as exc:
        raise UsageError(
            f"{where}: issuer {settings.issuer!r}: cannot read the discovery document {url} "
            f"({exc})",
            hint="check `issuer` (the provider's issuer URL, as it announces itself) and that "
            "the provider is reachable from this server",
        ) from None
    if not isinstance(doc, dict) or doc.get("issuer") != settings.issuer:
        found = doc.get("issuer") if isinstance(doc, dict) else None
        raise UsageError(
            f"{where}: issuer {settings.issuer!r}: the provider announces issuer {found!r}",
            hint="write the provider's issuer exactly as its discovery document gives it "
            "(mind the trailing slash)",
        )
    missing = [k for k in ("authorization_endpoint", "token_endpoint", "jwks_uri") if k not in doc]
    if missing:
        raise UsageError(
            f"{where}: issuer {settings.issuer!r}: the discovery document lacks {', '.join(missing)}",
            hint="is this an OpenID Connect provider?",
        )
    algs = doc.get("id_token_signing_alg_values_supported") or ["RS256"]
    return Provider(
        settings.issuer,
        str(doc["authorization_endpoint"]),
        str(doc["token_endpoint"]),
        str(doc["jwks_uri"]),
        frozenset(map(str, algs)),
    )


def actor_name(issuer: str, subject: str, email: str) -> str:
    """``oidc:<issuer host and path>/<subject> (<email>)``: the actor in every record."""
    parts = urlsplit(issuer)
    where = (parts.netloc + parts.path).rstrip("/")
    return f"oidc:{where}/{subject}" + (f" ({email})" if email else "")


class OidcLogin:
    """The ``Authenticator`` for single sign-on (see the module docstring)."""

    def __init__(
        self,
        settings: OidcSettings,
        provider: Provider,
        tokens: IdTokens,
        client_secret: str | None,
    ) -> None:
        self.settings, self.provider, self.tokens = settings, provider, tokens
        self._secret = client_secret
        self.on_refusal: Callable[[str, TokenRefused], None] | None = None
        """Told of every refused bearer token (``kubecurrent serve`` audits it)."""

    @classmethod
    def connect(cls, settings: OidcSettings, where: str, client_secret: str | None) -> OidcLogin:
        """Discovery, JWKS and a client-credentials probe: a misconfiguration stops the start."""
        provider = discover(settings, where)
        tokens = IdTokens(
            provider.issuer,
            settings.client_id,
            provider.jwks_uri,
            _get_json,
            algorithms=provider.algorithms,
            roles_claim=settings.roles_claim,
            skew=settings.clock_skew_seconds,
            refresh_seconds=settings.jwks_refresh_seconds,
        )
        if not tokens.algorithms:
            raise UsageError(
                f"{where}: issuer {settings.issuer!r}: the provider signs ID tokens with "
                f"{', '.join(sorted(provider.algorithms))} only; kubecurrent accepts asymmetric "
                "signatures (RS256, ES256, EdDSA, ...)",
                hint="configure the provider to sign this client's ID tokens with RS256",
            )
        try:
            tokens.load_keys()
        except (httpx.HTTPError, ValueError, KeyError) as exc:
            raise UsageError(
                f"{where}: issuer {settings.issuer!r}: cannot load the provider's keys from "
                f"{provider.jwks_uri} ({exc})",
                hint="check that the provider serves its JWKS to this server",
            ) from None
        login = cls(settings, provider, tokens, client_secret)
        login.probe_client(where)
        return login

    def _client(self) -> Any:
        from authlib.integrations.httpx_client import OAuth2Client

        method = "client_secret_basic" if self._secret else "none"
        return OAuth2Client(
            client_id=self.settings.client_id,
            client_secret=self._secret,
            token_endpoint_auth_method=method,
            scope=" ".join(self.settings.scopes),
            redirect_uri=self.settings.redirect_uri,
            code_challenge_method="S256",
            timeout=TIMEOUT,
        )

    def probe_client(self, where: str) -> None:
        """Exchange a made-up code: ``invalid_client`` means the client id or secret is wrong;
        any other refusal (``invalid_grant``) means the provider knows this client."""
        from authlib.integrations.base_client.errors import OAuthError

        with self._client() as client:
            try:
                client.fetch_token(
                    self.provider.token_endpoint,
                    code="kubecurrent-start-probe",
                    code_verifier="x" * 43,
                )
            except OAuthError as exc:
                if exc.error == "invalid_client":
                    raise UsageError(
                        f"{where}: the provider refused client {self.settings.client_id!r} "
                        f"(clientId, {OIDC_SECRET_ENV}): {exc.description or exc.error}",
                        hint=f"check clientId in the settings file and the secret in {OIDC_SECRET_ENV}",
                    ) from None
            except httpx.HTTPError as exc:
                raise UsageError(
                    f"{where}: issuer {self.settings.issuer!r}: the token endpoint "
                    f"{self.provider.token_endpoint} does not answer ({exc})",
                    hint="check that the provider is reachable from this server",
                ) from None

    # -- Authenticator -----------------------------------------------------------------------

    def login(self, username: str, secret: str) -> User | None:
        return None

    def bearer(self, token: str) -> User | None:
        if token.count(".") != 2:
            return None  # not a JWT: a static token for another authenticator
        try:
            claims = self.tokens.check(token)
        except TokenRefused as exc:
            self._audit_refusal("web.oidc.token", exc)
            return None
        return self.user(claims.issuer, claims.subject, claims.email, claims.values)

    def user(self, issuer: str, subject: str, email: str, values: Sequence[str]) -> User | None:
        """The dashboard user for these claims; None when the roles mapping gives no role."""
        granted = self.settings.roles.grant(values)
        if granted is None:
            return None
        role, scope, groups = granted
        return User(
            actor_name(issuer, subject, email),
            role,
            "oidc",
            subject=subject,
            email=email,
            groups=groups,
            scope=scope,
        )

    def routes(self) -> Sequence[BaseRoute]:
        return (
            Route("/oidc/login", self.start, methods=["GET"]),
            Route("/oidc/callback", self.callback, methods=["GET"]),
        )

    # -- the flow ----------------------------------------------------------------------------

    def _audit_refusal(self, action: str, exc: TokenRefused) -> None:
        if self.on_refusal is not None:
            self.on_refusal(action, exc)

    async def start(self, request: Request) -> Response:
        ctx = context_of(request)
        flow = {
            "state": secrets.token_urlsafe(24),
            "nonce": secrets.token_urlsafe(24),
            "verifier": secrets.token_urlsafe(48),
            "next": safe_next(request.query_params.get("next")),
            "exp": int(time.time()) + FLOW_TTL,
        }
        with self._client() as client:
            url, _ = client.create_authorization_url(
                self.provider.authorization_endpoint,
                state=flow["state"],
                code_verifier=flow["verifier"],  # sent as its S256 challenge
                nonce=flow["nonce"],
            )
        response = RedirectResponse(url, status_code=303)
        response.set_cookie(
            FLOW_COOKIE,
            ctx.sessions.signer.sign(FLOW_PREFIX + json.dumps(flow).encode()),
            max_age=FLOW_TTL,
            path="/oidc/",
            httponly=True,
            samesite="lax",
            secure=ctx.secure_cookies,
        )
        return response

    def _flow(self, request: Request) -> dict[str, Any]:

        cookie = request.cookies.get(FLOW_COOKIE)
        payload = context_of(request).sessions.signer.unsign(cookie) if cookie else None
        flow = None
        if payload is not None and payload.startswith(FLOW_PREFIX):
            flow = json.loads(payload.removeprefix(FLOW_PREFIX))
        if not isinstance(flow, dict) or int(flow.get("exp", 0)) < time.time():
            raise LoginRefused(
                400,
                "The sign-in took too long or came from elsewhere; please start again.",
                "no valid sign-in cookie (expired, missing or not from this server)",
            )
        given = request.query_params.get("state", "")
        if not secrets.compare_digest(given.encode(), str(flow["state"]).encode()):
            raise LoginRefused(
                400, "The sign-in does not match this browser; start again.", "state mismatch"
            )
        return flow

    def _exchange(self, code: str, verifier: str) -> dict[str, Any]:
        from authlib.integrations.base_client.errors import OAuthError

        with self._client() as client:
            try:
                token: dict[str, Any] = client.fetch_token(
                    self.provider.token_endpoint, code=code, code_verifier=verifier
                )
            except OAuthError as exc:
                if exc.error == "invalid_client":
                    raise LoginRefused(
                        502,
                        "The identity provider refused this dashboard's client credentials. "
                        f"An administrator must check clientId and {OIDC_SECRET_ENV}.",
                        f"code exchange: invalid_client ({exc.description})",
                    ) from None
                raise LoginRefused(
                    400,
                    "The identity provider refused the sign-in code; please start again.",
                    f"code exchange: {exc.error} ({exc.description})",
                ) from None
            except httpx.HTTPError as exc:
                raise LoginRefused(
                    502,
                    "The identity provider did not answer; try again later.",
                    f"code exchange: {exc}",
                ) from None
        if "id_token" not in token:
            raise LoginRefused(502, "The identity provider sent no ID token.", "no id_token")
        return token

    async def callback(self, request: Request) -> Response:
        ctx = context_of(request)
        try:
            user, flow = await self._complete(request)
        except LoginRefused as exc:
            detail = exc.audit or exc.message
            ctx.audit.write(None, "web.oidc.login", "denied", detail=detail, remote=remote(request))
            response = refuse(request, exc.status, exc.message)
            response.delete_cookie(FLOW_COOKIE, path="/oidc/")
            return response
        ctx.audit.write(user, "web.oidc.login", "ok", remote=remote(request))
        response = RedirectResponse(str(flow["next"]), status_code=303)
        set_session(response, ctx, user, samesite="lax")
        response.delete_cookie(FLOW_COOKIE, path="/oidc/")
        return response

    async def _complete(self, request: Request) -> tuple[User, dict[str, Any]]:
        flow = self._flow(request)
        error = request.query_params.get("error")
        if error:
            why = request.query_params.get("error_description", "")
            raise LoginRefused(
                403, f"The identity provider did not sign you in: {error}.", f"{error}: {why}"
            )
        code = request.query_params.get("code", "")
        token = await run_in_threadpool(self._exchange, code, str(flow["verifier"]))
        try:
            claims = await run_in_threadpool(
                self.tokens.check, str(token["id_token"]), str(flow["nonce"])
            )
        except TokenRefused as exc:
            raise LoginRefused(
                401, "The identity provider's ID token was refused.", f"id token {exc}"
            ) from None
        user = self.user(claims.issuer, claims.subject, claims.email, claims.values)
        if user is None:
            raise LoginRefused(
                403,
                f"You are signed in at the provider, but none of your {self.settings.roles_claim} "
                "is given a role here; ask an administrator.",
                f"no role for {actor_name(claims.issuer, claims.subject, claims.email)}",
            )
        return user, flow

"""The AKS double's HTTP face: Azure Resource Manager REST as azure-mgmt-containerservice sends
it, the Microsoft Entra endpoints MSAL uses for the client-credentials grant, and the sandboxes'
TokenReview webhook, all on one HTTPS port of 127.0.0.1.

ARM conventions (https://learn.microsoft.com/rest/api/azure/#request-uri,
https://github.com/Azure/azure-resource-manager-rpc/blob/master/v1.0/common-api-details.md):
every request carries ``api-version`` (else 400 ``MissingApiVersionParameter``) and
``Authorization: Bearer`` (else 401 ``AuthenticationFailed``); errors are
``{"error": {"code", "message"}}`` with the HTTP status of the failure.
Entra (https://learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow):
``GET /{tenant}/v2.0/.well-known/openid-configuration`` and ``POST /{tenant}/oauth2/v2.0/token``
(form: ``grant_type=client_credentials``, ``client_id``, ``client_secret``, ``scope``) answering
``{"token_type": "Bearer", "expires_in", "access_token"}`` or ``{"error", "error_description"}``.
"""

from __future__ import annotations

import json
import re
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

TOKEN_REVIEW_PATH = "/aks-double/token-review/"


class ArmError(Exception):
    """An ARM error response."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.status, self.code, self.message = status, code, message


@dataclass
class Response:
    status: int
    body: dict[str, Any] | None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    params: dict[str, str]
    query: dict[str, str]
    body: dict[str, Any]
    base: str
    """``https://127.0.0.1:PORT`` (to build operation URLs)."""


Handler = Callable[[Request], Response]


@dataclass(frozen=True)
class Route:
    name: str
    method: str
    pattern: re.Pattern[str]
    handler: Handler


def route(name: str, method: str, template: str, handler: Handler) -> Route:
    """A route from an ARM path template such as ``/subscriptions/{subscriptionId}/...``."""
    regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template)
    return Route(name, method, re.compile(f"^{regex}$", re.IGNORECASE), handler)


@dataclass
class Hooks:
    """What the server asks of the double."""

    authenticate: Callable[[str], str]  # bearer token -> subscription check is per handler
    record: Callable[[str, Request], None]
    token: Callable[[str, dict[str, str]], tuple[int, dict[str, Any]]]  # tenant, form
    token_review: Callable[[str, dict[str, Any]], dict[str, Any]]


def serve(routes: list[Route], hooks: Hooks, context: ssl.SSLContext) -> ThreadingHTTPServer:
    """Start the HTTPS server on a free loopback port in a daemon thread."""

    class _Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:  # quiet
            return

        def do_GET(self) -> None:
            self._serve("GET")

        def do_POST(self) -> None:
            self._serve("POST")

        def do_PUT(self) -> None:
            self._serve("PUT")

        def _raw(self) -> bytes:
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length else b""

        def _send(self, r: Response) -> None:
            data = json.dumps(r.body).encode() if r.body is not None else b""
            self.send_response(r.status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("x-ms-request-id", "00000000-0000-4000-8000-000000000000")
            for k, v in r.headers.items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)

        def _serve(self, method: str) -> None:
            raw = self._raw()
            split = urlsplit(self.path)
            base = f"https://{self.headers.get('Host', '')}"
            if method == "POST" and split.path.startswith(TOKEN_REVIEW_PATH):
                sandbox = split.path.removeprefix(TOKEN_REVIEW_PATH)
                self._send(Response(200, hooks.token_review(sandbox, json.loads(raw or b"{}"))))
                return
            entra = re.match(
                r"^/([^/]+)/(v2\.0/\.well-known/openid-configuration|oauth2/v2\.0/token)$",
                split.path,
            )
            if entra:
                tenant = entra[1]
                if entra[2].startswith("v2.0"):
                    root = f"{base}/{tenant}"
                    self._send(
                        Response(
                            200,
                            {
                                "issuer": f"{root}/v2.0",
                                "authorization_endpoint": f"{root}/oauth2/v2.0/authorize",
                                "token_endpoint": f"{root}/oauth2/v2.0/token",
                                "token_endpoint_auth_methods_supported": ["client_secret_post"],
                            },
                        )
                    )
                    return
                form = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
                status, body = hooks.token(tenant, form)
                self._send(Response(status, body))
                return
            query = {k: v[0] for k, v in parse_qs(split.query).items()}
            try:
                request = self._parse(method, split.path, query, raw, base)
                if "api-version" not in query:
                    raise ArmError(
                        400,
                        "MissingApiVersionParameter",
                        "The api-version query parameter (?api-version=) is required for all "
                        "requests.",
                    )
                auth = self.headers.get("Authorization", "")
                if not auth.startswith("Bearer "):
                    raise ArmError(
                        401,
                        "AuthenticationFailed",
                        "Authentication failed. The 'Authorization' header is missing.",
                    )
                hooks.authenticate(auth.removeprefix("Bearer "))
                name, handler = self._route(method, split.path)
                hooks.record(name, request)
                self._send(handler(request))
            except ArmError as exc:
                self._send(
                    Response(exc.status, {"error": {"code": exc.code, "message": exc.message}})
                )
            except Exception as exc:  # a bug of the double: answer like ARM's 500
                message = f"{type(exc).__name__}: {exc}"
                self._send(
                    Response(500, {"error": {"code": "InternalServerError", "message": message}})
                )

        def _route(self, method: str, path: str) -> tuple[str, Handler]:
            for r in routes:
                if r.method == method and r.pattern.match(path):
                    return r.name, r.handler
            raise ArmError(404, "NotFound", f"no AKS operation at {method} {path}")

        def _parse(
            self, method: str, path: str, query: dict[str, str], raw: bytes, base: str
        ) -> Request:
            params: dict[str, str] = {}
            for r in routes:
                m = r.pattern.match(path)
                if r.method == method and m:
                    params = {k: unquote(v) for k, v in m.groupdict().items()}
                    break
            try:
                body = json.loads(raw) if raw else {}
            except json.JSONDecodeError:
                raise ArmError(400, "InvalidRequestContent", "the body is not JSON") from None
            return Request(method, path, params, query, body, base)

    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="aks-double", daemon=True).start()
    return server

"""The GKE double's HTTP side: routes the REST transport of google-cloud-container calls,
Google's OAuth token endpoint, authentication, and Google's error shape. Test infrastructure.

Routes are the REST bindings of the SDK's ``ClusterManager`` service (``http_options`` in
``google/cloud/container_v1/services/cluster_manager/transports/rest_base.py``), with the
resources of the GKE REST reference
(https://cloud.google.com/kubernetes-engine/docs/reference/rest/v1/projects.locations.clusters):

    GET  /v1/projects/{p}/locations/{l}/clusters                  clusters.list (l may be "-")
    GET  /v1/projects/{p}/locations/{l}/clusters/{c}              clusters.get
    POST /v1/projects/{p}/locations/{l}/clusters/{c}:updateMaster clusters.updateMaster
    GET  /v1/projects/{p}/locations/{l}/clusters/{c}/nodePools/{n} nodePools.get
    PUT  /v1/projects/{p}/locations/{l}/clusters/{c}/nodePools/{n} nodePools.update
    GET  /v1/projects/{p}/locations/{l}/serverConfig              locations.getServerConfig
    GET  /v1/projects/{p}/locations/{l}/operations                operations.list
    GET  /v1/projects/{p}/locations/{l}/operations/{o}            operations.get

Every API request carries ``Authorization: Bearer``: an access token this double issued at
``/token`` (RFC 7523 JWT-bearer grant, as google-auth's service-account credentials send it:
https://developers.google.com/identity/protocols/oauth2/service-account#authorizingrequests),
or a JWT self-signed with the service account's key (what the SDK sends for service accounts:
https://google.aip.dev/auth/4111); both are checked against the key's public half. Errors are
Google's JSON ``{"error": {"code", "message", "status"}}``
(https://cloud.google.com/apis/design/errors#http_mapping). ``POST /tokenreview/{sandbox}`` is the
sandboxes' TokenReview webhook: an access token of the double authenticates as the service
account, in ``system:masters``.
"""

from __future__ import annotations

import json
import re
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from google.auth import exceptions as auth_exceptions
from google.auth import jwt

from ._gke_state import ApiError

TOKEN_PATH = "/token"
TOKEN_REVIEW_PATH = "/tokenreview/"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
GOOGLE_TOKEN_AUDIENCE = "https://oauth2.googleapis.com/token"
"""The ``aud`` google-auth puts in a service account's grant assertion, whatever its
``token_uri`` (Google's token endpoint accepts it)."""
_LOC = r"/v1/projects/(?P<project>[^/]+)/locations/(?P<location>[^/]+)"
Handler = Callable[[dict[str, str], dict[str, Any]], dict[str, Any]]


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    rpc: str


ROUTES = [
    Route("GET", re.compile(_LOC + r"/clusters$"), "ListClusters"),
    Route("GET", re.compile(_LOC + r"/clusters/(?P<cluster>[^/:]+)$"), "GetCluster"),
    Route(
        "POST", re.compile(_LOC + r"/clusters/(?P<cluster>[^/:]+):updateMaster$"), "UpdateMaster"
    ),
    Route(
        "GET",
        re.compile(_LOC + r"/clusters/(?P<cluster>[^/]+)/nodePools/(?P<pool>[^/]+)$"),
        "GetNodePool",
    ),
    Route(
        "PUT",
        re.compile(_LOC + r"/clusters/(?P<cluster>[^/]+)/nodePools/(?P<pool>[^/]+)$"),
        "UpdateNodePool",
    ),
    Route("GET", re.compile(_LOC + r"/serverConfig$"), "GetServerConfig"),
    Route("GET", re.compile(_LOC + r"/operations$"), "ListOperations"),
    Route("GET", re.compile(_LOC + r"/operations/(?P<operation>[^/]+)$"), "GetOperation"),
]


class Auth:
    """The one service account the double knows, and the access tokens it issued."""

    def __init__(self, email: str, public_pem: str, token_uri: str) -> None:
        self.email, self.public_pem, self.token_uri = email, public_pem, token_uri
        self._tokens: dict[str, float] = {}
        self._lock = threading.Lock()
        self.revoked = False

    def grant(self, form: dict[str, list[str]]) -> dict[str, Any]:
        """The token endpoint: a JWT-bearer assertion signed by the key → an access token."""
        if form.get("grant_type", [""])[0] != JWT_BEARER:
            raise _oauth_error("unsupported_grant_type", "Unsupported grant type")
        assertion = form.get("assertion", [""])[0]
        try:
            claims = jwt.decode(
                assertion, certs=self.public_pem, audience=[GOOGLE_TOKEN_AUDIENCE, self.token_uri]
            )
        except (ValueError, auth_exceptions.GoogleAuthError) as exc:
            raise _oauth_error("invalid_grant", f"Invalid JWT Signature. ({exc})") from None
        if claims.get("iss") != self.email or self.revoked:
            raise _oauth_error("invalid_grant", "Invalid grant: account not found")
        token = "ya29.double-" + secrets.token_urlsafe(24)
        with self._lock:
            self._tokens[token] = time.time() + 3600
        return {"access_token": token, "expires_in": 3599, "token_type": "Bearer"}

    def check(self, header: str) -> str:
        """The caller's email, or a 401 ``UNAUTHENTICATED`` as Google answers it."""
        token = header.removeprefix("Bearer ").strip() if header.startswith("Bearer ") else ""
        if not token:
            raise ApiError(
                401,
                "UNAUTHENTICATED",
                "Request is missing required authentication credential. Expected OAuth 2 "
                "access token, login cookie or other valid authentication credential.",
            )
        if self.access_token_valid(token):
            return self.email
        try:
            claims = jwt.decode(token, certs=self.public_pem, verify=True, audience=None)
        except (ValueError, auth_exceptions.GoogleAuthError):
            claims = {}
        if claims.get("iss") == self.email and not self.revoked:
            return self.email
        raise ApiError(401, "UNAUTHENTICATED", "Request had invalid authentication credentials.")

    def access_token_valid(self, token: str) -> bool:
        with self._lock:
            expires = self._tokens.get(token, 0.0)
        return expires > time.time() and not self.revoked


class _OAuthError(Exception):
    def __init__(self, body: dict[str, str]) -> None:
        super().__init__(body["error"])
        self.body = body


def _oauth_error(error: str, description: str) -> _OAuthError:
    """RFC 6749 §5.2 error of the token endpoint (HTTP 400)."""
    return _OAuthError({"error": error, "error_description": description})


@dataclass
class Hooks:
    auth: Auth
    handle: Callable[[str, dict[str, str], dict[str, Any], str], dict[str, Any]]
    """(rpc, path params, JSON body, caller) → response resource."""
    token_review: Callable[[str, dict[str, Any]], dict[str, Any]]
    record: Callable[[str, dict[str, str]], None]


def serve(hooks: Hooks) -> ThreadingHTTPServer:
    """Start the server on a free loopback port in a daemon thread."""

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

        def _send(self, status: int, payload: dict[str, Any]) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=UTF-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _serve(self, method: str) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            split = urlsplit(self.path)
            if method == "POST" and split.path == TOKEN_PATH:
                try:
                    self._send(200, hooks.auth.grant(parse_qs(body.decode())))
                except _OAuthError as exc:
                    self._send(400, exc.body)
                return
            if method == "POST" and split.path.startswith(TOKEN_REVIEW_PATH):
                sandbox = split.path.removeprefix(TOKEN_REVIEW_PATH)
                self._send(200, hooks.token_review(sandbox, json.loads(body or b"{}")))
                return
            try:
                caller = hooks.auth.check(self.headers.get("Authorization", ""))
                for r in ROUTES:
                    m = r.pattern.match(split.path)
                    if r.method == method and m:
                        params = {k: v for k, v in m.groupdict().items() if v is not None}
                        hooks.record(r.rpc, params)
                        payload = json.loads(body) if body else {}
                        self._send(200, hooks.handle(r.rpc, params, payload, caller))
                        return
                raise ApiError(404, "NOT_FOUND", f"No route for {method} {split.path}")
            except ApiError as exc:
                self._send(exc.code, exc.body())
            except Exception as exc:  # a bug of the double: Google's 500
                self._send(500, ApiError(500, "INTERNAL", f"{type(exc).__name__}: {exc}").body())

    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server

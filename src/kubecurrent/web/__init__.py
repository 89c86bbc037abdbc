"""The web dashboard (``kubecurrent serve``): the fleet, each cluster and its plan, in a browser.

A Starlette application over the same library as the CLI (collect → analyze → plan), rendered on
the server with Jinja2 templates, one stylesheet and one small script. Map of the package:

- ``_auth``: ``Role``, ``User``, the ``Authenticator`` protocol, ``UsersFile`` (hashed passwords),
  ``Tokens`` (bearer tokens from the environment), ``hash_password``;
- ``_session``: signed, expiring session cookies with a CSRF token each;
- ``_oidc`` (single sign-on: the code flow with PKCE, ``OidcLogin``), ``_oidc_tokens`` (ID-token
  checks, JWKS rotation), ``_oidc_config`` (``OidcSettings``, the roles mapping);
- ``_guard``: ``guard(role)``, the one place that authenticates, checks CSRF and checks roles;
- ``_fleet``: ``FleetState``, background collection and judging; ``_views``: page models;
- ``_pages``, ``_api``, ``_login``: the handlers; ``_headers``: security headers;
- ``_registry``: ``EXTENSIONS``, where the rollout pages (Upgrade, History) plug in;
- ``_rollout_pages`` (the Upgrade and History pages, their API and live progress),
  ``_rollouts`` (driver threads over ``kubecurrent.rollout``), ``_upgrade_form`` (the start
  form and the production confirmation), ``_sse`` (server-sent events);
- ``_server``: ``--listen`` parsing, the exposure rule, binding and uvicorn.
"""

from kubecurrent.web._app import create_app
from kubecurrent.web._audit import WebAudit
from kubecurrent.web._auth import (
    EVERY_CLUSTER,
    Authenticator,
    Authenticators,
    ClusterScope,
    Role,
    Tokens,
    User,
    UsersFile,
    hash_password,
)
from kubecurrent.web._context import WebContext
from kubecurrent.web._fleet import FleetState, live_collector, saved_collector
from kubecurrent.web._guard import guard
from kubecurrent.web._members import MemberFleet
from kubecurrent.web._oidc import OIDC_SECRET_ENV, OidcLogin, actor_name
from kubecurrent.web._oidc_config import OidcSettings, RolesMapping
from kubecurrent.web._oidc_tokens import Claims, IdTokens, Refusal, TokenRefused
from kubecurrent.web._registry import EXTENSIONS, Extension, NavEntry
from kubecurrent.web._rollout_pages import rollout_extension
from kubecurrent.web._server import (
    bind,
    check_exposure,
    parse_listen,
    serve,
    server_config,
    trusted_proxies,
)
from kubecurrent.web._session import Sessions
from kubecurrent.web._throttle import Throttle

if rollout_extension not in EXTENSIONS:
    EXTENSIONS.append(rollout_extension)

__all__ = [
    "EVERY_CLUSTER",
    "EXTENSIONS",
    "OIDC_SECRET_ENV",
    "Authenticator",
    "Authenticators",
    "Claims",
    "ClusterScope",
    "Extension",
    "FleetState",
    "IdTokens",
    "MemberFleet",
    "NavEntry",
    "OidcLogin",
    "OidcSettings",
    "Refusal",
    "Role",
    "RolesMapping",
    "Sessions",
    "Throttle",
    "TokenRefused",
    "Tokens",
    "User",
    "UsersFile",
    "WebAudit",
    "WebContext",
    "actor_name",
    "bind",
    "check_exposure",
    "create_app",
    "guard",
    "hash_password",
    "live_collector",
    "parse_listen",
    "rollout_extension",
    "saved_collector",
    "serve",
    "server_config",
    "trusted_proxies",
]

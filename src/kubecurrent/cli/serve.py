"""``kubecurrent serve``: the web dashboard over the fleet (see docs/dashboard.md).

Credentials: ``--users FILE`` (hashed passwords) and/or the environment variables
``KUBECURRENT_SERVE_OPERATOR_TOKEN`` and ``KUBECURRENT_SERVE_VIEWER_TOKEN`` (bearer tokens; never
flags, so they never show in ``ps``). ``KUBECURRENT_SERVE_SESSION_KEY`` (32+ characters) keeps
sessions valid across restarts; without it every start makes a new random key. ``--oidc FILE``
adds single sign-on (OpenID Connect, roles from a claim; see docs/dashboard.md).
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import secrets
from pathlib import Path
from typing import Any

import click

from kubecurrent.catalog import extra_from_env, load_catalog
from kubecurrent.cli._app import GlobalOptions, err_console, interruptible
from kubecurrent.cli._clusters import DISCOVER_KEYS, Selection, discover_options, targets
from kubecurrent.cli._logging import log_for_service
from kubecurrent.cli._options import global_flags
from kubecurrent.cli._rollout_options import runner_flags
from kubecurrent.cli._state import open_state, state_url
from kubecurrent.collect.cluster import ClusterTarget, CollectOptions
from kubecurrent.collect.fleet_spec import load_inventory_dir
from kubecurrent.errors import UsageError
from kubecurrent.rollout import ClusterRef
from kubecurrent.runner import RecordedRunners
from kubecurrent.web import (
    OIDC_SECRET_ENV,
    Authenticator,
    Authenticators,
    FleetState,
    MemberFleet,
    OidcLogin,
    OidcSettings,
    Role,
    Sessions,
    Tokens,
    UsersFile,
    WebAudit,
    WebContext,
    bind,
    check_exposure,
    create_app,
    live_collector,
    parse_listen,
    saved_collector,
    serve,
    trusted_proxies,
)
from kubecurrent.web import hash_password as make_hash

TOKEN_ENV = {
    Role.OPERATOR: "KUBECURRENT_SERVE_OPERATOR_TOKEN",
    Role.VIEWER: "KUBECURRENT_SERVE_VIEWER_TOKEN",
}
SESSION_KEY_ENV = "KUBECURRENT_SERVE_SESSION_KEY"
DEFAULT_AUDIT = Path("~/.local/state/kubecurrent/audit.jsonl")


def _discover(f: Any) -> Any:
    for option in reversed(discover_options()):
        f = option(f)
    return f


@click.command("serve")
@global_flags
@click.option("--listen", default="127.0.0.1:8080", show_default=True, help="HOST:PORT.")
@click.option(
    "--fleet",
    type=click.Path(dir_okay=False, exists=True),
    help="Fleet file naming the clusters (see docs/cluster-scan.md) [default: every "
    "kubeconfig context].",
)
@click.option(
    "--inventory",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    help="Serve saved snapshots (`kubecurrent inventory --save DIR`) instead of live clusters.",
)
@_discover
@click.option("--users", type=click.Path(dir_okay=False, path_type=Path), help="Users file (YAML).")
@click.option(
    "--oidc",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="KUBECURRENT_SERVE_OIDC",
    help="Single sign-on settings (YAML: issuer, clientId, redirectUri, roles mapping); the "
    f"client secret comes from {OIDC_SECRET_ENV}.",
)
@click.option(
    "--state",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="KUBECURRENT_STATE",
    help="Where `kubecurrent rollout` keeps rollouts (Upgrade and History pages): a state file, "
    "or k8s://CONTEXT/NAMESPACE for the custom resources of a management cluster "
    "[default: ~/.local/state/kubecurrent/rollouts.db].",
)
@click.option(
    "--audit-log",
    type=click.Path(dir_okay=False, path_type=Path),
    help=f"JSON-lines audit file [default: {DEFAULT_AUDIT}].",
)
@click.option(
    "--refresh-interval",
    type=click.FloatRange(min=10),
    default=300.0,
    show_default=True,
    help="Seconds between background collections of the fleet.",
)
@click.option(
    "--session-hours",
    type=click.FloatRange(min=0.05, max=168),
    default=8.0,
    show_default=True,
    help="How long a login lasts.",
)
@click.option(
    "--behind-tls-proxy",
    is_flag=True,
    help="Allow a non-loopback --listen: a TLS-terminating proxy is in front (cookies Secure).",
)
@click.option(
    "--trusted-proxy",
    "proxies",
    multiple=True,
    metavar="ADDR",
    help="Address or network of the TLS proxy in front: its X-Forwarded-For names the client "
    "(audit log, login throttle). Repeatable [default: trust no forwarded header].",
)
@click.option("--hash-password", is_flag=True, help="Print a passwordHash for the users file.")
@functools.partial(runner_flags, today=False)
@click.pass_context
def serve_command(click_ctx: click.Context, /, listen: str, hash_password: bool, **kw: Any) -> None:
    """Serve the web dashboard: the fleet, each cluster's findings, and upgrade plans.

    \b
    Log in with a user of --users FILE, or with a token from KUBECURRENT_SERVE_OPERATOR_TOKEN /
    KUBECURRENT_SERVE_VIEWER_TOKEN (user name left empty); the API (/api/...) takes the tokens
    as `Authorization: Bearer`. Viewers read; operators may also refresh and start, approve,
    pause, resume or abort rollouts (in the --state `kubecurrent rollout` uses). Every
    action is written to the audit log. Only loopback addresses are served unless
    --behind-tls-proxy. Stopping the server pauses the rollouts it drives after their current
    step; `kubecurrent rollout resume ID` or the Resume button continues them.

    The runner flags (--provider, --addon-chart, timeouts, the PromQL gate) are those of
    `kubecurrent rollout start`: rollouts started in the browser are recorded with them.
    Rollouts started elsewhere keep the options they were started with.
    """
    if hash_password:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
        click.echo(make_hash(password))
        return
    host, port = parse_listen(listen)
    check_exposure(host, kw["behind_tls_proxy"])
    proxies = trusted_proxies(kw.pop("proxies"))
    ctx = build_context(click_ctx.ensure_object(GlobalOptions), **kw)
    sock = bind(host, port)
    log_for_service("%(levelname)s: %(message)s")
    err_console().print(
        f"kubecurrent dashboard on http://{listen}/ (Ctrl-C stops)", highlight=False
    )
    interruptible()
    try:
        serve(create_app(ctx), sock, on_exit=ctx.begin_shutdown, proxies=proxies)
    except KeyboardInterrupt:
        pass
    finally:
        sock.close()


def build_context(opts: GlobalOptions, **kw: Any) -> WebContext:
    catalog = load_catalog([*extra_from_env(), *map(Path, kw["extra"])])
    audit = (kw["audit_log"] or DEFAULT_AUDIT).expanduser()
    store = open_state(
        kw["state"], create=True, kubeconfig=Path(opts.kubeconfig) if opts.kubeconfig else None
    )
    found = _targets(opts, kw["fleet"], kw["inventory"], _discovery(kw), state_url(kw["state"]))
    live = found is not None
    collector = (
        live_collector(found, catalog, CollectOptions(), CONCURRENCY)
        if found is not None
        else saved_collector(
            load_inventory_dir(kw["inventory"], catalog) if kw["inventory"] else ()
        )
    )
    refs = tuple(
        ClusterRef(t.name, t.kubeconfig, t.context, dict(t.labels), t.timeout, t.cloud)
        for t in found or ()
    )
    source = _fleet_source(kw, live)
    from kubecurrent.kubestate import KubeStore  # only a management cluster's store has members

    if isinstance(store, KubeStore) and not live and not kw["inventory"]:
        member_fleet = MemberFleet(store)  # the controller drives: no runners here
        collector = member_fleet.collector(catalog, CollectOptions(), CONCURRENCY)
        refs, source = member_fleet.refs(), f"MemberClusters of {store.namespace}"
    web_audit = WebAudit(audit)
    members = _authenticators(kw["users"])
    if kw.get("oidc"):
        members.insert(0, _single_sign_on(kw["oidc"], web_audit))
    return WebContext(
        catalog=catalog,
        fleet=FleetState(catalog, collector),
        auth=Authenticators(members),
        sessions=Sessions(_session_key(), ttl=int(kw["session_hours"] * 3600)),
        audit=web_audit,
        refresh_interval=kw["refresh_interval"],
        secure_cookies=kw["behind_tls_proxy"],
        sso=bool(kw.get("oidc")),
        store=store,
        runners=RecordedRunners.checked(kw) if live else None,
        cluster_refs=refs,
        fleet_source=source,
        controller_drives=bool(refs) and not live and isinstance(store, KubeStore),
        today=dt.date.today,
    )


CONCURRENCY = 8


def _fleet_source(kw: dict[str, Any], live: bool) -> str:
    """What the clusters came from, recorded with each rollout started here."""
    if kw["fleet"]:
        return str(kw["fleet"])
    if kw.get("discover"):
        return f"discovery {kw['discover']}"
    return "kubeconfig contexts" if live else "no live clusters"


def _discovery(kw: dict[str, Any]) -> dict[str, Any]:
    return {k: kw.get(k) for k in DISCOVER_KEYS}


def _targets(
    opts: GlobalOptions,
    fleet: str | None,
    inventory: Path | None,
    discovery: dict[str, Any] | None = None,
    management: str | None = None,
) -> list[ClusterTarget] | None:
    """The live clusters to collect (and to upgrade); None when serving saved snapshots, or
    when a dashboard on a management cluster's store (``management``, a ``k8s://`` URL) is
    given no clusters (no --fleet, --discover or --context): its fleet is then the
    namespace's MemberClusters, and the controller drives the rollouts."""
    found = discovery or {}
    if fleet and inventory:
        raise UsageError("give --fleet or --inventory, not both", hint="pick one source")
    if inventory:
        return None
    explicit = fleet or found.get("discover") or opts.context
    if management and not explicit:
        return None
    sel = Selection(
        discover=found.get("discover"),
        regions=found.get("regions"),
        all_regions=bool(found.get("all_regions")),
        profile=found.get("profile"),
        projects=found.get("projects"),
        subscriptions=found.get("subscriptions"),
        contexts=(opts.context,) if opts.context else (),
        all_contexts=not opts.context and not fleet and not found.get("discover"),
        fleet=fleet,
        pool_label=None,
        no_secrets=False,
        helm_all_revisions=False,
        no_metrics=False,
        audit_log=None,
        timeout=120.0,
        concurrency=CONCURRENCY,
    )
    return targets(sel, opts)


def _authenticators(users: Path | None) -> list[Authenticator]:
    found: list[Authenticator] = []
    if users is not None:
        found.append(UsersFile.load(users))
    tokens = {role: os.environ[env] for role, env in TOKEN_ENV.items() if os.environ.get(env)}
    if tokens:
        found.append(Tokens(tokens))
    return found


def _single_sign_on(path: Path, audit: WebAudit) -> OidcLogin:
    """Single sign-on from the settings file; provider problems stop the start here."""
    login = OidcLogin.connect(
        OidcSettings.load(path), str(path), os.environ.get(OIDC_SECRET_ENV) or None
    )

    def refused(action: str, exc: Exception) -> None:
        audit.write(None, action, "denied", detail=str(exc))

    login.on_refusal = refused
    return login


def _session_key() -> bytes:
    given = os.environ.get(SESSION_KEY_ENV, "")
    if given and len(given) < 32:
        raise UsageError(
            f"{SESSION_KEY_ENV} is shorter than 32 characters",
            hint="make one with `python3 -c 'import secrets; print(secrets.token_urlsafe(32))'`",
        )
    return given.encode() if given else secrets.token_bytes(32)

"""``kubecurrent rollout``: upgrade a fleet in waves, with approvals, windows and crash-safe resume.

Exit codes of ``start``, ``resume`` and ``approve``: 0 the rollout is done with every cluster at
the target; 1 it is done but some clusters failed within their wave's failure budget, or an
error; 3 it stopped for a person (an approval gate, a pause); 4 it halted (a wave's failure
budget was exceeded) or was aborted; 2 bad usage. State lives in one SQLite file (``--state``, also
``KUBECURRENT_STATE``; default ``~/.local/state/kubecurrent/rollouts.db``).
"""

from __future__ import annotations

import datetime as dt
import getpass
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

import click

from kubecurrent.catalog import extra_from_env, load_catalog
from kubecurrent.cli._app import GlobalOptions, err_console, output_option
from kubecurrent.cli._clusters import Selection, discover_options, discovered
from kubecurrent.cli._options import KUBECONFIG
from kubecurrent.cli._output import console, emit, simple_table
from kubecurrent.cli._rehearsals import check_rehearsals, record_rehearsals, rehearsal_options
from kubecurrent.cli._rollout_options import given, runner_flags
from kubecurrent.cli._state import open_state
from kubecurrent.collect.cluster import load_fleet_file
from kubecurrent.errors import KubecurrentError, UsageError
from kubecurrent.execute import Clock, redact_url
from kubecurrent.notify import Dispatcher
from kubecurrent.notify import check as check_notify
from kubecurrent.plan import resolve_target
from kubecurrent.rollout import (
    ClusterRef,
    DriveOutcome,
    Engine,
    Health,
    RolloutStore,
    RunnerSettings,
    abort,
    approve,
    change_runner,
    create,
    default_strategy,
    describe_runner,
    load_strategy,
    pause,
    prepare_resume,
    render_html,
    render_markdown,
    runner_options,
    snapshot,
    summaries,
)
from kubecurrent.rollout import Member as StrategyMember
from kubecurrent.runner import (
    RunSettings,
    SandboxAwareRun,
    from_values,
    in_force,
    run_settings,
)
from kubecurrent.textfile import write_atomic

NOTIFY_FLUSH = 30.0
"""Seconds a command waits at exit for notifications still queued (retries included)."""
EXIT = {
    DriveOutcome.DONE: 0,
    DriveOutcome.DONE_WITH_FAILURES: 1,
    DriveOutcome.WAITING_APPROVAL: 3,
    DriveOutcome.PAUSED: 3,
    DriveOutcome.HALTED: 4,
    DriveOutcome.ABORTED: 4,
}
"""The exit code of ``start``, ``resume`` and ``approve`` for each way a drive ends."""

STATE = click.option(
    "--state",
    "state_path",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="KUBECURRENT_STATE",
    help="Rollout state file [default: ~/.local/state/kubecurrent/rollouts.db].",
)
ACTOR = click.option(
    "--as",
    "actor",
    envvar="KUBECURRENT_ACTOR",
    help="Name recorded as the actor in the journal and audit trail [default: the OS user].",
)


def _store(path: Path | None, *, create: bool = False) -> RolloutStore:
    """The state file (only ``rollout start`` creates one), or the management cluster that
    ``--state k8s://CONTEXT/NAMESPACE`` names (docs/controller.md), reached through the global
    ``--kubeconfig`` when it is given."""
    click_ctx = click.get_current_context(silent=True)
    opts = click_ctx.find_object(GlobalOptions) if click_ctx is not None else None
    kubeconfig = Path(opts.kubeconfig) if opts is not None and opts.kubeconfig else None
    return open_state(path, create=create, kubeconfig=kubeconfig)


def _actor(actor: str | None) -> str:
    return actor or getpass.getuser()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _runner_options(f: Callable[..., Any]) -> Callable[..., Any]:
    return runner_flags(f, today=True)


def _engine(store: RolloutStore, actor: str, settings: RunnerSettings) -> Engine:
    shared = _settings(settings)
    return Engine(
        store=store,
        runners=lambda ref: SandboxAwareRun(ref, shared),
        actor=actor,
        clock=Clock(),
        tell=shared.tell if callable(shared.tell) else lambda _m: None,
        poll=settings.poll,
    )


def _recorded_engine(
    ctx: click.Context, store: RolloutStore, rid: str, actor: str, values: dict[str, Any]
) -> Engine:
    """An engine running with the settings the rollout was started with; options given again
    here replace the recorded ones (journalled once the new values are known to be good)."""
    settings = in_force(runner_options(store, rid), values, given(ctx))
    engine = _engine(store, actor, settings)  # bad flags stop before anything is recorded
    changes = change_runner(store, rid, settings, actor, _now())
    if changes:
        flags = {"extra": "catalog-extra"}
        shown = ", ".join(f"--{flags.get(k, k.replace('_', '-'))}" for k in changes)
        err_console().print(f"rollout {rid}: recorded new runner options ({shown})")
    return engine


def _settings(settings: RunnerSettings) -> RunSettings:
    """What every cluster's runner shares (bad flags stop here)."""
    console = err_console()

    def tell(message: str) -> None:
        console.print(message, highlight=False, markup=False)

    return run_settings(settings, tell)


def _preview(refs: list[ClusterRef], target: str, settings: RunSettings) -> list[dict[str, Any]]:
    """Each cluster's plan now, or why it cannot be read (a dry run changes nothing)."""
    out = []
    for ref in refs:
        run = SandboxAwareRun(ref, settings)
        try:
            plan = run.plan(run.inventory(), target)
        except KubecurrentError as exc:
            out.append(
                {"cluster": ref.name, "status": "unreachable", "path": exc.message, "steps": 0}
            )
            continue
        path = " → ".join(plan.path()) if plan.status != "blocked" else "; ".join(plan.reasons)
        out.append(
            {"cluster": ref.name, "status": plan.status, "path": path, "steps": len(plan.steps)}
        )
    return out


def _resume(engine: Engine, rid: str, retry_failed: bool = False) -> None:
    """Clear a pause (and, when asked, retry failed clusters), then drive on."""
    prepare_resume(engine.store, rid, engine.actor, _now(), retry_failed)
    _drive(engine, rid)


def _drive(engine: Engine, rid: str) -> None:
    """Drive until done or stopped; the first Ctrl-C pauses after the current step."""
    asked = {"n": 0}

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        asked["n"] += 1
        if asked["n"] > 1:
            raise KeyboardInterrupt
        pause(engine.store, rid, engine.actor, _now())
        err_console().print(
            f"pausing {rid} after the current step (again to stop at once; "
            f"`kubecurrent rollout resume {rid}` continues)"
        )

    dispatcher = Dispatcher(engine.store)
    engine.events = dispatcher.sink(rid)
    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        outcome = engine.drive(rid)
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        dispatcher.close(NOTIFY_FLUSH if asked["n"] < 2 else 0.0)  # a 2nd Ctrl-C: at once
    shown = "done" if outcome is DriveOutcome.DONE_WITH_FAILURES else outcome
    click.echo(f"rollout {rid}: {shown}")
    sys.exit(EXIT[outcome])


def _health(health: Health | None) -> str:
    if health is None:
        return ""
    where = redact_url(health.prometheus)
    return f"{len(health.queries)} on {where} ({health.timeout.total_seconds():g}s)"


@click.group()
def rollout() -> None:
    """Upgrade a fleet in waves: canaries, soak, approvals, windows, failure budgets.

    Every transition is journalled in a SQLite state file, so a rollout stopped at any moment
    (even killed) continues with `kubecurrent rollout resume ID`.
    """


def _discover_options(f: Callable[..., Any]) -> Callable[..., Any]:
    for option in reversed(discover_options()):
        f = option(f)
    return f


@rollout.command()
@click.option(
    "--fleet",
    "fleet_file",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="Fleet file naming the clusters (see docs/cluster-scan.md).",
)
@_discover_options
@click.option(
    "--target",
    default="latest-supported",
    show_default=True,
    help="X.Y, X.Y.Z, latest or latest-supported.",
)
@click.option(
    "--strategy",
    "strategy_file",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="Strategy file (see docs/rollout.md) [default: a canary, then the rest two at a time].",
)
@output_option("table", "json", "yaml")
@KUBECONFIG
@click.option("--dry-run", is_flag=True, help="Show the waves and stop; record nothing.")
@rehearsal_options
@STATE
@ACTOR
@_runner_options
@click.pass_obj
def start(
    opts: GlobalOptions,
    /,
    fleet_file: Path | None,
    target: str,
    strategy_file: Path | None,
    dry_run: bool,
    state_path: Path | None,
    actor: str | None,
    today: dt.datetime | None,
    extra: tuple[str, ...],
    discover: str | None,
    regions: str | None,
    all_regions: bool,
    profile: str | None,
    projects: str | None,
    subscriptions: str | None,
    rehearsals: tuple[Path, ...],
    require_rehearsal: bool,
    **flags: Any,
) -> None:
    """Start a rollout of the fleet to --target and drive it.

    Clusters: --fleet FILE, and/or the clusters found through cloud APIs with --discover
    eks,gke,aks: EKS [--regions R,… | --all-regions] [--profile P], GKE --projects P,…, AKS
    --subscriptions S,….

    The runner options (provider, timeouts, --addon-chart, PromQL gate, …) are recorded with the
    rollout: `resume` and `approve` use them unless given again.
    """
    values = {"today": today, "extra": extra, **flags}
    if fleet_file is None and discover is None:
        raise UsageError(
            "name the clusters to roll out", hint="give --fleet FILE or --discover eks|gke|aks"
        )
    kubeconfig = Path(opts.kubeconfig) if opts.kubeconfig else None
    targets = load_fleet_file(fleet_file, kubeconfig) if fleet_file else []
    found = Selection(
        contexts=(),
        all_contexts=False,
        fleet=None,
        pool_label=None,
        no_secrets=False,
        helm_all_revisions=False,
        no_metrics=False,
        audit_log=None,
        timeout=120.0,
        concurrency=1,
        discover=discover,
        regions=regions,
        all_regions=all_regions,
        profile=profile,
        projects=projects,
        subscriptions=subscriptions,
    )
    targets += discovered(found, targets)
    if not targets:
        raise UsageError(
            "no cluster found to roll out",
            hint="check --fleet / --regions / --projects / --subscriptions",
        )
    refs = [
        ClusterRef(t.name, t.kubeconfig, t.context, dict(t.labels), t.timeout, t.cloud)
        for t in targets
    ]
    catalog = load_catalog([*extra_from_env(), *map(Path, extra)])
    day = today.date() if today else dt.date.today()
    version = str(resolve_target(catalog, target, day))
    evidence = check_rehearsals(rehearsals, require_rehearsal, [r.name for r in refs], version)
    members = [StrategyMember(r.name, r.labels) for r in refs]
    strategy = load_strategy(strategy_file) if strategy_file else default_strategy(members)
    check_notify(strategy.notify)  # missing notification secrets stop here, dry run or not
    if dry_run:
        from kubecurrent.rollout import assign_waves

        waves = assign_waves(strategy, members)
        rows = [
            [
                w.name,
                ", ".join(names),
                w.concurrency,
                str(w.soak),
                {0: "", 1: "yes"}.get(w.approvals_needed, f"{w.approvals_needed} people"),
                w.failure_budget.describe(),
                _health(strategy.health_of(i)),
            ]
            for i, (w, names) in enumerate(zip(strategy.waves, waves, strict=True))
        ]
        click.echo(
            f"rollout of {len(refs)} clusters to {version} (dry run: nothing recorded)", err=True
        )
        plans = _preview(refs, version, _settings(from_values(values)))
        emit(
            opts.output,
            {
                "target": version,
                "waves": dict(zip([w.name for w in strategy.waves], waves, strict=True)),
                "plans": plans,
            },
            lambda: simple_table(
                ["wave", "clusters", "concurrency", "soak", "approval", "failure budget", "PromQL"],
                rows,
            ),
        )
        if opts.output not in ("json", "yaml"):
            console().print(
                simple_table(
                    ["cluster", "plan", "path / reason", "steps"],
                    [[p["cluster"], p["status"], p["path"], p["steps"]] for p in plans],
                    title="each cluster's plan as it stands now (re-planned when it starts)",
                )
            )
        return
    store = _store(state_path, create=True)
    who = _actor(actor)
    settings = from_values(values)
    engine = _engine(store, who, settings)  # bad flags stop before anything is recorded
    rid = create(
        store,
        clusters=refs,
        target=version,
        strategy=strategy,
        fleet=str(fleet_file)
        if fleet_file
        else f"discover {discover}: "
        + (", ".join(x for x in (regions, projects, subscriptions) if x) or "default"),
        actor=who,
        now=_now(),
        runner=settings,
    )
    record_rehearsals(store, rid, evidence, who, _now())
    click.echo(f"rollout {rid} created: {len(refs)} clusters to {version}")
    _drive(engine, rid)


@rollout.command()
@click.argument("rollout_id")
@click.option("--retry-failed", is_flag=True, help="After a halt, try the failed clusters again.")
@STATE
@ACTOR
@_runner_options
def resume(
    rollout_id: str,
    retry_failed: bool,
    state_path: Path | None,
    actor: str | None,
    today: dt.datetime | None,
    extra: tuple[str, ...],
    **flags: Any,
) -> None:
    """Continue a paused, stopped or crashed rollout exactly where it stopped.

    Runs with the options the rollout was started with; any given here replace them.
    """
    store = _store(state_path)
    who = _actor(actor)
    values = {"today": today, "extra": extra, **flags}
    engine = _recorded_engine(click.get_current_context(), store, rollout_id, who, values)
    _resume(engine, rollout_id, retry_failed)


@rollout.command(name="approve")
@click.argument("rollout_id")
@click.option("--wave", help="The wave to approve [default: the one waiting].")
@click.option("--note", default="", help="Why (kept in the journal and the report).")
@click.option("--no-resume", is_flag=True, help="Only record the approval; drive later.")
@STATE
@ACTOR
@_runner_options
def approve_cmd(
    rollout_id: str,
    wave: str | None,
    note: str,
    no_resume: bool,
    state_path: Path | None,
    actor: str | None,
    today: dt.datetime | None,
    extra: tuple[str, ...],
    **flags: Any,
) -> None:
    """Approve a gated wave, then drive the rollout on (unless --no-resume).

    Runs with the options the rollout was started with; any given here replace them.
    """
    store = _store(state_path)
    who = _actor(actor)
    values = {"today": today, "extra": extra, **flags}
    engine = _recorded_engine(click.get_current_context(), store, rollout_id, who, values)
    approval = approve(store, rollout_id, wave, who, _now(), note)
    click.echo(f"{rollout_id}: {approval.describe()}")
    if approval.complete and not no_resume:
        _resume(engine, rollout_id)


@rollout.command(name="pause")
@click.argument("rollout_id")
@STATE
@ACTOR
def pause_cmd(rollout_id: str, state_path: Path | None, actor: str | None) -> None:
    """Stop after the steps now running; `resume` continues."""
    click.echo(
        f"rollout {rollout_id}: {pause(_store(state_path), rollout_id, _actor(actor), _now())}"
    )


@rollout.command(name="abort")
@click.argument("rollout_id")
@STATE
@ACTOR
def abort_cmd(rollout_id: str, state_path: Path | None, actor: str | None) -> None:
    """Stop for good after the steps now running; clusters stay as they are then."""
    click.echo(
        f"rollout {rollout_id}: {abort(_store(state_path), rollout_id, _actor(actor), _now())}"
    )


@rollout.command()
@click.argument("rollout_id", required=False)
@STATE
@output_option("table", "json", "yaml")
@click.pass_obj
def status(opts: GlobalOptions, rollout_id: str | None, state_path: Path | None) -> None:
    """Waves, clusters and steps of a rollout [default: the newest]."""
    store = _store(state_path)
    snap = snapshot(store, rollout_id or store.latest())

    def table() -> Any:
        rows = []
        for w in snap["waves"]:
            for c in w["clusters"]:
                steps = c["steps"]
                done = sum(1 for s in steps if s["state"] == "done")
                rows.append(
                    [
                        w["name"],
                        w["state"],
                        c["name"],
                        c.get("provider") or "-",
                        c["state"],
                        c["from"] or "",
                        c["final"] or "",
                        f"{done}/{len(steps)}",
                        c["detail"],
                    ]
                )
        title = f"{snap['id']} → {snap['target']}: {snap['state']}" + (
            f" ({snap['detail']})" if snap["detail"] else ""
        )
        shown = simple_table(
            [
                "wave",
                "wave state",
                "cluster",
                "provider",
                "state",
                "from",
                "now",
                "steps",
                "detail",
            ],
            rows,
            title=title,
        )
        shown.caption = f"run with: {describe_runner(snap.get('runner') or {})}"
        return shown

    emit(opts.output, snap, table)


@rollout.command(name="list")
@STATE
@output_option("table", "json", "yaml")
@click.pass_obj
def list_cmd(opts: GlobalOptions, state_path: Path | None) -> None:
    """Every rollout in the state file, newest first."""
    found = summaries(_store(state_path))
    rows = [
        [
            r["id"],
            r["target"],
            r["state"],
            r["created"],
            r["actor"],
            ", ".join(f"{k} {v}" for k, v in sorted(r["clusters"].items())),
        ]
        for r in found
    ]
    emit(
        opts.output,
        found,
        lambda: simple_table(["id", "target", "state", "created", "by", "clusters"], rows),
    )


@rollout.command()
@click.argument("rollout_id", required=False)
@STATE
@output_option("table", "json", "yaml")
@click.pass_obj
def history(opts: GlobalOptions, rollout_id: str | None, state_path: Path | None) -> None:
    """The journal: every transition of the rollout, its waves, clusters and steps."""
    store = _store(state_path)
    entries = [e.to_json() for e in store.journal(rollout_id or store.latest())]
    rows = [
        [
            str(e["time"]),
            str(e["actor"]),
            str(e["entity"]),
            str(e["ref"]),
            f"{e['from_state'] or ''} → {e['to_state']}" if e["entity"] != "note" else "",
            str(e["detail"]),
        ]
        for e in entries
    ]
    emit(
        opts.output,
        entries,
        lambda: simple_table(["time", "actor", "entity", "ref", "change", "detail"], rows),
    )


@rollout.command()
@click.argument("rollout_id", required=False)
@STATE
@click.option(
    "-o",
    "--output",
    "fmt",
    type=click.Choice(["markdown", "html"]),
    default="markdown",
    show_default=True,
    help="Report format.",
)
@click.option(
    "--out",
    "out_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the report to this file instead of stdout.",
)
def report(
    rollout_id: str | None, state_path: Path | None, fmt: str, out_file: Path | None
) -> None:
    """The change record: plan, approvals, timings, findings before and after, audit trail."""
    store = _store(state_path)
    rid = rollout_id or store.latest()
    snap = snapshot(store, rid)
    journal, audit = store.journal(rid), store.audit_records(rid)
    text = (render_html if fmt == "html" else render_markdown)(snap, journal, audit)
    if out_file is None:
        click.echo(text, nl=False)
        return
    out_file.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(out_file, text)
    click.echo(f"wrote {out_file}")

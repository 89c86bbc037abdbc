"""``kubecurrent controller``: one replica of the controller in a management cluster
(docs/controller.md). Replicas share clusters through shard Leases in ``--namespace``; the lead
replica records the FleetUpgrades people apply; ``--listen`` serves health and metrics."""

from __future__ import annotations

import socket
import threading
from pathlib import Path

import click

from kubecurrent.cli._app import GlobalOptions, interruptible
from kubecurrent.cli._logging import log_for_service
from kubecurrent.cli._options import global_flags
from kubecurrent.errors import UsageError


@click.command("controller")
@global_flags
@click.option(
    "--namespace", required=True, help="Where the FleetUpgrades, MemberClusters and Leases live."
)
@click.option(
    "--identity",
    default=socket.gethostname,
    show_default="the host name",
    help="This replica's name in the Leases (the pod name).",
)
@click.option(
    "--shards",
    type=click.IntRange(1, 1000),
    default=16,
    show_default=True,
    help="Shards the clusters are hashed into; the same on every replica.",
)
@click.option(
    "--lease-duration",
    type=click.IntRange(3, 600),
    default=15,
    show_default=True,
    help="Seconds a silent replica keeps its Leases.",
)
@click.option(
    "--interval",
    type=click.FloatRange(0.2, 600),
    default=5.0,
    show_default=True,
    help="Seconds between rounds (a FleetUpgrade change wakes it at once).",
)
@click.option(
    "--listen",
    default="127.0.0.1:8080",
    show_default=True,
    help="HOST:PORT of /healthz, /readyz and /metrics.",
)
@click.option(
    "--install-crds",
    is_flag=True,
    help="Install or update kubecurrent's CRDs first (needs rights on CRDs).",
)
@click.option(
    "--drive/--no-drive",
    default=True,
    show_default=True,
    help="Upgrade the clusters of recorded rollouts (--no-drive: only record and report).",
)
@click.option(
    "--spread/--no-spread",
    default=True,
    show_default=True,
    help="Each replica runs the clusters of its shards (--no-spread: the lead runs them all).",
)
@click.pass_obj
def controller(
    opts: GlobalOptions,
    namespace: str,
    identity: str,
    shards: int,
    lease_duration: int,
    interval: float,
    listen: str,
    install_crds: bool,
    drive: bool,
    spread: bool,
) -> None:
    """Run a controller replica against the management cluster until stopped."""
    from kubecurrent.controller import (
        Controller,
        Coordinator,
        LeaseSettings,
        SecretRunners,
        serve_health,
    )
    from kubecurrent.kubestate import KubeStore, management_client
    from kubecurrent.kubestate import install_crds as install
    from kubecurrent.runner import RecordedRunners

    host, _, port = listen.rpartition(":")
    if not host or not port.isdigit():
        raise UsageError(f"--listen {listen!r}: not HOST:PORT", hint="e.g. --listen 0.0.0.0:8080")
    log_for_service("%(asctime)s %(name)s %(message)s")
    kubeconfig = Path(opts.kubeconfig) if opts.kubeconfig else None
    client = management_client(kubeconfig, opts.context or "")
    if install_crds:
        install(client, "kubecurrent-controller")
    renew = max(lease_duration / 7.5, 0.4)
    settings = LeaseSettings(
        namespace=namespace,
        shards=shards,
        duration=float(lease_duration),
        renew_every=renew,
        renew_deadline=lease_duration * 2 / 3,
    )
    store = KubeStore(client, namespace, f"k8s://{opts.context or ''}/{namespace}", mirror=True)
    runners = SecretRunners(store, RecordedRunners.checked({})) if drive else None
    coordinator = Coordinator(client, identity, settings)
    replica = Controller(store, coordinator, identity, interval, runners=runners, spread=spread)
    server = serve_health(replica, host, int(port))
    click.echo(
        f"controller {identity}: namespace {namespace}, {shards} shards, serving http://{listen}/metrics",
        err=True,
    )
    interruptible()
    stop = threading.Event()
    try:
        replica.run(stop)
    except KeyboardInterrupt:
        stop.set()
    finally:
        server.shutdown()

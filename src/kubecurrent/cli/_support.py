"""Managed clusters' support phase and cost per month, as ``scan cluster`` prints it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from kubecurrent.analyze.cluster import FleetSupport, fleet_support
from kubecurrent.catalog import Catalog
from kubecurrent.cli._output import console, simple_table
from kubecurrent.collect.cluster import ClusterResult


def _support(results: list[ClusterResult], catalog: Catalog, today: dt.date) -> FleetSupport:
    return fleet_support([r.inventory for r in results if r.inventory], catalog, today)


def support_json(results: list[ClusterResult], catalog: Catalog, today: dt.date) -> Any:
    """The ``support`` key of ``scan cluster -o json``: per cluster and fleet totals."""
    return _support(results, catalog, today).to_json()


def support_table(results: list[ClusterResult], catalog: Catalog, today: dt.date) -> None:
    """One row per managed cluster and a line with the fleet totals (nothing when none)."""
    support = _support(results, catalog, today)
    if not support.clusters:
        return
    money = "{:,.2f}".format
    rows = [
        [
            c.cluster,
            f"{c.provider} {c.minor}",
            c.phase.value,
            str(c.end_of_standard_support),
            str(c.end_of_extended_support),
            "-" if c.usd_per_month is None else money(c.usd_per_month),
            money(c.extra_usd_per_month),
            money(c.exposure_usd_per_month),
        ]
        for c in support.clusters
    ]
    head = ["cluster", "minor", "phase", "standard until", "extended until", "USD/month"]
    out = console()
    out.print(simple_table([*head, "extra now", "exposure"], rows))
    for p in support.by_provider():
        upcoming = f", next change {p.next_date}" if p.next_date else ""
        out.print(
            f"{p.provider}: {p.clusters} clusters ({p.standard} standard, {p.extended} extended, "
            f"{p.ended} ended{upcoming}); {money(p.usd_per_month)} USD per month, exposure "
            f"{money(p.exposure_usd_per_month)}"
        )
    out.print(
        f"managed support on {support.today}: {money(support.usd_per_month)} USD per month, "
        f"{money(support.extra_usd_per_month)} of it for extended support; exposure "
        f"{money(support.exposure_usd_per_month)} USD per month"
    )

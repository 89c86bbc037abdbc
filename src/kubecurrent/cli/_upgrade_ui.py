"""What ``kubecurrent upgrade`` shows and asks on the terminal: PromQL probes for --dry-run,
the --step-by-step question, the report of a run."""

from __future__ import annotations

import click

from kubecurrent.cli._app import err_console
from kubecurrent.cli._output import console, simple_table
from kubecurrent.execute import (
    ExecutionReport,
    Prometheus,
    PromQLCheck,
    RetryableStepError,
    evaluate,
    redact_url,
)
from kubecurrent.model.plan import Step

__all__ = ["ask_step", "print_report", "probe_promql", "tell"]


def tell(message: str) -> None:
    """Progress of a run, on stderr (text, never markup)."""
    err_console().print(message, highlight=False, markup=False)


def probe_promql(checks: tuple[PromQLCheck, ...]) -> None:
    """Evaluate each PromQL query once and say whether it holds now (for --dry-run).

    A query Prometheus rejects, or refused credentials, are errors; an unreachable Prometheus
    is only reported (the gates would retry it).
    """
    for check in checks:
        server = Prometheus(check.prometheus, check.ca)
        try:
            for query in check.queries:
                try:
                    verdict = evaluate(query, server.query(query))
                except RetryableStepError as exc:
                    click.echo(f"PromQL {query!r}: cannot evaluate now: {exc.message}")
                    continue
                now = "holds" if verdict.holds else "does NOT hold"
                click.echo(
                    f"PromQL {query!r} on {redact_url(check.prometheus)}: {now} now: "
                    f"{verdict.summary}"
                )
        finally:
            server.close()


def ask_step(step: Step) -> bool:
    return click.confirm(f"Run step {step.order}: {step.type} {step.target} → {step.to}?")


def print_report(report: ExecutionReport) -> None:
    rows = [
        [
            r.step.order,
            r.step.type,
            r.step.target,
            r.step.to or "",
            r.outcome,
            f"{r.seconds:.0f}s",
            r.detail,
        ]
        for r in report.results
    ]
    title = f"{report.cluster}: {'done' if report.ok else 'stopped'}"
    console().print(
        simple_table(["#", "type", "target", "to", "outcome", "took", "detail"], rows, title=title)
    )
    final = report.final
    if final is not None:
        pools = ", ".join(f"{p.name} {p.kubelet}" for p in final.node_pools)
        addons = ", ".join(f"{a.name} {a.version}" for a in final.addons)
        click.echo(
            f"now: control plane {final.control_plane}; node pools {pools or '-'}; add-ons {addons or '-'}"
        )

"""A self-contained HTML page of a fleet scan: data in, string out.

One file with inline CSS and inline SVG charts (no script, no external assets): fleet currency,
managed clusters' support phase and cost, findings by severity, the add-on × cluster matrix, and
the clusters that were not scanned.
Every value from a cluster or a finding is escaped with ``html.escape``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from html import escape

from kubecurrent.analyze.cluster import SupportCost
from kubecurrent.analyze.report._page import ClusterCurrency, FleetPage, cluster_of
from kubecurrent.analyze.report._rows import object_text
from kubecurrent.analyze.report._svg import bar_chart
from kubecurrent.catalog import SupportPhase
from kubecurrent.model.findings import Finding, Severity

SEVERITIES = (Severity.ERROR, Severity.WARNING, Severity.INFO)
EOL_SOON_DAYS = 90
STYLE = """
body{font:14px/1.45 system-ui,sans-serif;margin:2rem;color:#1d2330;background:#fbfbfd}
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #d5d9e0}
table{border-collapse:collapse;margin:.5rem 0}
th,td{padding:.3rem .6rem;border:1px solid #d5d9e0;text-align:left;vertical-align:top}
th{background:#eef1f5}td.num{text-align:right}
.sev-error,.eol-passed,.no-release{background:#fbd5d5}
.sev-warning,.eol-soon,.unsupported{background:#fdebc8}
.sev-info{background:#dbe8fb}
rect.sev-error{fill:#d64545}rect.sev-warning{fill:#e5a50a}rect.sev-info{fill:#3d7be0}
rect.minor{fill:#5a6b86}svg.chart text{font:12px system-ui,sans-serif;fill:#1d2330}
.charts{display:flex;gap:2rem;flex-wrap:wrap}.muted{color:#667085}
"""


def to_html(page: FleetPage) -> str:
    """The whole page as one string."""
    body = [
        f"<h1>{escape(page.title)}</h1>",
        f'<p class="muted">Generated {page.today.isoformat()}; newest Kubernetes release in '
        f"the catalog: {escape(page.newest)}; {len(page.clusters)} cluster(s) scanned, "
        f"{len(page.not_scanned)} not scanned.</p>",
        _currency(page),
        _support(page),
        _charts(page),
        _findings(page),
        _matrix(page),
        _unreached(page),
    ]
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(page.title)}</title><style>{STYLE}</style></head>"
        f"<body>{''.join(body)}</body></html>\n"
    )


def _table(head: Sequence[str], rows: Iterable[str], css: str = "") -> str:
    cells = "".join(f"<th>{escape(h)}</th>" for h in head)
    klass = f' class="{css}"' if css else ""
    return f"<table{klass}><thead><tr>{cells}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _td(text: object, css: str = "") -> str:
    klass = f' class="{css}"' if css else ""
    return f"<td{klass}>{escape(str(text))}</td>"


def _currency(page: FleetPage) -> str:
    rows = [
        "<tr>"
        + _td(c.name)
        + _td(c.version)
        + _td(c.target)
        + _td(c.behind, "num")
        + _td(_eol_text(c), _eol_class(c))
        + "</tr>"
        for c in page.clusters
    ]
    head = ["cluster", "version", "target", f"minors behind {page.newest}", "end of life"]
    return "<h2>Fleet currency</h2>" + _table(head, rows, "currency")


def _eol_text(c: ClusterCurrency) -> str:
    if c.end_of_life is None or c.days_left is None:
        return "unknown"
    if c.days_left < 0:
        return f"{c.end_of_life.isoformat()} (passed {-c.days_left} days ago)"
    return f"{c.end_of_life.isoformat()} (in {c.days_left} days)"


def _eol_class(c: ClusterCurrency) -> str:
    if c.days_left is None:
        return ""
    if c.days_left < 0:
        return "eol-passed"
    return "eol-soon" if c.days_left <= EOL_SOON_DAYS else ""


def _money(value: object) -> str:
    return "-" if value is None else f"{value:,.2f}"


def _support_row(c: SupportCost) -> str:
    css = {
        SupportPhase.EXTENDED: "unsupported",
        SupportPhase.ENDED: "eol-passed",
    }.get(c.phase, "")
    return (
        "<tr>"
        + _td(c.cluster)
        + _td(f"{c.provider} {c.minor}")
        + _td(c.phase.value, css)
        + _td(c.upgrade_policy.value)
        + _td(c.end_of_standard_support.isoformat())
        + _td(c.end_of_extended_support.isoformat())
        + _td(_money(c.usd_per_month), "num")
        + _td(_money(c.extra_usd_per_month), "num")
        + _td(_money(c.exposure_usd_per_month), "num")
        + "</tr>"
    )


def _support(page: FleetPage) -> str:
    if page.support is None or not page.support.clusters:
        return ""
    s = page.support
    rows = [_support_row(c) for c in s.clusters]
    rows += [
        '<tr class="total">'
        + _td(f"total {p.provider}")
        + _td(f"{p.clusters} clusters")
        + _td(f"{p.standard} standard, {p.extended} extended, {p.ended} ended")
        + "<td></td>"
        + _td(f"next change {p.next_date.isoformat()}" if p.next_date else "")
        + "<td></td>"
        + _td(_money(p.usd_per_month), "num")
        + _td(_money(p.extra_usd_per_month), "num")
        + _td(_money(p.exposure_usd_per_month), "num")
        + "</tr>"
        for p in s.by_provider()
    ]
    rows.append(
        '<tr class="total">'
        + _td("fleet total")
        + "<td></td><td></td><td></td><td></td><td></td>"
        + _td(_money(s.usd_per_month), "num")
        + _td(_money(s.extra_usd_per_month), "num")
        + _td(_money(s.exposure_usd_per_month), "num")
        + "</tr>"
    )
    head = [
        "cluster",
        "provider minor",
        f"phase on {s.today.isoformat()}",
        "upgrade policy",
        "end of standard support",
        "end of extended support",
        "USD per month now",
        "extended-support extra now",
        "extended-support exposure per month",
    ]
    note = (
        '<p class="muted">Control-plane price per cluster-month from the catalog. Exposure: what '
        "extended support adds per month now, or from the end of standard support for clusters "
        "whose upgrade policy keeps them on their minor.</p>"
    )
    return "<h2>Managed support and cost</h2>" + _table(head, rows, "support") + note


def _charts(page: FleetPage) -> str:
    spread = Counter(c.minor for c in page.clusters)
    minors = sorted(spread, key=lambda m: tuple(int(p) for p in m.split(".")))
    charts = [bar_chart("Clusters per Kubernetes minor", [(m, spread[m], "minor") for m in minors])]
    if page.findings is not None:
        per = Counter(f.severity for f in page.findings)
        bars = [(s.value, per[s], f"sev-{s.value}") for s in SEVERITIES]
        charts.append(bar_chart("Findings per severity", bars))
    return f'<h2>Charts</h2><div class="charts">{"".join(charts)}</div>'


def _findings(page: FleetPage) -> str:
    if page.findings is None:
        return (
            '<h2>Findings</h2><p class="muted">Inventory only: run '
            "<code>kubecurrent scan cluster -o html</code> to judge it.</p>"
        )
    return "<h2>Findings by severity</h2>" + _severity_counts(page) + _finding_rows(page.findings)


def _severity_counts(page: FleetPage) -> str:
    per = Counter((cluster_of(f), f.severity) for f in page.findings or ())
    rows = []
    for c in page.clusters:
        counts = "".join(
            _td(per[c.name, s], f"num sev-{s.value}" if per[c.name, s] else "num")
            for s in SEVERITIES
        )
        rows.append(f"<tr>{_td(c.name)}{counts}</tr>")
    return _table(["cluster", *(s.value for s in SEVERITIES)], rows, "severity-counts")


def _finding_rows(findings: Sequence[Finding]) -> str:
    if not findings:
        return "<p>No findings.</p>"
    ordered = sorted(findings, key=lambda f: (SEVERITIES.index(f.severity), cluster_of(f), f.rule))
    rows = [
        f'<tr class="sev-{f.severity.value}">'
        + _td(f.severity.value)
        + _td(cluster_of(f))
        + _td(f.rule)
        + _td(object_text(f))
        + _td(f.source.value)
        + _td(f.message)
        + _td(f.remediation or "-")
        + "</tr>"
        for f in ordered
    ]
    head = ["severity", "cluster", "rule", "object", "evidence", "message", "remedy"]
    return _table(head, rows, "findings")


def _matrix(page: FleetPage) -> str:
    if not page.addons:
        return '<h2>Add-ons</h2><p class="muted">No add-on recognised.</p>'
    names = [c.name for c in page.clusters]
    rows = []
    for addon, cells in page.addons.items():
        tds = []
        for name in names:
            cell = cells.get(name)
            if cell is None:
                tds.append(_td("-", "muted"))
                continue
            css = "no-release" if cell.no_release else "unsupported" if cell.unsupported else ""
            tds.append(_td(cell.version, css))
        rows.append(f"<tr><th>{escape(addon)}</th>{''.join(tds)}</tr>")
    legend = (
        '<p class="muted"><span class="unsupported">amber</span>: this release does not support '
        'the cluster\'s target; <span class="no-release">red</span>: no release in the catalog '
        "does.</p>"
    )
    return "<h2>Add-ons × clusters</h2>" + _table(["add-on", *names], rows, "addons") + legend


def _unreached(page: FleetPage) -> str:
    parts = []
    if page.not_scanned:
        rows = [f"<tr>{_td(n)}{_td(r)}</tr>" for n, r in page.not_scanned]
        parts.append("<h2>Clusters not scanned</h2>" + _table(["cluster", "reason"], rows))
    if page.unchecked:
        rows = [f"<tr>{_td(e.file)}{_td(e.message)}</tr>" for e in page.unchecked]
        parts.append("<h2>Could not check</h2>" + _table(["where", "what and why"], rows))
    return "".join(parts)

"""Inline SVG bar charts for the HTML report: no script, no external assets."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

BAR_HEIGHT = 22
GAP = 8
LABEL_WIDTH = 120
PLOT_WIDTH = 320


def bar_chart(title: str, bars: Sequence[tuple[str, int, str]]) -> str:
    """A horizontal bar chart; each bar is (label, value, CSS class naming its colour)."""
    top = max((value for _, value, _ in bars), default=0) or 1
    height = len(bars) * (BAR_HEIGHT + GAP) + GAP
    width = LABEL_WIDTH + PLOT_WIDTH + 60
    rows = [_bar(i, label, value, css, top) for i, (label, value, css) in enumerate(bars)]
    return (
        f'<svg class="chart" role="img" aria-label="{escape(title)}" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">'
        f"<title>{escape(title)}</title>{''.join(rows)}</svg>"
    )


def _bar(index: int, label: str, value: int, css: str, top: int) -> str:
    y = GAP + index * (BAR_HEIGHT + GAP)
    length = round(PLOT_WIDTH * value / top)
    middle = y + BAR_HEIGHT // 2 + 5
    return (
        f'<text x="{LABEL_WIDTH - 8}" y="{middle}" text-anchor="end">{escape(label)}</text>'
        f'<rect class="{escape(css)}" x="{LABEL_WIDTH}" y="{y}" width="{length}" '
        f'height="{BAR_HEIGHT}" rx="3"/>'
        f'<text x="{LABEL_WIDTH + length + 6}" y="{middle}">{value}</text>'
    )

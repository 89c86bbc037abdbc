"""The HTML kubecurrent writes: one Jinja2 environment, one base layout, one stylesheet.

The scan report, the plan report and a rollout's change record are rendered from the templates in
``templates/`` (each extends ``report.html``, which inlines ``static/style.css`` so the file is
self-contained); the dashboard serves the same stylesheet at ``/static/style.css``.

Every value a template prints is data, never markup: the environment escapes it for HTML
(``autoescape``) after turning control characters into visible escapes (``display.visible``), so a
name holding ``<script>`` or an ESC sequence shows as text. A name the template does not receive is
an error (``StrictUndefined``), not an empty string. Only the stylesheet and what a template
itself renders (macros, the SVG chart) are markup.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from kubecurrent.display import visible

__all__ = ["STATIC", "TEMPLATES", "bar_chart", "environment", "render", "stylesheet"]

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"
STYLESHEET = STATIC / "style.css"


def _shown(value: object) -> object:
    """What ``{{ value }}`` prints before escaping: text with control characters made visible."""
    if isinstance(value, Markup) or not isinstance(value, str):
        return value
    return visible(value)


@cache
def stylesheet() -> Markup:
    """The one stylesheet, for a ``<style>`` element (our own file: trusted markup)."""
    return Markup(STYLESHEET.read_text(encoding="utf-8"))  # noqa: S704 - our own file


@cache
def environment() -> Environment:
    """The environment every report renders with (templates loaded once, then cached)."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=StrictUndefined,
        finalize=_shown,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.globals["stylesheet"] = stylesheet
    return env


def render(name: str, **context: Any) -> str:
    """The template ``name`` (e.g. ``scan.html``) rendered with ``context``."""
    return environment().get_template(name).render(**context)


BAR_HEIGHT = 22
GAP = 8
LABEL_WIDTH = 120
PLOT_WIDTH = 320


@dataclass(frozen=True)
class _Bar:
    label: str
    value: int
    css: str
    y: int
    length: int
    middle: int
    """The baseline of the bar's texts."""


def bar_chart(title: str, bars: Sequence[tuple[str, int, str]]) -> Markup:
    """An inline SVG horizontal bar chart; each bar is (label, value, CSS class of its colour).

    The ``chart.svg`` template draws it (every label escaped there); the result is markup for a
    page to embed as is."""
    top = max((value for _, value, _ in bars), default=0) or 1
    drawn = []
    for i, (label, value, css) in enumerate(bars):
        y = GAP + i * (BAR_HEIGHT + GAP)
        length = round(PLOT_WIDTH * value / top)
        drawn.append(_Bar(label, value, css, y, length, y + BAR_HEIGHT // 2 + 5))
    svg = render(
        "chart.svg",
        title=title,
        bars=drawn,
        width=LABEL_WIDTH + PLOT_WIDTH + 60,
        height=len(bars) * (BAR_HEIGHT + GAP) + GAP,
        label_width=LABEL_WIDTH,
        bar_height=BAR_HEIGHT,
    )
    return Markup(svg.strip())  # noqa: S704 - rendered by an autoescaping template

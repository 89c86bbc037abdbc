"""Inline SVG bar charts for the HTML report and the dashboard: drawn by ``kubecurrent.pages``."""

from __future__ import annotations

from kubecurrent.pages import bar_chart

__all__ = ["bar_chart"]

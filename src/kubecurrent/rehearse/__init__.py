"""Rehearse an upgrade on a twin: the cluster's own objects replayed through every hop on real
API servers (a sandbox that starts at the cluster's version and is upgraded one minor at a time).

Sits beside ``web`` above the sandbox: it uses the sandbox, the collectors and the catalog.
"""

from kubecurrent.rehearse._discovery import ApiResource, Served, discover
from kubecurrent.rehearse._evidence import RehearsalSummary, read_summary
from kubecurrent.rehearse._kube import Kube, Reply
from kubecurrent.rehearse._records import (
    Check,
    CrdStorage,
    Hop,
    NotCopied,
    ObjectRef,
    Outcome,
    Rehearsal,
    Verdict,
    WebhookGate,
    WebhookMode,
)
from kubecurrent.rehearse._render import render_html, render_json, render_markdown
from kubecurrent.rehearse._replay import Manifest, RehearseOptions, rehearse
from kubecurrent.rehearse._twin import Twin, buildable, start_minor, twin_name

__all__ = [
    "ApiResource",
    "Check",
    "CrdStorage",
    "Hop",
    "Kube",
    "Manifest",
    "NotCopied",
    "ObjectRef",
    "Outcome",
    "Rehearsal",
    "RehearsalSummary",
    "RehearseOptions",
    "Reply",
    "Served",
    "Twin",
    "Verdict",
    "WebhookGate",
    "WebhookMode",
    "buildable",
    "discover",
    "read_summary",
    "rehearse",
    "render_html",
    "render_json",
    "render_markdown",
    "start_minor",
    "twin_name",
]

"""Read Kubernetes objects from files, directories, stdin, Helm charts and kustomize overlays."""

from __future__ import annotations

import sys
from collections.abc import Iterator

from kubecurrent.collect.files._read import TEMPLATE_HINT, read_file, read_stream
from kubecurrent.collect.files._render import chart_info, render_chart, render_kustomization
from kubecurrent.collect.files._types import (
    BinaryResolver,
    BodyFields,
    ChartInfo,
    Document,
    Rendered,
    RenderOptions,
    Skipped,
    SkipReason,
)
from kubecurrent.collect.files._walk import Input, discover, is_binary
from kubecurrent.model.findings import EvidenceSource, ScanError

__all__ = [
    "TEMPLATE_HINT",
    "BinaryResolver",
    "BodyFields",
    "ChartInfo",
    "Document",
    "Input",
    "RenderOptions",
    "Rendered",
    "SkipReason",
    "Skipped",
    "chart_info",
    "discover",
    "is_binary",
    "read_file",
    "read_input",
    "read_stream",
    "render_chart",
    "render_kustomization",
]


def read_input(
    inp: Input, opts: RenderOptions, body_fields: BodyFields | None = None
) -> Iterator[Document | ScanError | ChartInfo | Skipped]:
    """Everything one input yields: objects, errors, and a chart's own metadata.

    ``body_fields`` (see ``read_file``) lets manifest files skip building what nobody reads."""
    if inp.kind == "stdin":
        yield from read_stream(sys.stdin.buffer, "-", EvidenceSource.MANIFEST)
    elif inp.kind == "file":
        yield from read_file(inp.path, body_fields=body_fields)
    else:
        rendered = (
            render_chart(inp.path, opts, opts.kube_version)
            if inp.kind == "chart"
            else render_kustomization(inp.path, opts)
        )
        if rendered.chart is not None:
            yield rendered.chart
        yield from rendered.items

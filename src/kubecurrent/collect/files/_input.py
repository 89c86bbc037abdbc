"""One input, as the walk found it, into what it yields: objects, errors, skips and a chart's
own metadata (a file is read, a chart or an overlay rendered)."""

from __future__ import annotations

import sys
from collections.abc import Iterator

from kubecurrent.collect.files._read import read_file, read_stream
from kubecurrent.collect.files._types import (
    BodyFields,
    ChartInfo,
    Document,
    KustomizeRemote,
    RenderOptions,
    Skipped,
    SkipReason,
)
from kubecurrent.collect.files._walk import UNREAD, Input
from kubecurrent.model.findings import EvidenceSource, ScanError

Item = Document | ScanError | ChartInfo | Skipped


def read_input(
    inp: Input, opts: RenderOptions, body_fields: BodyFields | None = None
) -> Iterator[Item]:
    """Everything one input yields: objects, errors, skips, and a chart's own metadata.

    ``body_fields`` (see ``read_file``) lets manifest files skip building what nobody reads."""
    if inp.kind == "stdin":
        yield from read_stream(sys.stdin.buffer, "-", EvidenceSource.MANIFEST)
    elif inp.kind == "file":
        yield from _read_named(inp, body_fields)
    elif inp.kind in UNREAD:
        yield Skipped(str(inp.path), None, UNREAD[inp.kind], inp.note)
    elif inp.kind == "component":
        yield Skipped(
            str(inp.path), None, SkipReason.KUSTOMIZE_COMPONENT, "built through its overlays"
        )
    elif inp.missing:
        names = ", ".join(str(p) for p in inp.missing)
        detail = f"not built: it needs {names}, which is not there (made by a build step?)"
        yield Skipped(str(inp.path), None, SkipReason.KUSTOMIZE_INCOMPLETE, detail)
        for path in inp.covers:
            yield from read_file(path, body_fields=body_fields, walked=True)
    elif inp.remote and opts.kustomize_remote is KustomizeRemote.SKIP:
        names = ", ".join(inp.remote)
        detail = (
            f"not built: it names remote bases or resources ({names}), not fetched; pass "
            "--kustomize-remote fetch to build it with them (its own files are read as they are)"
        )
        yield Skipped(str(inp.path), None, SkipReason.KUSTOMIZE_REMOTE, detail)
        for path in inp.covers:
            yield from read_file(path, body_fields=body_fields, walked=True)
    else:
        yield from _render(inp, opts, body_fields)


def _render(inp: Input, opts: RenderOptions, body_fields: BodyFields | None) -> Iterator[Item]:
    from kubecurrent.collect.files._render import render_chart, render_kustomization

    rendered = (
        render_chart(inp.path, opts, opts.kube_version, body_fields, inp.root)
        if inp.kind == "chart"
        else render_kustomization(inp.path, opts, inp.remote, body_fields, inp.root)
    )
    if rendered.chart is not None:
        yield rendered.chart
    yield from rendered.items
    if inp.covers and not any(isinstance(i, Document) for i in rendered.items):
        for path in inp.covers:  # the build failed: its files are all there is to check
            yield from read_file(path, body_fields=body_fields, walked=True)


def _read_named(inp: Input, body_fields: BodyFields | None) -> Iterator[Item]:
    """A file's items; one named explicitly that holds no object is an error saying what it
    holds instead."""
    found: list[Skipped] = []
    objects = False
    for item in read_file(inp.path, body_fields=body_fields, walked=not inp.explicit):
        objects = objects or not isinstance(item, Skipped)
        if isinstance(item, Skipped):
            found.append(item)
        yield item
    if inp.explicit and not objects:
        what = found[0].detail if found else "nothing (an empty file)"
        yield ScanError(
            file=str(inp.path),
            line=found[0].line if found else None,
            message=f"no Kubernetes object in this file: it holds {what}; name YAML or JSON "
            "manifests with apiVersion and kind, or a directory to walk",
        )

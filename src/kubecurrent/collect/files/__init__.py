"""Read Kubernetes objects from files, directories, stdin, Helm charts and kustomize overlays.

Public names are imported on first use (see ``kubecurrent._lazy``): a live cluster scan needs
``Document`` and none of the readers, renderers or the walk.
"""

from typing import TYPE_CHECKING

from kubecurrent._lazy import lazy_exports

if TYPE_CHECKING:
    from kubecurrent.collect.files._cache import STATS as RENDER_CACHE_STATS
    from kubecurrent.collect.files._cache import RenderCache
    from kubecurrent.collect.files._exclude import ExcludeRules
    from kubecurrent.collect.files._input import read_input
    from kubecurrent.collect.files._read import (
        TEMPLATE_HINT,
        looks_like_object,
        read_file,
        read_stream,
    )
    from kubecurrent.collect.files._render import (
        chart_info,
        render_chart,
        render_kustomization,
    )
    from kubecurrent.collect.files._types import (
        BinaryResolver,
        BodyFields,
        ChartDeps,
        ChartInfo,
        Document,
        Excluded,
        KustomizeRemote,
        Rendered,
        RenderOptions,
        Skipped,
        SkipReason,
    )
    from kubecurrent.collect.files._walk import (
        UNREAD,
        Input,
        InputKind,
        discover,
        is_binary,
    )
    from kubecurrent.collect.files._yaml import KubeLoader

__all__ = [
    "RENDER_CACHE_STATS",
    "TEMPLATE_HINT",
    "UNREAD",
    "BinaryResolver",
    "BodyFields",
    "ChartDeps",
    "ChartInfo",
    "Document",
    "ExcludeRules",
    "Excluded",
    "Input",
    "InputKind",
    "KubeLoader",
    "KustomizeRemote",
    "RenderCache",
    "RenderOptions",
    "Rendered",
    "SkipReason",
    "Skipped",
    "chart_info",
    "discover",
    "is_binary",
    "looks_like_object",
    "read_file",
    "read_input",
    "read_stream",
    "render_chart",
    "render_kustomization",
]

if not TYPE_CHECKING:
    __getattr__, __dir__ = lazy_exports(
        __name__,
        {
            "RENDER_CACHE_STATS": "_cache:STATS",
            "TEMPLATE_HINT": "_read",
            "UNREAD": "_walk",
            "BinaryResolver": "_types",
            "BodyFields": "_types",
            "ChartDeps": "_types",
            "ChartInfo": "_types",
            "Document": "_types",
            "ExcludeRules": "_exclude",
            "Excluded": "_types",
            "Input": "_walk",
            "InputKind": "_walk",
            "KubeLoader": "_yaml",
            "KustomizeRemote": "_types",
            "RenderCache": "_cache",
            "RenderOptions": "_types",
            "Rendered": "_types",
            "SkipReason": "_types",
            "Skipped": "_types",
            "chart_info": "_render",
            "discover": "_walk",
            "is_binary": "_walk",
            "looks_like_object": "_read",
            "read_file": "_read",
            "read_input": "_input",
            "read_stream": "_read",
            "render_chart": "_render",
            "render_kustomization": "_render",
        },
    )

"""The catalog: sourced facts about Kubernetes releases, APIs, skew, add-ons, CVEs and the
managed providers' version calendars and prices.

Data lives in ``data/*.yaml`` (one concern per file, add-ons one file each in ``data/addons``);
``load_catalog()`` validates it into frozen objects once per process. Users add entries with
extra files (``--catalog-extra``, ``KUBECURRENT_CATALOG_EXTRA``); a duplicate of a built-in
entry is an error, never an override.
"""

from typing import TYPE_CHECKING

from kubecurrent._lazy import lazy_exports
from kubecurrent.catalog._addon import Addon, AddonApi, AddonRelease, Detect
from kubecurrent.catalog._agree import (
    Disagreement,
    disagreements,
    replacement_chain,
    upstream_removed,
)
from kubecurrent.catalog._catalog import Catalog
from kubecurrent.catalog._check import STALE_AFTER_DAYS, staleness_warning
from kubecurrent.catalog._cve import AffectedRange, Cve
from kubecurrent.catalog._dotted import DottedVersion, VersionRange
from kubecurrent.catalog._gosource import (
    GoSourceError,
    Registration,
    TypeLifecycle,
    parse_lifecycle,
    parse_register,
    resource_types,
)
from kubecurrent.catalog._lifecycle import (
    EMPTY_LIFECYCLE,
    Lifecycle,
    LifecycleApi,
    LifecycleRelease,
    ModuleSource,
    ShippedRange,
    read_lifecycle,
)
from kubecurrent.catalog._load import EXTRA_ENV, build, data_dir, extra_from_env, load_catalog
from kubecurrent.catalog._model import (
    ApiDeprecation,
    KubernetesRelease,
    Meta,
    SkewRule,
    UpgradeRule,
    UpstreamSource,
)
from kubecurrent.catalog._provider import ProviderPrice, ProviderRelease, SupportPhase

if TYPE_CHECKING:
    from kubecurrent.catalog._coverage import catalog_coverage
    from kubecurrent.catalog._coverage_report import coverage_markdown, coverage_tables
    from kubecurrent.catalog._export import export_catalog
    from kubecurrent.catalog._update import (
        DirFetcher,
        Fetcher,
        HttpFetcher,
        UpdateResult,
        plan_update,
    )

__all__ = [
    "EMPTY_LIFECYCLE",
    "EXTRA_ENV",
    "STALE_AFTER_DAYS",
    "Addon",
    "AddonApi",
    "AddonRelease",
    "AffectedRange",
    "ApiDeprecation",
    "Catalog",
    "Cve",
    "Detect",
    "DirFetcher",
    "Disagreement",
    "DottedVersion",
    "Fetcher",
    "GoSourceError",
    "HttpFetcher",
    "KubernetesRelease",
    "Lifecycle",
    "LifecycleApi",
    "LifecycleRelease",
    "Meta",
    "ModuleSource",
    "ProviderPrice",
    "ProviderRelease",
    "Registration",
    "ShippedRange",
    "SkewRule",
    "SupportPhase",
    "TypeLifecycle",
    "UpdateResult",
    "UpgradeRule",
    "UpstreamSource",
    "VersionRange",
    "build",
    "catalog_coverage",
    "coverage_markdown",
    "coverage_tables",
    "data_dir",
    "disagreements",
    "export_catalog",
    "extra_from_env",
    "load_catalog",
    "parse_lifecycle",
    "parse_register",
    "plan_update",
    "read_lifecycle",
    "replacement_chain",
    "resource_types",
    "staleness_warning",
    "upstream_removed",
]

if not TYPE_CHECKING:
    __getattr__, __dir__ = lazy_exports(
        __name__,
        {
            "DirFetcher": "_update",
            "Fetcher": "_update",
            "HttpFetcher": "_update",
            "UpdateResult": "_update",
            "catalog_coverage": "_coverage",
            "coverage_markdown": "_coverage_report",
            "coverage_tables": "_coverage_report",
            "export_catalog": "_export",
            "plan_update": "_update",
        },
    )

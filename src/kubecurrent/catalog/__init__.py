"""The catalog: sourced facts about Kubernetes releases, APIs, skew, add-ons, CVEs and the
managed providers' version calendars and prices.

Data lives in ``data/*.yaml`` (one concern per file, add-ons one file each in ``data/addons``);
``load_catalog()`` validates it into frozen objects once per process. Users add entries with
extra files (``--catalog-extra``, ``KUBECURRENT_CATALOG_EXTRA``); a duplicate of a built-in
entry is an error, never an override.

Every public name is imported on first use (``kubecurrent._lazy``): a file scan reads the
catalog's facts (``load_scan_facts``) without loading the validated models, and a command that
reads the models from their cache (``load_catalog``) loads no parser or check (``_build``).
"""

from typing import TYPE_CHECKING

from kubecurrent._lazy import lazy_exports

if TYPE_CHECKING:
    from kubecurrent.catalog._addon import Addon, AddonApi, AddonRelease, Detect
    from kubecurrent.catalog._agree import (
        Disagreement,
        disagreements,
        replacement_chain,
        upstream_removed,
    )
    from kubecurrent.catalog._build import build
    from kubecurrent.catalog._catalog import Catalog
    from kubecurrent.catalog._check import STALE_AFTER_DAYS, staleness_warning
    from kubecurrent.catalog._coverage import catalog_coverage
    from kubecurrent.catalog._coverage_report import coverage_markdown, coverage_tables
    from kubecurrent.catalog._cve import AffectedRange, Cve
    from kubecurrent.catalog._data import EXTRA_ENV, data_dir, extra_from_env
    from kubecurrent.catalog._dotted import DottedVersion, VersionRange
    from kubecurrent.catalog._export import export_catalog
    from kubecurrent.catalog._facts import (
        ApiFact,
        ScanFacts,
        cached_facts,
        facts_cache_file,
        load_lifecycle,
        load_scan_facts,
        scan_facts,
    )
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
    from kubecurrent.catalog._load import cached_catalog, catalog_cache_file, load_catalog
    from kubecurrent.catalog._model import (
        ApiDeprecation,
        KubernetesRelease,
        Meta,
        SkewRule,
        UpgradeRule,
        UpstreamSource,
    )
    from kubecurrent.catalog._provider import ProviderPrice, ProviderRelease, SupportPhase
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
    "ApiFact",
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
    "ScanFacts",
    "ShippedRange",
    "SkewRule",
    "SupportPhase",
    "TypeLifecycle",
    "UpdateResult",
    "UpgradeRule",
    "UpstreamSource",
    "VersionRange",
    "build",
    "cached_catalog",
    "cached_facts",
    "catalog_cache_file",
    "catalog_coverage",
    "coverage_markdown",
    "coverage_tables",
    "data_dir",
    "disagreements",
    "export_catalog",
    "extra_from_env",
    "facts_cache_file",
    "load_catalog",
    "load_lifecycle",
    "load_scan_facts",
    "parse_lifecycle",
    "parse_register",
    "plan_update",
    "read_lifecycle",
    "replacement_chain",
    "resource_types",
    "scan_facts",
    "staleness_warning",
    "upstream_removed",
]

if not TYPE_CHECKING:
    __getattr__, __dir__ = lazy_exports(
        __name__,
        {
            "Addon": "_addon",
            "AddonApi": "_addon",
            "AddonRelease": "_addon",
            "AffectedRange": "_cve",
            "ApiDeprecation": "_model",
            "ApiFact": "_facts",
            "Catalog": "_catalog",
            "Cve": "_cve",
            "Detect": "_addon",
            "DirFetcher": "_update",
            "Disagreement": "_agree",
            "DottedVersion": "_dotted",
            "EMPTY_LIFECYCLE": "_lifecycle",
            "EXTRA_ENV": "_data",
            "Fetcher": "_update",
            "GoSourceError": "_gosource",
            "HttpFetcher": "_update",
            "KubernetesRelease": "_model",
            "Lifecycle": "_lifecycle",
            "LifecycleApi": "_lifecycle",
            "LifecycleRelease": "_lifecycle",
            "Meta": "_model",
            "ModuleSource": "_lifecycle",
            "ProviderPrice": "_provider",
            "ProviderRelease": "_provider",
            "Registration": "_gosource",
            "STALE_AFTER_DAYS": "_check",
            "ScanFacts": "_facts",
            "ShippedRange": "_lifecycle",
            "SkewRule": "_model",
            "SupportPhase": "_provider",
            "TypeLifecycle": "_gosource",
            "UpdateResult": "_update",
            "UpgradeRule": "_model",
            "UpstreamSource": "_model",
            "VersionRange": "_dotted",
            "build": "_build",
            "cached_catalog": "_load",
            "cached_facts": "_facts",
            "catalog_cache_file": "_load",
            "catalog_coverage": "_coverage",
            "coverage_markdown": "_coverage_report",
            "coverage_tables": "_coverage_report",
            "data_dir": "_data",
            "disagreements": "_agree",
            "export_catalog": "_export",
            "extra_from_env": "_data",
            "facts_cache_file": "_facts",
            "load_catalog": "_load",
            "load_lifecycle": "_facts",
            "load_scan_facts": "_facts",
            "parse_lifecycle": "_gosource",
            "parse_register": "_gosource",
            "plan_update": "_update",
            "read_lifecycle": "_lifecycle",
            "replacement_chain": "_agree",
            "resource_types": "_gosource",
            "scan_facts": "_facts",
            "staleness_warning": "_check",
            "upstream_removed": "_agree",
        },
    )

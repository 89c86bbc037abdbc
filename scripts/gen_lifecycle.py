#!/usr/bin/env python3
"""(Re)generate src/kubecurrent/catalog/data/lifecycle.json from upstream's own API data.

For every Kubernetes minor the catalog knows (and the next one, marked as a pre-release, when
the Go module proxy serves only pre-release versions of it), downloads the newest patch of
``k8s.io/api``, ``k8s.io/kube-aggregator``, ``k8s.io/apiextensions-apiserver`` and
``k8s.io/apiserver`` (for ``audit.k8s.io`` only) from the Go module proxy, and reads in each
API package ``register.go`` (group, version, registered kinds) and
``zz_generated.prerelease-lifecycle.go`` (introduced / deprecated / removed / replacement).
Per kind it records the releases whose module carried it, and the lifecycle tags of the newest
release that carried it, with that file as the source.

Downloads are cached in $KUBECURRENT_CACHE_DIR/upstream (default ~/.cache/kubecurrent/upstream).

Usage: scripts/gen_lifecycle.py [--check]   (--check: exit 1 when the committed file differs)
Needs: the Go module proxy (https://proxy.golang.org), or a warm cache.
"""

from __future__ import annotations

import io
import json
import os
import re
import sys
import urllib.error
import urllib.request
import zipfile
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from kubecurrent.catalog import (
    GoSourceError,
    Registration,
    TypeLifecycle,
    data_dir,
    load_catalog,
    parse_lifecycle,
    parse_register,
    resource_types,
)
from kubecurrent.model import MinorVersion

PROXY = "https://proxy.golang.org"
LIFECYCLE_GO = "zz_generated.prerelease-lifecycle.go"
OUTPUT = data_dir() / "lifecycle.json"
FIRST = MinorVersion(1, 19)


@dataclass(frozen=True)
class Module:
    path: str
    apis_dir: str
    """Directory (inside the module) holding ``<group>/<version>`` packages, or the versions of
    one group when ``one_group`` is set."""
    one_group: bool
    component: str


MODULES = (
    Module("k8s.io/api", "", False, "kube-apiserver"),
    Module("k8s.io/kube-aggregator", "pkg/apis/apiregistration/", True, "kube-aggregator"),
    Module(
        "k8s.io/apiextensions-apiserver",
        "pkg/apis/apiextensions/",
        True,
        "apiextensions-apiserver",
    ),
    Module(
        "k8s.io/apiextensions-api",
        "pkg/apis/apiextensions/",
        True,
        "apiextensions-apiserver",
    ),
    Module("k8s.io/apiserver", "pkg/apis/audit/", True, "audit-policy-file"),
)
_DELEGATES = re.compile(r'^\s*\w+\s+"k8s\.io/[\w.-]+/(?P<pkg>[\w/]+)"\s*$', re.M)
_VERSION_DIR = re.compile(r"^v\d+((alpha|beta)\d+)?$")
_TAG = re.compile(r"^v0\.(?P<minor>\d+)\.(?P<patch>\d+)(?:-(?P<pre>alpha|beta|rc)\.(?P<n>\d+))?$")
_PRE_RANK = {"alpha": 0, "beta": 1, "rc": 2, None: 3}


def cache_dir() -> Path:
    xdg = Path(os.environ.get("XDG_CACHE_HOME") or Path("~/.cache").expanduser())
    base = os.environ.get("KUBECURRENT_CACHE_DIR") or xdg / "kubecurrent"
    path = Path(base) / "upstream"
    path.mkdir(parents=True, exist_ok=True)
    return path


def fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=120) as resp:  # noqa: S310 - fixed https proxy
        data: bytes = resp.read()
        return data


def zip_path(module: str, version: str) -> Path:
    return cache_dir() / f"{module.replace('/', '+')}@{version}.zip"


def module_zip(module: str, version: str) -> zipfile.ZipFile:
    path = zip_path(module, version)
    if not path.exists():
        data = fetch(f"{PROXY}/{module}/@v/{version}.zip")
        tmp = path.with_suffix(".part")
        tmp.write_bytes(data)
        tmp.rename(path)
    return zipfile.ZipFile(io.BytesIO(path.read_bytes()))


def tag_key(tag: str) -> tuple[int, int, int, int]:
    m = _TAG.match(tag)
    assert m is not None
    return (int(m["minor"]), int(m["patch"]), _PRE_RANK[m["pre"]], int(m["n"] or 0))


def pick_versions(
    module: str, latest: dict[int, str], listed: Iterable[str]
) -> dict[int, tuple[str, bool]]:
    """Per minor, the module tag of the release's latest patch (``v0.<minor>.<patch>``) when the
    proxy serves it; for the minor after the newest, the newest tag the proxy lists (a
    pre-release when no final exists). Value: (tag, is_prerelease)."""
    chosen: dict[int, tuple[str, bool]] = {}
    for minor, tag in latest.items():
        if exists(module, tag):
            chosen[minor] = (tag, False)
    following = max(latest) + 1
    own = [t for t in listed if _TAG.match(t) and tag_key(t)[0] == following]
    if own:
        newest = max(own, key=tag_key)
        chosen[following] = (newest, "-" in newest)
    return chosen


def exists(module: str, tag: str) -> bool:
    """Whether the proxy serves ``module@tag`` (a cached download counts)."""
    if zip_path(module, tag).exists():
        return True
    try:
        fetch(f"{PROXY}/{module}/@v/{tag}.info")
    except urllib.error.HTTPError as exc:
        if exc.code in (403, 404, 410):  # 403: the proxy refuses unknown versions here
            return False
        raise
    return True


@dataclass
class Kind:
    group: str
    version: str
    kind: str
    component: str
    shipped: list[int] = field(default_factory=list)
    lifecycle: TypeLifecycle | None = None
    source: tuple[str, str, str] = ("", "", "")
    resource: bool = True


def packages(zf: zipfile.ZipFile, module: Module, tag: str) -> list[str]:
    """Package directories (relative to the module root) of versioned API packages."""
    root = f"{module.path}@{tag}/"
    found = []
    for name in zf.namelist():
        if not (name.startswith(root + module.apis_dir) and name.endswith("/register.go")):
            continue
        rel = name[len(root) : -len("/register.go")]
        parts = rel[len(module.apis_dir) :].split("/")
        depth = 1 if module.one_group else 2
        if len(parts) == depth and _VERSION_DIR.match(parts[-1]):
            found.append(rel)
    return sorted(found)


@dataclass(frozen=True)
class Package:
    """What one API package of one module version declares."""

    registration: Registration
    tags: dict[str, TypeLifecycle]
    resources: set[str]
    lifecycle_file: str | None


def read_package(zf: zipfile.ZipFile, root: str, rel: str) -> Package | None:
    """The package ``rel``, or None when its types moved to another module."""
    names = set(zf.namelist())
    text = zf.read(f"{root}{rel}/register.go").decode()
    delegate = _DELEGATES.search(text)
    if "GroupName" not in text and delegate and rel.endswith(delegate["pkg"]):
        return None
    lifecycle_file = f"{rel}/{LIFECYCLE_GO}"
    has_tags = root + lifecycle_file in names
    try:
        registration = parse_register(text)
        tags = parse_lifecycle(zf.read(root + lifecycle_file).decode()) if has_tags else {}
    except GoSourceError as exc:
        sys.exit(f"{root}{rel}: {exc}")
    resources: set[str] = set()
    for name in sorted(names):
        base = name.rsplit("/", 1)[-1]
        hand_written = base.endswith(".go") and not base.startswith(("zz_", "generated."))
        if hand_written and name == f"{root}{rel}/{base}":
            resources |= resource_types(zf.read(name).decode())
    return Package(registration, tags, resources, lifecycle_file if has_tags else None)


def read_release(
    module: Module, tag: str, minor: int, prerelease: bool, kinds: dict[tuple[str, str, str], Kind]
) -> None:
    """Add what ``module@tag`` ships to ``kinds``. Releases are read oldest first, so the newest
    final release that carries a kind sets its lifecycle and source; a pre-release only sets
    them for kinds no final release carried."""
    zf = module_zip(module.path, tag)
    root = f"{module.path}@{tag}/"
    for rel in packages(zf, module, tag):
        pkg = read_package(zf, root, rel)
        if pkg is None:
            continue  # the types moved to another module, read from that module
        reg = pkg.registration
        for kind in reg.kinds:
            if kind.endswith("List") and kind.removesuffix("List") in reg.kinds:
                continue
            entry = kinds.setdefault(
                (reg.group, reg.version, kind),
                Kind(reg.group, reg.version, kind, module.component),
            )
            entry.shipped.append(minor)
            if prerelease and len(entry.shipped) > 1:
                continue
            entry.resource = kind in pkg.resources
            entry.lifecycle = pkg.tags.get(kind)
            file = pkg.lifecycle_file if kind in pkg.tags else None
            entry.source = (module.path, tag, file or f"{rel}/register.go")


def ranges(minors: list[int]) -> list[dict[str, str]]:
    out: list[list[int]] = []
    for m in sorted(set(minors)):
        if out and out[-1][1] == m - 1:
            out[-1][1] = m
        else:
            out.append([m, m])
    return [{"first": f"1.{a}", "last": f"1.{b}"} for a, b in out]


def minor_text(value: tuple[int, int] | None) -> str | None:
    return f"{value[0]}.{value[1]}" if value is not None and value != (0, 0) else None


def entry_json(k: Kind) -> dict[str, object]:
    lc = k.lifecycle or TypeLifecycle(k.kind)
    out: dict[str, object] = {
        "group": k.group,
        "version": k.version,
        "kind": k.kind,
        "component": k.component,
    }
    for key, value in (
        ("introduced", lc.introduced),
        ("deprecated", lc.deprecated),
        ("removed", lc.removed),
    ):
        if minor_text(value):
            out[key] = minor_text(value)
    if lc.replacement is not None:
        group, version, kind = lc.replacement
        out["replacement"] = f"{group}/{version}" if group else version
        if kind.removesuffix("List") != k.kind.removesuffix("List"):
            out["replacement_kind"] = kind
    if not k.resource:
        out["resource"] = False
    out["shipped"] = ranges(k.shipped)
    module, tag, file = k.source
    out["source"] = {"module": module, "version": tag, "file": file}
    return out


def render(releases: list[dict[str, object]], kinds: dict[tuple[str, str, str], Kind]) -> str:
    lines = ['{"generated_by": "scripts/gen_lifecycle.py",', ' "releases": [']
    lines.append(",\n".join("  " + json.dumps(r, sort_keys=False) for r in releases))
    lines += [" ],", ' "apis": [']
    ordered = sorted(kinds.values(), key=lambda k: (k.group, k.version, k.kind))
    lines.append(",\n".join("  " + json.dumps(entry_json(k)) for k in ordered))
    lines.append(" ]}")
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    check = "--check" in argv
    catalog = load_catalog()
    latest = {
        r.version.minor: f"v0.{r.version.minor}.{r.latest_patch.patch}"
        for r in catalog.releases
        if r.version >= FIRST
    }
    plan: dict[int, dict[str, tuple[str, bool]]] = {}
    for module in MODULES:
        listed = fetch(f"{PROXY}/{module.path}/@v/list").decode().split()
        for minor, picked in pick_versions(module.path, latest, listed).items():
            plan.setdefault(minor, {})[module.path] = picked
    jobs = [(m.path, mods[m.path][0]) for mods in plan.values() for m in MODULES if m.path in mods]
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(lambda job: module_zip(*job), jobs))
    kinds: dict[tuple[str, str, str], Kind] = {}
    releases = []
    for minor in sorted(plan):
        mods = plan[minor]
        for module in MODULES:
            if module.path in mods:
                tag, prerelease = mods[module.path]
                read_release(module, tag, minor, prerelease, kinds)
        release: dict[str, object] = {"version": f"1.{minor}"}
        if any(pre for _, pre in mods.values()):
            release["prerelease"] = True
        release["modules"] = {path: tag for path, (tag, _) in mods.items()}
        releases.append(release)
    text = render(releases, kinds)
    if check:
        same = OUTPUT.exists() and OUTPUT.read_text() == text
        print("lifecycle.json is current" if same else "lifecycle.json differs: regenerate it")
        return 0 if same else 1
    OUTPUT.write_text(text)
    for release in releases:
        number = MinorVersion.parse(str(release["version"])).minor
        count = sum(1 for k in kinds.values() if number in k.shipped)
        pre = " (pre-release)" if release.get("prerelease") else ""
        print(f"{release['version']}{pre}: {count} kinds")
    print(f"wrote {OUTPUT} ({len(kinds)} kinds)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

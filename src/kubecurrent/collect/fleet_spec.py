"""Reading a hand-written fleet spec, or a directory of saved inventories, into inventories.

A fleet spec::

    clusters:
    - name: prod-eu
      kubernetes: "1.27.9"            # control-plane version
      nodePools:
      - {name: general, kubelet: "1.26.12", nodes: 40}
      addons:                          # catalog names
      - {name: cert-manager, version: "1.12.3"}
      apiUsage:                        # optional: objects in deprecated APIs
      - {apiVersion: batch/v1beta1, kind: CronJob, count: 3}
      crds:                            # optional: CRDs and their status.storedVersions
      - {name: certificates.cert-manager.io, group: cert-manager.io, kind: Certificate,
         storedVersions: [v1alpha2, v1]}

Every error names the file, the cluster and the field, and says what to write instead.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from kubecurrent.catalog import Catalog, DottedVersion
from kubecurrent.errors import UsageError
from kubecurrent.gcpause import collector_paused
from kubecurrent.model.inventory import ClusterInventory
from kubecurrent.useryaml import load_user_yaml


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    clusters: list[dict[str, Any]] = Field(min_length=1)


def load_fleet_spec(path: Path, catalog: Catalog) -> list[ClusterInventory]:
    """The clusters of the fleet spec at ``path``, validated against ``catalog``."""
    data = _read(path)
    try:
        spec = _Spec.model_validate(data)
    except ValidationError as exc:
        raise _invalid(path, "the file", exc, "write a top-level `clusters:` list") from None
    checked: set[tuple[str, str]] = set()
    with collector_paused():  # builds one inventory per cluster (see gcpause)
        found = [_cluster(path, i, raw, catalog, checked) for i, raw in enumerate(spec.clusters)]
    dupes = sorted(n for n, times in Counter(c.name for c in found).items() if times > 1)
    if dupes:
        raise UsageError(
            f"{path}: cluster names must be unique: {', '.join(dupes)} appear twice",
            hint="rename one of them",
        )
    return found


def load_inventory_dir(path: Path, catalog: Catalog) -> list[ClusterInventory]:
    """Every saved inventory (``*.json``, ``*.yaml``, ``*.yml``; one cluster each) in ``path``."""
    files = sorted(p for p in path.iterdir() if p.suffix in (".json", ".yaml", ".yml"))
    if not files:
        raise UsageError(
            f"{path}: no inventory files (*.json, *.yaml) in this directory",
            hint="point --inventory at a directory of saved inventories, or use --fleet-spec",
        )
    checked: set[tuple[str, str]] = set()
    return [_inventory(f, f.stem, _read(f), catalog, checked) for f in files]


def _read(path: Path) -> Any:
    return load_user_yaml(path, "fleet spec")


def _cluster(
    path: Path, index: int, raw: dict[str, Any], catalog: Catalog, checked: set[tuple[str, str]]
) -> ClusterInventory:
    name = str(raw.get("name") or f"#{index + 1}")
    data = dict(raw)
    if "kubernetes" in data:
        data["controlPlane"] = data.pop("kubernetes")
    return _inventory(path, name, data, catalog, checked, spec=True)


def _inventory(
    path: Path,
    name: str,
    data: Any,
    catalog: Catalog,
    checked: set[tuple[str, str]],
    *,
    spec: bool = False,
) -> ClusterInventory:
    """One cluster, validated; ``checked`` holds the add-on versions found good so far (a fleet
    repeats them: each distinct one is checked once)."""
    try:
        inventory = ClusterInventory.model_validate(data)
    except ValidationError as exc:
        error = _invalid(path, f"cluster {name}", exc, "see docs/planner.md for the format")
        if spec:
            error.message = error.message.replace("controlPlane", "kubernetes")
        raise error from None
    except UsageError as exc:  # a version the version parser rejected
        raise UsageError(f"{path}: cluster {name}: {exc.message}", hint=exc.hint) from None
    for addon in inventory.addons:
        if (addon.name, addon.version) not in checked:
            _check_addon(path, name, addon.name, addon.version, catalog)
            checked.add((addon.name, addon.version))
    return inventory


def _check_addon(path: Path, cluster: str, addon: str, version: str, catalog: Catalog) -> None:
    where = f"{path}: cluster {cluster}: addons: {addon}"
    if catalog.addon(addon) is None:
        import difflib  # only to word this error: a valid spec never needs it

        known = [a.name for a in catalog.addons]
        close = difflib.get_close_matches(addon, known, n=3, cutoff=0.5)
        hint = f"did you mean {', '.join(close)}?" if close else f"known: {', '.join(known)}"
        raise UsageError(f"{where}: not an add-on the catalog knows", hint=hint)
    try:
        DottedVersion.parse(version)
    except ValueError as exc:
        raise UsageError(
            f"{where}: {exc}", hint="write the installed version, e.g. 1.12.3"
        ) from None


def _invalid(path: Path, what: str, exc: ValidationError, hint: str) -> UsageError:
    problems = "; ".join(
        f"{'.'.join(str(p) for p in err['loc']) or 'value'}: {err['msg']}" for err in exc.errors()
    )
    return UsageError(f"{path}: {what}: {problems}", hint=hint)

"""Upgrade plans: ordered, explained steps per cluster, and the fleet view over them.

``FleetPlan.to_json()`` is the ``kubecurrent plan -o json`` contract::

    {"target": "1.36",
     "clusters": [{"name": ..., "status": "ok" | "blocked", "provider": "aks" | null,
                   "reasons": [...],
                   "steps": [{"order": 1, "type": ..., "target": ..., "from": ..., "to": ...,
                              "why": ..., "without": ..., "hop": 0, "managed_by": null},
                             ...], ...}],
     "groups": [...], "totals": {...}}
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from typing import Annotated, Any, Literal

import msgspec
from pydantic import (
    BaseModel,
    ConfigDict,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    field_validator,
)
from pydantic_core import core_schema

from kubecurrent.model.clouds import Provider
from kubecurrent.model.recurrence import DAYS, Day, Recurrence

__all__ = [
    "DAYS",
    "Alternative",
    "BlueGreenEstimate",
    "ClusterPlan",
    "Day",
    "FleetPlan",
    "Hold",
    "PathGroup",
    "PlanStatus",
    "PlanTotals",
    "Step",
    "StepType",
]

StepType = Literal[
    "control-plane", "node-pool", "node-image", "addon", "migration", "check", "replace", "remove"
]
"""``node-image``: a managed provider moves a pool to its newest OS image, Kubernetes version
unchanged (``from``/``to`` are image versions; AKS ``upgradeNodeImageVersion``)."""
PlanStatus = Literal["ok", "blocked"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class Step(msgspec.Struct, frozen=True, forbid_unknown_fields=True, rename={"from_": "from"}):
    """One action: what changes from which version to which, why, and what breaks without it.

    A record, not a validated model: the planner makes tens of thousands per fleet. A step
    built in code is taken as given; a step read from outside (a plan file, the rollout store,
    ``ClusterPlan.model_validate``) is checked field by field (``Step.read``). Its JSON form is
    the plan contract's step object (``from`` for ``from_``)."""

    order: Annotated[int, msgspec.Meta(ge=1)]
    type: StepType
    target: str
    """``control-plane``, a node-pool name, an add-on name, or the object kind migrated."""
    from_: str
    to: str | None
    why: str
    without: str
    """What would break if the step were skipped."""
    hop: Annotated[int, msgspec.Meta(ge=0)]
    """0 for pre-flight, n for the steps around the n-th control-plane hop."""
    managed_by: Provider | None = None
    """The managed provider whose own API carries the step out, None for the generic path:
    ``eks`` on an ``addon`` step is an EKS add-on (UpdateAddon; ``target`` is the EKS add-on
    name, ``to`` the EKS version such as ``v1.11.4-eksbuild.2``), on a ``node-pool`` step an EKS
    managed node group (UpdateNodegroupVersion), on a ``check`` step with target ``fargate`` the
    restart of Fargate pods."""

    def key(self) -> tuple[str, str, str, str | None]:
        """What the step does, without its explanation (used to group identical paths)."""
        return (self.type, self.target, self.from_, self.to)

    def replace(self, **changes: Any) -> Step:
        """This step with some fields changed (``from_`` by its field name)."""
        return msgspec.structs.replace(self, **changes)

    def to_json(self) -> dict[str, Any]:
        """The step object of the plan JSON."""
        data: dict[str, Any] = msgspec.to_builtins(self)
        return data

    @classmethod
    def read(cls, value: object) -> Step:
        """A step from outside (a mapping with ``from``, or ``from_``), every field checked;
        a ``ValueError`` naming the field when one is wrong."""
        if isinstance(value, Step):
            return value
        if isinstance(value, dict) and "from_" in value and "from" not in value:
            value = {("from" if k == "from_" else k): v for k, v in value.items()}
        try:
            return msgspec.convert(value, Step)
        except msgspec.ValidationError as e:
            raise ValueError(f"not a plan step: {e}") from None

    @classmethod
    def __get_pydantic_core_schema__(
        cls, _source: object, _handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        """How a pydantic model (``ClusterPlan``) holds steps: read with ``Step.read``, written
        as the plan JSON's step object."""
        return core_schema.no_info_plain_validator_function(
            cls.read,
            serialization=core_schema.plain_serializer_function_ser_schema(Step.to_json),
        )

    @classmethod
    def __get_pydantic_json_schema__(
        cls, _schema: core_schema.CoreSchema, _handler: GetJsonSchemaHandler
    ) -> dict[str, Any]:
        """The step object's JSON schema inside a plan's (msgspec writes it from the fields)."""
        _, components = msgspec.json.schema_components([Step])
        schema: dict[str, Any] = components["Step"]
        return schema


class PlanTotals(_Frozen):
    """How much work a plan is."""

    hops: int = 0
    node_rolls: int = 0
    addon_moves: int = 0
    migrations: int = 0

    @classmethod
    def of(cls, steps: Sequence[Step]) -> PlanTotals:
        counts = Counter(s.type for s in steps)
        return cls(
            hops=counts["control-plane"],
            node_rolls=counts["node-pool"],
            addon_moves=counts["addon"] + counts["replace"] + counts["remove"],
            migrations=counts["migration"],
        )

    def __add__(self, other: PlanTotals) -> PlanTotals:
        return PlanTotals(
            hops=self.hops + other.hops,
            node_rolls=self.node_rolls + other.node_rolls,
            addon_moves=self.addon_moves + other.addon_moves,
            migrations=self.migrations + other.migrations,
        )


class Alternative(_Frozen):
    """A way out of a blocked plan the catalog knows about, with the flag that chooses it."""

    kind: Literal["replace", "remove", "stop"]
    addon: str | None = None
    description: str
    flag: str


class BlueGreenEstimate(_Frozen):
    """The price of building a new cluster at the target and moving workloads to it."""

    minors_behind: int
    in_place: PlanTotals
    new_cluster_node_pools: int
    new_cluster_nodes: int
    addon_installs: int
    api_migrations: int
    addons_without_release: tuple[str, ...] = ()
    summary: str


class Hold(_Frozen):
    """When the cluster's provider says upgrades must not start (``blackout``: a GKE maintenance
    exclusion) or may only start (``window``: a recurring maintenance window), and its source;
    ``refused``: a window of the provider that kubecurrent cannot enforce (``note`` says why), so
    it holds nothing and is shown with that reason.

    A blackout covers ``[start, end)``. A window opens at ``start``'s time of day, in ``start``'s
    time zone (its UTC offset), for ``end - start``: on the days its ``recurrence`` gives, counted
    from ``start``'s day; without one, on each of ``days`` (every day when empty) from ``start``
    on.
    """

    kind: Literal["blackout", "window", "refused"]
    source: str
    """Where it comes from, for messages: ``GKE maintenance exclusion "freeze"``."""
    start: dt.datetime
    end: dt.datetime
    days: tuple[Day, ...] = ()
    recurrence: Recurrence | None = None
    note: str = ""
    """What it holds back in the provider's terms (``scope NO_MINOR_UPGRADES``), or why a
    ``refused`` window is not enforced."""

    @field_validator("start", "end")
    @classmethod
    def _utc_unless_said(cls, value: dt.datetime) -> dt.datetime:
        """A time without an offset is UTC."""
        return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)

    def _opens_on(self, day: dt.date) -> dt.datetime | None:
        """The opening on local ``day``, or None when the window does not open that day."""
        opens = dt.datetime.combine(day, self.start.timetz())
        if opens < self.start:
            return None
        if self.recurrence is not None:
            return opens if self.recurrence.occurs_on(day, self.start.date()) else None
        return None if self.days and DAYS[day.weekday()] not in self.days else opens

    def opening_before(self, when: dt.datetime) -> dt.datetime | None:
        """For a window: the start of the occurrence containing ``when``, or None."""
        length = self.end - self.start
        local = when.astimezone(self.start.tzinfo).date()
        for back in range(length.days + 2):
            opens = self._opens_on(local - dt.timedelta(days=back))
            if opens is not None and opens <= when < opens + length:
                return opens
        return None

    def openings(self, after: dt.datetime, days: int) -> list[dt.datetime]:
        """For a window: every start in the ``days`` days after ``after``."""
        local = after.astimezone(self.start.tzinfo).date()
        found = []
        for ahead in range(days + 1):
            opens = self._opens_on(local + dt.timedelta(days=ahead))
            if opens is not None and opens > after:
                found.append(opens)
        return found


class ClusterPlan(_Frozen):
    """The ordered steps that take one cluster to the target, or why it cannot get there."""

    name: str
    status: PlanStatus
    from_version: str
    target: str
    provider: Provider | None = None
    """The managed cloud the cluster was reached through (None: a kubeconfig context)."""
    reasons: tuple[str, ...] = ()
    steps: tuple[Step, ...] = ()
    alternatives: tuple[Alternative, ...] = ()
    blue_green: BlueGreenEstimate | None = None
    holds: tuple[Hold, ...] = ()
    """The provider's maintenance windows and exclusions: a rollout starts the cluster only
    when they allow it."""

    @property
    def totals(self) -> PlanTotals:
        return PlanTotals.of(self.steps)

    def path(self) -> list[str]:
        """The control-plane versions in order, e.g. ``["1.27.9", "1.28.15", ...]``."""
        hops = [s for s in self.steps if s.type == "control-plane"]
        return [self.from_version, *(s.to or "" for s in hops)]

    def to_json(self) -> dict[str, Any]:
        data = self.model_dump(mode="json", by_alias=True, exclude={"steps"})
        return _cluster_json(self, data, self.totals)


class PathGroup(_Frozen):
    """Clusters whose plans are the same steps (by type, target and versions)."""

    clusters: tuple[str, ...]
    status: PlanStatus
    path: tuple[str, ...]
    steps: int


class FleetPlan(_Frozen):
    """Plans for every cluster, grouped by identical paths, with fleet totals."""

    target: str
    clusters: tuple[ClusterPlan, ...]
    groups: tuple[PathGroup, ...]

    @property
    def totals(self) -> PlanTotals:
        return sum((c.totals for c in self.clusters), PlanTotals())

    @property
    def blocked(self) -> list[ClusterPlan]:
        return [c for c in self.clusters if c.status == "blocked"]

    def to_json(self) -> dict[str, Any]:
        return self._json(records=False)

    def to_records(self) -> dict[str, Any]:
        """``to_json()`` with every cluster's steps left as ``Step`` records, for a msgspec
        encoder (which writes a record as its JSON object): the same JSON, without a dict per
        step."""
        return self._json(records=True)

    def _json(self, *, records: bool) -> dict[str, Any]:
        # One dump of every cluster but its steps (a fleet has tens of thousands: they are
        # records, written in one call per cluster), then each cluster dict finished as
        # ClusterPlan.to_json finishes its own; the totals counted once each.
        dumped = self.model_dump(
            mode="json",
            by_alias=True,
            include={"clusters", "groups"},
            exclude={"clusters": {"__all__": {"steps"}}},
        )
        totals = [c.totals for c in self.clusters]
        return {
            "target": self.target,
            "clusters": [
                _cluster_json(c, data, t, records=records)
                for c, data, t in zip(self.clusters, dumped["clusters"], totals, strict=True)
            ],
            "groups": dumped["groups"],
            "totals": sum(totals, PlanTotals()).model_dump(),
        }


def _cluster_json(
    plan: ClusterPlan, data: dict[str, Any], totals: PlanTotals, *, records: bool = False
) -> dict[str, Any]:
    """A cluster's JSON from its dump without steps: the fields in their order with the steps
    in place (as records when ``records``), ``from`` and ``totals`` last, ``holds`` only when
    there are some (the ``-o json`` contract in the module docstring)."""
    steps = list(plan.steps) if records else msgspec.to_builtins(list(plan.steps))
    out = {
        name: steps if name == "steps" else data[name]
        for name in _CLUSTER_FIELDS
        if name != "holds" or plan.holds
    }
    out["from"] = plan.from_version
    out["totals"] = totals.model_dump()
    return out


_CLUSTER_FIELDS = tuple(name for name in ClusterPlan.model_fields if name != "from_version")

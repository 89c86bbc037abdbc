"""``KubeStore``: the ``RolloutStore`` protocol on custom resources in a management cluster.

A rollout is a ``FleetUpgrade`` (named by the rollout id) and one ``ClusterUpgrade`` per
cluster, owned by it (``_codec`` maps the fields). Every change reads the object, changes it in
memory and writes it back carrying the ``resourceVersion`` it read: when another writer changed
it in between, the API server answers 409 Conflict and the change is decided again on a fresh
read (a compare-and-set with ``only_from`` may then find nothing to do), up to ``RETRIES``
times before ``StoreConflict``. Rollout and wave changes write the FleetUpgrade (the lead
replica makes them); cluster and step changes write only that cluster's ClusterUpgrade, so
replicas working on different clusters never conflict. The driver lease is a coordination
Lease ``kubecurrent-driver-<rollout>``.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import threading
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any, TypeVar, cast

from lightkube import Client
from lightkube.core.exceptions import ApiError
from lightkube.models.coordination_v1 import LeaseSpec
from lightkube.models.meta_v1 import ObjectMeta, OwnerReference
from lightkube.resources.coordination_v1 import Lease
from lightkube.resources.core_v1 import Secret
from lightkube.types import PatchType

from kubecurrent.errors import ClusterError, UsageError
from kubecurrent.execute import Baseline
from kubecurrent.kubestate import _codec as c
from kubecurrent.kubestate._crds import GROUP, VERSION, ClusterUpgrade, FleetUpgrade, MemberCluster
from kubecurrent.kubestate._mirror import Mirror
from kubecurrent.model.plan import ClusterPlan
from kubecurrent.rollout import (
    Approval,
    ApprovalOutcome,
    AuditEntry,
    Change,
    ClusterRecord,
    ClusterState,
    Entity,
    JournalEntry,
    LeaseRecord,
    Request,
    RolloutRecord,
    RolloutState,
    RolloutStore,
    RunnerSettings,
    StepRecord,
    StepState,
    StoreConflict,
    Strategy,
    WaveRecord,
    WaveState,
    encode_settings,
    judge,
    refusal,
)

__all__ = ["RETRIES", "KubeStore"]

RETRIES = 8
_SYNC_SECONDS = 30.0
"""How long a read waits for the mirror's first list before it lists by itself."""
T = TypeVar("T")
Status = dict[str, Any]


class KubeStore:
    """Rollouts as custom resources in ``namespace`` of the cluster ``client`` talks to."""

    def __init__(self, client: Client, namespace: str, where: str, *, mirror: bool = False) -> None:
        self.client, self.namespace, self._where = client, namespace, where
        self._seq_lock = threading.Lock()
        self._last_seq = 0
        self._count_lock = threading.Lock()
        self.requests = 0
        """API requests sent (reads and writes), for the scale measurements."""
        self.calls: Counter[str] = Counter()
        """API requests sent by ``verb resource``, for the scale measurements."""
        self.largest_write = 0
        """The largest object written, in bytes of JSON."""
        self._mirror: Mirror | None = None
        if mirror:
            self._mirror = Mirror(
                client,
                ClusterUpgrade,
                namespace,
                lambda verb: self._counted(verb, "clusterupgrades"),
            )
            self._mirror.start()

    @property
    def where(self) -> str:
        return self._where

    # --- plumbing --------------------------------------------------------------------------

    def _call(self, verb: str, what: str, fn: Callable[..., Any], *args: Any, **kw: Any) -> Any:
        """``fn(*args, **kw)``, counted; a refusal (403) names the permission missing."""
        self._counted(verb, what)
        try:
            return fn(*args, **kw)
        except ApiError as exc:
            if exc.status.code == 403:
                raise ClusterError(
                    f"{self._where}: may not {verb} {what} in namespace {self.namespace}",
                    hint=f"grant {verb} on {what} in {self.namespace} (the Helm chart's Role does)",
                ) from None
            raise

    def _counted(self, verb: str, what: str) -> None:
        with self._count_lock:
            self.requests += 1
            self.calls[f"{verb} {what}"] += 1

    def close(self) -> None:
        """Stop the mirror's watch, if any (a store without one needs no closing)."""
        if self._mirror is not None:
            self._mirror.stop()

    def _mirrored(self) -> Mirror | None:
        """The ClusterUpgrade mirror once it has its first list (None: none, or not yet)."""
        if self._mirror is not None and self._mirror.wait(_SYNC_SECONDS):
            return self._mirror
        return None

    def _get(self, res: Any, name: str) -> dict[str, Any] | None:
        try:
            found = self._call(
                "get", _plural(res), self.client.get, res, name, namespace=self.namespace
            )
        except ApiError as exc:
            if exc.status.code == 404:
                return None
            raise
        return _plain(found)

    def _fleet(self, rid: str) -> dict[str, Any]:
        found = self._get(FleetUpgrade, rid)
        if found is None or not (found.get("status") or {}).get("phase"):
            known = [r.id for r in self.rollouts()][:5]
            raise UsageError(
                f"no rollout {rid!r} in {self._where}",
                hint=f"known: {', '.join(known)}"
                if known
                else "start one with `kubecurrent rollout start` or apply a FleetUpgrade",
            )
        return found

    def _cluster_obj(self, rid: str, cluster: str) -> dict[str, Any]:
        found = self._get(ClusterUpgrade, c.cluster_name(rid, cluster))
        if found is None:
            raise UsageError(
                f"rollout {rid} in {self._where} has no cluster {cluster!r}",
                hint=f"`kubecurrent rollout status {rid}` lists its clusters",
            )
        return found

    def _write_status(self, res: Any, obj: dict[str, Any]) -> None:
        name = obj["metadata"]["name"]
        self.largest_write = max(self.largest_write, len(_json(obj)))
        written = self._call(
            "update",
            f"{_plural(res)}/status",
            self.client.replace,
            res.Status(obj),
            name=name,
            namespace=self.namespace,
        )
        if res is ClusterUpgrade and self._mirror is not None and written is not None:
            self._mirror.put(_plain(written))

    def _update(
        self,
        res: Any,
        name: str,
        change: Callable[[dict[str, Any], Status], T],
        *,
        recorded: bool = True,
    ) -> T:
        """Read ``name``, let ``change`` edit its status in place and return the result, write
        it back with the resourceVersion read (nothing when the status did not change); on 409
        Conflict all again from a fresh read. A FleetUpgrade must be a recorded rollout unless
        ``recorded`` is False."""
        mirror = self._mirrored() if res is ClusterUpgrade else None
        for _ in range(RETRIES):
            # the first try starts from the mirror's copy, when there is one: a stale copy
            # makes the write conflict (409) and the next try reads afresh
            obj = mirror.get(name) if mirror is not None else None
            mirrored, mirror = obj is not None, None
            if obj is None:
                obj = self._get(res, name)
            unrecorded = obj is not None and not (obj.get("status") or {}).get("phase")
            if res is FleetUpgrade and (obj is None or (recorded and unrecorded)):
                self._fleet(name)  # raises, naming the known rollouts
            if obj is None:
                raise UsageError(
                    f"{self._where}: {_plural(res)}/{name} is gone",
                    hint="`kubecurrent rollout status` lists the rollout's clusters",
                )
            status: Status = obj.setdefault("status", {}) or {}
            obj["status"] = status
            before = _json(status)
            result = change(obj, status)
            if _json(status) == before:
                if mirrored:  # decided on a copy: nothing to write only if a fresh read agrees
                    continue
                return result
            try:
                self._write_status(res, obj)
            except ApiError as exc:
                if exc.status.code == 409:
                    continue
                raise
            return result
        raise StoreConflict(
            f"{self._where}: {_plural(res)}/{name} kept changing under {RETRIES} writes",
            hint="run the action again",
        )

    def _seq(self, when: dt.datetime) -> int:
        """An increasing journal sequence number (microseconds, unique in this process)."""
        with self._seq_lock:
            self._last_seq = max(self._last_seq + 1, int(when.timestamp() * 1_000_000))
            return self._last_seq

    def _entry(
        self, rid: str, entity: Entity, ref: str, old: str | None, to: str, change: Change
    ) -> dict[str, Any]:
        entry = JournalEntry(
            self._seq(change.when),
            rid,
            change.when,
            change.actor,
            entity,
            ref,
            old,
            to,
            change.detail,
        )
        return c.journal_json(entry)

    # --- reading ---------------------------------------------------------------------------

    def rollout(self, rid: str) -> RolloutRecord:
        return c.rollout_from(self._fleet(rid))

    def rollouts(self) -> list[RolloutRecord]:
        found = self._call(
            "list",
            "fleetupgrades",
            lambda: list(self.client.list(FleetUpgrade, namespace=self.namespace)),
        )
        records = [c.rollout_from(_plain(o)) for o in found if (o.get("status") or {}).get("phase")]
        return sorted(records, key=lambda r: (r.created, r.id), reverse=True)

    def fleet_upgrades(self) -> list[dict[str, Any]]:
        """Every FleetUpgrade of the namespace as plain data, rollouts or not yet."""
        found = self._call(
            "list",
            "fleetupgrades",
            lambda: list(self.client.list(FleetUpgrade, namespace=self.namespace)),
        )
        return [_plain(o) for o in found]

    def member_clusters(self) -> list[dict[str, Any]]:
        """Every MemberCluster of the namespace as plain data."""
        found = self._call(
            "list",
            "memberclusters",
            lambda: list(self.client.list(MemberCluster, namespace=self.namespace)),
        )
        return [_plain(o) for o in found]

    def member_kubeconfig(self, member: str) -> tuple[str, str | None]:
        """The kubeconfig text of MemberCluster ``member`` (from its Secret) and its context;
        a missing MemberCluster, Secret or key raises ``UsageError`` naming it."""
        found = self._get(MemberCluster, member)
        if found is None:
            raise UsageError(
                f"no MemberCluster {member} in {self._where}",
                hint="apply it, or remove the cluster from the rollout",
            )
        ref = found["spec"]["kubeconfigSecretRef"]
        key = ref.get("key", "kubeconfig")
        secret = self._get(Secret, ref["name"])
        data = (secret or {}).get("data") or {}
        if key not in data:
            raise UsageError(
                f"MemberCluster {member}: Secret {ref['name']} (key {key}) is not in "
                f"namespace {self.namespace}",
                hint=f"create it, or fix spec.kubeconfigSecretRef of MemberCluster {member}",
            )
        return base64.b64decode(data[key]).decode(), found["spec"].get("context")

    def member_status(self, member: str, status: dict[str, Any]) -> None:
        """Merge ``status`` into MemberCluster ``member``'s status (its subresource)."""
        self._call(
            "patch",
            "memberclusters/status",
            self.client.patch,
            MemberCluster.Status,
            member,
            {"status": status},
            namespace=self.namespace,
            patch_type=PatchType.MERGE,
        )

    def secret_exists(self, name: str) -> bool:
        """Whether Secret ``name`` is in the namespace (a refusal to read it raises)."""
        return self._get(Secret, name) is not None

    def latest(self) -> str:
        found = self.rollouts()
        if not found:
            raise UsageError(
                f"no rollouts in {self._where}",
                hint="start one with `kubecurrent rollout start` or apply a FleetUpgrade",
            )
        return found[0].id

    def waves(self, rid: str) -> list[WaveRecord]:
        return c.waves_from(self._fleet(rid))

    def _cluster_objs(self, rid: str) -> list[dict[str, Any]]:
        """The ClusterUpgrades of ``rid`` in rollout order, listed by the rollout's label."""
        found = self._call(
            "list",
            "clusterupgrades",
            lambda: list(
                self.client.list(
                    ClusterUpgrade,
                    namespace=self.namespace,
                    labels={c.ROLLOUT_LABEL: c.rollout_label(rid)},
                )
            ),
        )
        objs = [_plain(o) for o in found if o["spec"]["fleetUpgrade"] == rid]
        return sorted(objs, key=_cluster_order)

    def clusters(self, rid: str, wave: int | None = None) -> list[ClusterRecord]:
        """The clusters of ``rid`` (of wave ``wave``): from the mirror when there is one — the
        engine's polls; a moment stale, never older than this store's own writes."""
        mirror = self._mirrored()
        if mirror is not None:
            mine = [o for o in mirror.objects() if o["spec"]["fleetUpgrade"] == rid]
            records = [mirror.derived(o, c.cluster_from) for o in sorted(mine, key=_cluster_order)]
        else:
            records = [c.cluster_from(o) for o in self._cluster_objs(rid)]
        return [r for r in records if wave is None or r.wave == wave]

    def steps(self, rid: str, cluster: str | None = None) -> list[StepRecord]:
        if cluster is not None:
            return c.steps_from(self._cluster_obj(rid, cluster))
        return [s for o in self._cluster_objs(rid) for s in c.steps_from(o)]

    def journal(self, rid: str) -> list[JournalEntry]:
        entries = c.journal_from(rid, self._fleet(rid))
        for obj in self._cluster_objs(rid):
            entries.extend(c.journal_from(rid, obj))
        return sorted(entries, key=lambda e: (e.seq, e.time))

    def audit_records(self, rid: str) -> list[AuditEntry]:
        texts = list((self._fleet(rid).get("status") or {}).get("audit", []))
        for obj in self._cluster_objs(rid):
            texts.extend((obj.get("status") or {}).get("audit", []))
        entries = [c.audit_from(t) for t in texts]
        return sorted(entries, key=lambda e: e.time)

    # --- creating and recording ------------------------------------------------------------

    def create(
        self,
        rollout: RolloutRecord,
        waves: Sequence[WaveRecord],
        clusters: Sequence[ClusterRecord],
        change: Change,
    ) -> None:
        body = FleetUpgrade(
            metadata=ObjectMeta(name=rollout.id, namespace=self.namespace),
            spec=c.rollout_spec(rollout),
        )
        try:
            made = self._call("create", "fleetupgrades", self.client.create, body)
        except ApiError as exc:
            if exc.status.code == 409:
                raise UsageError(
                    f"rollout {rollout.id} exists already in {self._where}",
                    hint="give it another id, or continue it with `kubecurrent rollout resume`",
                ) from None
            raise
        self.adopt(rollout, str(made.metadata.uid), waves, clusters, change)

    def adopt(
        self,
        rollout: RolloutRecord,
        uid: str,
        waves: Sequence[WaveRecord],
        clusters: Sequence[ClusterRecord],
        change: Change,
    ) -> None:
        """Record the rollout of an existing FleetUpgrade (``uid``), one a person applied:
        its ClusterUpgrades, then its status — the write that makes it a rollout. Adopting
        again after a crash in between keeps the ClusterUpgrades made already."""
        owner = OwnerReference(
            apiVersion=f"{GROUP}/{VERSION}",
            kind="FleetUpgrade",
            name=rollout.id,
            uid=uid,
            controller=True,
        )
        for record in clusters:
            obj = ClusterUpgrade(
                metadata=ObjectMeta(
                    name=c.cluster_name(rollout.id, record.name),
                    namespace=self.namespace,
                    labels={c.ROLLOUT_LABEL: c.rollout_label(rollout.id)},
                    ownerReferences=[owner],
                ),
                spec=c.cluster_spec(record, rollout.target),
            )
            try:
                created = _plain(self._call("create", "clusterupgrades", self.client.create, obj))
            except ApiError as exc:
                if exc.status.code == 409:  # made before a crash: keep it as it is
                    continue
                raise
            created["status"] = c.cluster_status(record)  # the write puts it in the mirror
            self._write_status(ClusterUpgrade, created)

        def commit(obj: dict[str, Any], status: Status) -> None:
            status.update(c.rollout_status(rollout, waves))
            note = self._entry(rollout.id, Entity.NOTE, rollout.id, None, "note", change)
            c.append_bounded(status, "journal", [note], c.ROLLOUT_JOURNAL)

        self._update(FleetUpgrade, rollout.id, commit, recorded=False)

    def record_plan(
        self,
        rid: str,
        cluster: str,
        plan: ClusterPlan,
        findings_before: Mapping[str, int],
        change: Change,
    ) -> None:
        def apply(obj: dict[str, Any], status: Status) -> None:
            status["plan"] = plan.model_dump_json(by_alias=True)
            status["fromVersion"] = plan.from_version
            status["findingsBefore"] = dict(findings_before)
            steps = {int(s["order"]): s for s in status.get("steps", [])}
            for step in plan.steps:
                steps.setdefault(
                    step.order,
                    c.step_json(
                        StepRecord(
                            rid,
                            cluster,
                            step.order,
                            step.type,
                            step.target,
                            StepState.PENDING,
                            step.from_,
                            step.to,
                            step.why,
                        )
                    ),
                )
            status["steps"] = [steps[k] for k in sorted(steps)]
            note = self._entry(rid, Entity.NOTE, rid, None, "note", change)
            c.append_bounded(status, "journal", [note], c.CLUSTER_JOURNAL)

        self._update(ClusterUpgrade, c.cluster_name(rid, cluster), apply)

    def keep_baseline(self, rid: str, cluster: str, baseline: Baseline) -> None:
        def apply(obj: dict[str, Any], status: Status) -> None:
            record = c.cluster_from(obj)
            status.update(c.cluster_status(replace(record, baseline=baseline)))

        self._update(ClusterUpgrade, c.cluster_name(rid, cluster), apply)

    def claim_cluster(self, rid: str, cluster: str, owner: str, shard: int) -> str | None:
        """Record that controller replica ``owner``, holding shard ``shard``, runs ``cluster``
        now (``status.owner``, ``status.shard``); returns the previous owner, if any. The
        shard's Lease is what entitles ``owner``: whoever holds it may take the claim over."""

        def apply(obj: dict[str, Any], status: Status) -> str | None:
            old = status.get("owner")
            status["owner"], status["shard"] = owner, shard
            return str(old) if old else None

        return self._update(ClusterUpgrade, c.cluster_name(rid, cluster), apply)

    def owners(self, rid: str) -> dict[str, str | None]:
        """Each cluster of ``rid`` → the replica that claimed it last (None: never claimed)."""
        return {
            o["spec"]["cluster"]: (o.get("status") or {}).get("owner")
            for o in self._cluster_objs(rid)
        }

    def set_runner(
        self, rid: str, settings: RunnerSettings, change: Change, audit: AuditEntry
    ) -> None:
        def apply(obj: dict[str, Any], status: Status) -> None:
            status["runner"] = encode_settings(settings)
            self._note(rid, status, change)
            c.append_bounded(status, "audit", [c.audit_json(audit)], c.ROLLOUT_AUDIT)

        self._update(FleetUpgrade, rid, apply)

    def set_strategy(self, rid: str, strategy: Strategy, change: Change) -> None:
        """Put ``strategy`` in force (same waves, other settings: concurrency, soak, windows),
        with ``change`` as a note."""

        def apply(obj: dict[str, Any], status: Status) -> None:
            status["strategy"] = strategy.model_dump_json(by_alias=True, exclude_defaults=True)
            self._note(rid, status, change)

        self._update(FleetUpgrade, rid, apply)

    def condition(
        self, name: str, kind: str, ok: bool, reason: str, message: str, when: dt.datetime
    ) -> None:
        """Set condition ``kind`` of FleetUpgrade ``name`` (recorded as a rollout or not); its
        transition time changes only when its status does."""

        def apply(obj: dict[str, Any], status: Status) -> None:
            value = "True" if ok else "False"
            conditions = [x for x in status.get("conditions", []) if x["type"] != kind]
            old = next((x for x in status.get("conditions", []) if x["type"] == kind), None)
            since = old["lastTransitionTime"] if old and old["status"] == value else None
            conditions.append(
                {
                    "type": kind,
                    "status": value,
                    "reason": reason,
                    "message": c.clip(message, 1024),
                    "lastTransitionTime": since or when.strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "observedGeneration": int(obj["metadata"].get("generation", 0)),
                }
            )
            status["conditions"] = conditions

        self._update(FleetUpgrade, name, apply, recorded=False)

    def _note(self, rid: str, status: Status, change: Change) -> None:
        note = self._entry(rid, Entity.NOTE, rid, None, "note", change)
        c.append_bounded(status, "journal", [note], c.ROLLOUT_JOURNAL)

    def note(self, rid: str, change: Change) -> None:
        self._update(FleetUpgrade, rid, lambda obj, status: self._note(rid, status, change))

    def audit(self, entry: AuditEntry) -> None:
        if entry.cluster is not None:
            name = c.cluster_name(entry.rollout, entry.cluster)
            mirror = self._mirrored()
            known = mirror is not None and mirror.get(name) is not None
            if known or self._get(ClusterUpgrade, name) is not None:
                self._update(
                    ClusterUpgrade,
                    name,
                    lambda obj, status: c.append_bounded(
                        status, "audit", [c.audit_json(entry)], c.CLUSTER_AUDIT
                    ),
                )
                return
        self._update(
            FleetUpgrade,
            entry.rollout,
            lambda obj, status: c.append_bounded(
                status, "audit", [c.audit_json(entry)], c.ROLLOUT_AUDIT
            ),
        )

    # --- requests and approvals ------------------------------------------------------------

    def request(
        self, rid: str, request: Request | None, change: Change, audit: AuditEntry | None = None
    ) -> None:
        def apply(obj: dict[str, Any], status: Status) -> None:
            if request is None:
                status.pop("request", None)
            else:
                status["request"] = request.value
            if change.detail:
                self._note(rid, status, change)
            if audit is not None:
                c.append_bounded(status, "audit", [c.audit_json(audit)], c.ROLLOUT_AUDIT)

        self._update(FleetUpgrade, rid, apply)

    def record_approval(self, rid: str, wave: int, change: Change, audit: AuditEntry) -> Approval:
        """One person's approval, judged and written as one compare-and-set on the FleetUpgrade:
        a concurrent approval makes the write conflict, and the rule is judged again on what the
        other wrote (so the last place is taken once and nobody counts twice)."""

        def apply(obj: dict[str, Any], status: Status) -> Approval:
            found = _wave(status, wave, rid)
            current = next(w for w in c.waves_from(obj) if w.index == wave)
            outcome = judge(c.rollout_from(obj), current, change.actor)
            approvers = current.approvers
            if outcome is ApprovalOutcome.STARTER_REFUSED:
                entry = c.audit_json(refusal(audit, current.name))
                c.append_bounded(status, "audit", [entry], c.ROLLOUT_AUDIT)
            elif outcome.recorded:
                approvers = (*approvers, change.actor)
                found["approvers"] = [c.clip(a, 128) for a in approvers]
                self._note(rid, status, change)
                c.append_bounded(status, "audit", [c.audit_json(audit)], c.ROLLOUT_AUDIT)
            if outcome is ApprovalOutcome.OPENED:
                found["approvedAt"] = c.stamp(change.when)
            return Approval(current.name, approvers, current.approvals_needed, outcome)

        return self._update(FleetUpgrade, rid, apply)

    # --- transitions -----------------------------------------------------------------------

    def move_rollout(
        self,
        rid: str,
        to: RolloutState,
        change: Change,
        *,
        only_from: frozenset[RolloutState] | None = None,
        clear_request: bool = False,
    ) -> RolloutState | None:
        def apply(obj: dict[str, Any], status: Status) -> RolloutState | None:
            old = RolloutState(status.get("phase", "pending"))
            if only_from is not None and old not in only_from:
                return None
            status["phase"] = to.value
            status["message"] = c.clip(change.detail, 1024)
            status["updated"] = c.stamp(change.when)
            if clear_request:
                status.pop("request", None)
            if old != to:
                entry = self._entry(rid, Entity.ROLLOUT, rid, old.value, to.value, change)
                c.append_bounded(status, "journal", [entry], c.ROLLOUT_JOURNAL)
            return old

        return self._update(FleetUpgrade, rid, apply)

    def _move_wave(
        self,
        rid: str,
        status: Status,
        index: int,
        to: WaveState,
        change: Change,
        only_from: frozenset[WaveState] | None,
        times: Mapping[str, dt.datetime | None],
    ) -> WaveState | None:
        found = _wave(status, index, rid)
        old = WaveState(found["state"])
        if only_from is not None and old not in only_from:
            return None
        found["state"] = to.value
        found["detail"] = c.clip(change.detail, 512)
        if not found["detail"]:
            del found["detail"]
        for key, when in times.items():
            if when is not None:
                found[key] = c.stamp(when)
        if old != to:
            entry = self._entry(rid, Entity.WAVE, str(index), old.value, to.value, change)
            c.append_bounded(status, "journal", [entry], c.ROLLOUT_JOURNAL)
        return old

    def move_wave(
        self,
        rid: str,
        wave: int,
        to: WaveState,
        change: Change,
        *,
        only_from: frozenset[WaveState] | None = None,
        started: dt.datetime | None = None,
        finished: dt.datetime | None = None,
        soak_until: dt.datetime | None = None,
    ) -> WaveState | None:
        times = {"started": started, "finished": finished, "soakUntil": soak_until}
        return self._update(
            FleetUpgrade,
            rid,
            lambda obj, status: self._move_wave(rid, status, wave, to, change, only_from, times),
        )

    def move_waves(
        self, rid: str, to: WaveState, change: Change, *, only_from: frozenset[WaveState]
    ) -> list[int]:
        def apply(obj: dict[str, Any], status: Status) -> list[int]:
            moved = []
            for w in list(status.get("waves", [])):
                if self._move_wave(rid, status, int(w["index"]), to, change, only_from, {}):
                    moved.append(int(w["index"]))
            return moved

        return self._update(FleetUpgrade, rid, apply)

    def move_cluster(
        self,
        rid: str,
        cluster: str,
        to: ClusterState,
        change: Change,
        *,
        only_from: frozenset[ClusterState] | None = None,
        started: dt.datetime | None = None,
        finished: dt.datetime | None = None,
        final_version: str | None = None,
        findings_after: Mapping[str, int] | None = None,
    ) -> ClusterState | None:
        def apply(obj: dict[str, Any], status: Status) -> ClusterState | None:
            old = ClusterState(status.get("state", "pending"))
            if only_from is not None and old not in only_from:
                return None
            status["state"] = to.value
            status["detail"] = c.clip(change.detail, 1024)
            if started is not None:
                status["started"] = c.stamp(started)
            if finished is not None:
                status["finished"] = c.stamp(finished)
            if final_version is not None:
                status["finalVersion"] = final_version
            if findings_after is not None:
                status["findingsAfter"] = dict(findings_after)
            if old != to:
                entry = self._entry(rid, Entity.CLUSTER, cluster, old.value, to.value, change)
                c.append_bounded(status, "journal", [entry], c.CLUSTER_JOURNAL)
            return old

        return self._update(ClusterUpgrade, c.cluster_name(rid, cluster), apply)

    def move_clusters(
        self, rid: str, to: ClusterState, change: Change, *, only_from: frozenset[ClusterState]
    ) -> list[str]:
        moved = []
        for record in self.clusters(rid):
            if record.state in only_from and self.move_cluster(
                rid, record.name, to, change, only_from=only_from
            ):
                moved.append(record.name)
        return moved

    def move_step(
        self,
        rid: str,
        cluster: str,
        order: int,
        to: StepState,
        change: Change,
        *,
        audit: AuditEntry | None = None,
        started: dt.datetime | None = None,
        finished: dt.datetime | None = None,
    ) -> StepState | None:
        def apply(obj: dict[str, Any], status: Status) -> StepState | None:
            found = next((s for s in status.get("steps", []) if int(s["order"]) == order), None)
            if found is None:
                raise UsageError(f"rollout {rid}: cluster {cluster} has no step {order}")
            old = StepState(found["state"])
            found["state"] = to.value
            if change.detail:
                found["detail"] = c.clip(change.detail, 512)
            if started is not None:
                found["started"] = c.stamp(started)
            if finished is not None:
                found["finished"] = c.stamp(finished)
            if old != to:
                ref = f"{cluster}:{order}"
                entry = self._entry(rid, Entity.STEP, ref, old.value, to.value, change)
                c.append_bounded(status, "journal", [entry], c.CLUSTER_JOURNAL)
            if audit is not None:
                c.append_bounded(status, "audit", [c.audit_json(audit)], c.CLUSTER_AUDIT)
            return old

        return self._update(ClusterUpgrade, c.cluster_name(rid, cluster), apply)

    # --- the driver lease ------------------------------------------------------------------

    def _lease_name(self, rid: str) -> str:
        return f"kubecurrent-driver-{c.rollout_label(rid)}"[:253]

    def lease(self, rid: str) -> LeaseRecord | None:
        found = self._get(Lease, self._lease_name(rid))
        return _lease_record(rid, found) if found is not None else None

    def take_lease(
        self, lease: LeaseRecord, now: dt.datetime, dead: Callable[[LeaseRecord], bool]
    ) -> LeaseRecord | None:
        name = self._lease_name(lease.rollout)
        for _ in range(RETRIES):
            try:
                current = self._call(
                    "get", "leases", self.client.get, Lease, name, namespace=self.namespace
                )
            except ApiError as exc:
                if exc.status.code != 404:
                    raise
                current = None
            if current is not None:
                held = _lease_record(lease.rollout, _plain(current))
                live = held is not None and held.expires > now and not dead(held)
                if held is not None and held.holder != lease.holder and live:
                    return held
            body = _lease_body(name, self.namespace, lease, now, current)
            try:
                if current is None:
                    self._call("create", "leases", self.client.create, body)
                else:
                    self._call("update", "leases", self.client.replace, body)
            except ApiError as exc:
                if exc.status.code == 409:
                    continue
                raise
            return None
        raise StoreConflict(f"{self._where}: lease {name} kept changing", hint="try again")

    def renew_lease(self, rid: str, holder: str, expires: dt.datetime) -> bool:
        name = self._lease_name(rid)
        for _ in range(RETRIES):
            try:
                current = self._call(
                    "get", "leases", self.client.get, Lease, name, namespace=self.namespace
                )
            except ApiError as exc:
                if exc.status.code == 404:
                    return False
                raise
            if current.spec is None or current.spec.holderIdentity != holder:
                return False
            assert current.metadata is not None
            annotations = dict(current.metadata.annotations or {})
            annotations[_EXPIRES] = c.stamp(expires) or ""
            current.metadata.annotations = annotations
            current.spec.renewTime = dt.datetime.now(dt.UTC)
            try:
                self._call("update", "leases", self.client.replace, current)
            except ApiError as exc:
                if exc.status.code == 409:
                    continue
                raise
            return True
        return False

    def release_lease(self, rid: str, holder: str) -> None:
        held = self.lease(rid)
        if held is None or held.holder != holder:
            return
        try:
            self._call(
                "delete",
                "leases",
                self.client.delete,
                Lease,
                self._lease_name(rid),
                namespace=self.namespace,
            )
        except ApiError as exc:
            if exc.status.code != 404:
                raise


_EXPIRES = "kubecurrent.io/expires"
_HOST = "kubecurrent.io/host"
_PID = "kubecurrent.io/pid"
_STARTED = "kubecurrent.io/pid-started"


def _lease_body(
    name: str, namespace: str, lease: LeaseRecord, now: dt.datetime, current: Lease | None
) -> Lease:
    annotations = {
        _EXPIRES: c.stamp(lease.expires) or "",
        _HOST: lease.host,
        _PID: str(lease.pid),
        _STARTED: repr(lease.pid_started),
    }
    seconds = max(1, round((lease.expires - now).total_seconds()))
    meta = ObjectMeta(name=name, namespace=namespace, annotations=annotations)
    transitions = 0
    if current is not None and current.metadata is not None:
        meta.resourceVersion = current.metadata.resourceVersion
        transitions = ((current.spec.leaseTransitions if current.spec else None) or 0) + 1
    spec = LeaseSpec(
        holderIdentity=lease.holder,
        leaseDurationSeconds=seconds,
        acquireTime=now,
        renewTime=now,
        leaseTransitions=transitions,
    )
    return Lease(metadata=meta, spec=spec)


def _lease_record(rid: str, obj: Mapping[str, Any]) -> LeaseRecord | None:
    spec = obj.get("spec") or {}
    notes = (obj.get("metadata") or {}).get("annotations") or {}
    if not spec.get("holderIdentity") or _EXPIRES not in notes:
        return None
    return LeaseRecord(
        rollout=rid,
        holder=spec["holderIdentity"],
        host=notes.get(_HOST, ""),
        pid=int(notes.get(_PID, "0")),
        pid_started=float(notes.get(_STARTED, "0")),
        expires=dt.datetime.fromisoformat(notes[_EXPIRES]),
    )


def _cluster_order(obj: Mapping[str, Any]) -> tuple[int, str]:
    return int(obj["spec"].get("position", 0)), str(obj["spec"]["cluster"])


def _wave(status: Status, index: int, rid: str) -> dict[str, Any]:
    waves: list[dict[str, Any]] = status.get("waves", [])
    for found in waves:
        if int(found["index"]) == index:
            return found  # the stored dict itself: the caller edits it in place
    raise UsageError(f"rollout {rid} has no wave number {index}")


def _plural(res: Any) -> str:
    return str(res._api_info.plural)


def _plain(obj: Any) -> dict[str, Any]:
    """A lightkube object as plain JSON data."""
    return cast(dict[str, Any], obj.to_dict())


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def _conforms(store: KubeStore) -> RolloutStore:
    """mypy checks here that ``KubeStore`` has every method of the protocol, typed alike."""
    return store

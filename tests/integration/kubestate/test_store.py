"""``KubeStore`` keeps the ``RolloutStore`` promises on a real API server: records round-trip,
moves are compare-and-set under concurrent writers (409 → re-read and decide), the journal and
audit trail stay bounded, approvals come from the store or from an operator's patch, and the
driver lease is exclusive."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from lightkube import codecs
from lightkube.types import PatchType

from kubecurrent import sandbox as sb
from kubecurrent.errors import ClusterError, UsageError
from kubecurrent.kubestate import (
    ETCD_REQUEST_LIMIT,
    ClusterUpgrade,
    FleetUpgrade,
    KubeStore,
    install_crds,
)
from kubecurrent.model.plan import ClusterPlan, Step
from kubecurrent.rollout import (
    ApprovalOutcome,
    AuditAction,
    AuditEntry,
    Change,
    ClusterRecord,
    ClusterRef,
    ClusterState,
    Entity,
    LeaseRecord,
    Request,
    RolloutRecord,
    RolloutState,
    RolloutStore,
    RunnerSettings,
    StepState,
    Strategy,
    WaveRecord,
    WaveState,
)
from tests.integration.conftest import SessionSandbox

pytestmark = pytest.mark.integration

T0 = dt.datetime(2026, 12, 6, 12, 0, tzinfo=dt.UTC)
RID = "r-20261206-120000-abcd"
NAMES = ("dev-1", "prod-1", "prod-2")


def change(detail: str = "", minutes: int = 0, actor: str = "alice") -> Change:
    return Change(actor, T0 + dt.timedelta(minutes=minutes), detail)


@pytest.fixture(scope="module")
def crds(cluster: SessionSandbox) -> None:
    install_crds(cluster.client(), "kubecurrent-tests")


@pytest.fixture(params=[False, True], ids=["listed", "mirrored"])
def store(
    crds: None, cluster: SessionSandbox, namespace: str, request: pytest.FixtureRequest
) -> Iterator[KubeStore]:
    """The rollout ``RID``, in a store that lists its ClusterUpgrades, or one that keeps a
    watch-fed mirror of them (as the controller does): every promise holds for both."""
    kube = KubeStore(
        cluster.client(), namespace, f"k8s://sandbox/{namespace}", mirror=request.param
    )
    strategy = Strategy.model_validate(
        {
            "waves": [
                {"name": "canary", "count": 1, "soak": "90s"},
                {"name": "rest", "approvals": 2},
            ],
            "starterMayApprove": False,
        }
    )
    record = RolloutRecord(
        RID,
        "1.37",
        "fleet.yaml",
        strategy,
        RolloutState.PENDING,
        T0,
        T0,
        "alice",
        runner=RunnerSettings(provider="sandbox", helm_timeout=300.0),
    )
    waves = [
        WaveRecord(RID, 0, "canary", WaveState.PENDING, 0),
        WaveRecord(RID, 1, "rest", WaveState.PENDING, 2),
    ]
    clusters = [
        ClusterRecord(
            RID,
            ClusterRef(name, context=f"ctx-{name}", labels={"env": name.split("-")[0]}),
            0 if i == 0 else 1,
            i,
            ClusterState.PENDING,
        )
        for i, name in enumerate(NAMES)
    ]
    kube.create(record, waves, clusters, change("created"))
    yield kube
    kube.close()


def test_it_is_a_rollout_store(store: KubeStore) -> None:
    typed: RolloutStore = store  # mypy checks the protocol; this checks the import works
    assert typed.where.startswith("k8s://sandbox/")


def test_records_round_trip(store: KubeStore) -> None:
    rollout = store.rollout(RID)
    assert (rollout.target, rollout.state, rollout.actor, rollout.fleet) == (
        "1.37",
        RolloutState.PENDING,
        "alice",
        "fleet.yaml",
    )
    assert rollout.strategy.waves[0].soak == dt.timedelta(seconds=90)
    assert rollout.runner == RunnerSettings(provider="sandbox", helm_timeout=300.0)
    assert rollout.created == T0
    assert store.latest() == RID and [r.id for r in store.rollouts()] == [RID]
    assert [(w.name, w.approvals_needed, w.state) for w in store.waves(RID)] == [
        ("canary", 0, WaveState.PENDING),
        ("rest", 2, WaveState.PENDING),
    ]
    members = store.clusters(RID)
    assert [(m.name, m.wave, m.position) for m in members] == [
        ("dev-1", 0, 0),
        ("prod-1", 1, 1),
        ("prod-2", 1, 2),
    ]
    assert members[1].ref.context == "ctx-prod-1" and members[1].ref.labels == {"env": "prod"}
    assert [m.name for m in store.clusters(RID, wave=1)] == ["prod-1", "prod-2"]


def test_an_unknown_rollout_names_the_known_ones(store: KubeStore) -> None:
    with pytest.raises(UsageError) as caught:
        store.rollout("r-nope")
    assert "no rollout 'r-nope'" in caught.value.message and RID in (caught.value.hint or "")


def test_a_move_is_a_compare_and_set_journalled_once(store: KubeStore) -> None:
    pending = frozenset({ClusterState.PENDING})
    assert (
        store.move_cluster(RID, "dev-1", ClusterState.RUNNING, change("go", 1), only_from=pending)
        == ClusterState.PENDING
    )
    assert (
        store.move_cluster(
            RID, "dev-1", ClusterState.RUNNING, change("again", 2), only_from=pending
        )
        is None
    )
    assert (
        store.move_cluster(RID, "dev-1", ClusterState.RUNNING, change("same", 3))
        == ClusterState.RUNNING
    )
    moves = [e for e in store.journal(RID) if e.entity is Entity.CLUSTER]
    assert [(e.ref, e.from_state, e.to_state, e.detail) for e in moves] == [
        ("dev-1", "pending", "running", "go")
    ]
    assert store.clusters(RID)[0].detail == "same"


def test_of_two_racing_writers_exactly_one_wins(
    store: KubeStore, cluster: SessionSandbox, namespace: str
) -> None:
    other = KubeStore(cluster.client(), namespace, store.where)
    results: list[ClusterState | None] = []
    barrier = threading.Barrier(2)

    def claim(s: KubeStore, who: str) -> None:
        barrier.wait()
        results.append(
            s.move_cluster(
                RID,
                "prod-1",
                ClusterState.RUNNING,
                change(who, 1, who),
                only_from=frozenset({ClusterState.PENDING}),
            )
        )

    threads = [threading.Thread(target=claim, args=(s, w)) for s, w in ((store, "a"), (other, "b"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results, key=str) == [None, ClusterState.PENDING]
    assert len([e for e in store.journal(RID) if e.ref == "prod-1"]) == 1


def test_concurrent_changes_to_one_object_are_all_kept(store: KubeStore) -> None:
    plan = ClusterPlan(
        name="prod-2",
        status="ok",
        from_version="1.36.3",
        target="1.37.2",
        steps=tuple(
            Step(
                order=i,
                type="addon",
                target=f"addon-{i}",
                from_="1.0",
                to="2.0",
                why="supported",
                without="breaks",
                hop=1,
            )
            for i in range(1, 9)
        ),
    )
    store.record_plan(RID, "prod-2", plan, {"error": 1}, change("planned"))
    threads = [
        threading.Thread(
            target=store.move_step,
            args=(RID, "prod-2", i, StepState.DONE, change(f"step {i}", i)),
        )
        for i in range(1, 9)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    steps = store.steps(RID, "prod-2")
    assert [(s.order, s.state) for s in steps] == [(i, StepState.DONE) for i in range(1, 9)]
    assert store.clusters(RID)[2].plan == plan
    assert store.clusters(RID)[2].findings_before == {"error": 1}


def test_journal_and_audit_stay_bounded(
    store: KubeStore, cluster: SessionSandbox, namespace: str
) -> None:
    for i in range(130):
        to = ClusterState.RUNNING if i % 2 == 0 else ClusterState.PENDING
        store.move_cluster(RID, "prod-2", to, change("x" * 400, i))
    for _ in range(45):
        store.audit(AuditEntry(T0, "alice", "node.cordon", RID, "prod-2", detail="d" * 2000))
    obj = cluster.client().get(ClusterUpgrade, f"{RID}.prod-2", namespace=namespace)
    status = obj["status"]
    assert len(status["journal"]) == 100 and status["journalDropped"] == 30
    assert len(status["audit"]) == 40 and status["auditDropped"] == 5
    assert len(status["journal"][0]["detail"]) == 256  # clipped to the schema's limit
    assert store.largest_write < ETCD_REQUEST_LIMIT
    assert len([a for a in store.audit_records(RID) if a.cluster == "prod-2"]) == 40


def _approve(store: KubeStore, actor: str, minutes: int) -> ApprovalOutcome:
    audit = AuditEntry(T0, actor, AuditAction.APPROVE, RID, extra={"wave": "rest"})
    return store.record_approval(RID, 1, change("CAB-1", minutes, actor), audit).outcome


def test_two_people_approve_from_the_store_or_an_operators_patch_never_the_starter(
    store: KubeStore, cluster: SessionSandbox, namespace: str
) -> None:
    assert _approve(store, "alice", 1) is ApprovalOutcome.STARTER_REFUSED
    assert _approve(store, "bob", 2) is ApprovalOutcome.COUNTED
    assert _approve(store, "bob", 3) is ApprovalOutcome.REPEATED
    rest = store.waves(RID)[1]
    assert (rest.approvers, rest.approved_by) == (("bob",), None)
    denied = [a for a in store.audit_records(RID) if a.outcome == "denied"]
    assert [a.user for a in denied] == ["alice"]
    cluster.client().patch(
        FleetUpgrade,
        RID,
        [
            {
                "op": "add",
                "path": "/spec/approvals",
                "value": [{"wave": "rest", "by": "alice"}, {"wave": "rest", "by": "dana"}],
            }
        ],
        namespace=namespace,
        patch_type=PatchType.JSON,
    )
    rest = store.waves(RID)[1]  # the starter's patched approval does not count; dana's does
    assert (rest.approvers, rest.approved_by) == (("bob", "dana"), "bob, dana")
    assert _approve(store, "carol", 4) is ApprovalOutcome.ALREADY_OPEN
    assert store.waves(RID)[0].approved_by is None  # the canary has no gate


def test_approvals_at_the_same_moment_open_the_gate_once(
    store: KubeStore, cluster: SessionSandbox, namespace: str
) -> None:
    people = ["bob", "carol", "dana", "erin", "fay", "gus"]
    stores = [KubeStore(cluster.client(), namespace, store.where) for _ in people]
    with ThreadPoolExecutor(len(people)) as pool:
        outcomes = list(pool.map(_approve, stores, people, range(len(people))))
    assert sorted(o.value for o in outcomes) == sorted(
        ["counted", "opened", *["already-open"] * (len(people) - 2)]
    )
    rest = store.waves(RID)[1]
    assert len(rest.approvers) == 2 and rest.approved_at is not None
    assert rest.approved_by == ", ".join(rest.approvers)
    counted = [a for a in store.audit_records(RID) if a.action == AuditAction.APPROVE]
    assert sorted(a.user for a in counted) == sorted(rest.approvers)


def test_rollout_and_wave_moves_and_requests(store: KubeStore) -> None:
    assert store.move_rollout(RID, RolloutState.RUNNING, change("go")) == RolloutState.PENDING
    store.request(RID, Request.PAUSE, change("pause please"))
    assert store.rollout(RID).request is Request.PAUSE
    assert (
        store.move_rollout(RID, RolloutState.PAUSED, change(), clear_request=True)
        == RolloutState.RUNNING
    )
    assert store.rollout(RID).request is None
    soak = T0 + dt.timedelta(minutes=9)
    assert (
        store.move_wave(RID, 0, WaveState.SOAKING, change(), soak_until=soak) == WaveState.PENDING
    )
    assert store.waves(RID)[0].soak_until == soak
    assert store.move_waves(
        RID, WaveState.HALTED, change(), only_from=frozenset({WaveState.PENDING})
    ) == [1]


def test_the_driver_lease_is_exclusive_until_it_expires(store: KubeStore) -> None:
    now = dt.datetime.now(dt.UTC)
    mine = LeaseRecord(RID, "pod-a", "pod-a", 1, 1.0, now + dt.timedelta(seconds=30))
    theirs = LeaseRecord(RID, "pod-b", "pod-b", 1, 1.0, now + dt.timedelta(seconds=30))
    assert store.take_lease(mine, now, lambda _: False) is None
    held = store.take_lease(theirs, now, lambda _: False)
    assert held is not None and held.holder == "pod-a"
    assert store.renew_lease(RID, "pod-a", now + dt.timedelta(seconds=60))
    assert not store.renew_lease(RID, "pod-b", now + dt.timedelta(seconds=60))
    later = now + dt.timedelta(seconds=61)
    assert store.take_lease(theirs, later, lambda _: False) is None  # expired: taken over
    assert store.lease(RID) is not None and store.lease(RID).holder == "pod-b"  # type: ignore[union-attr]
    store.release_lease(RID, "pod-b")
    assert store.lease(RID) is None


def test_without_rbac_the_missing_permission_is_named(
    store: KubeStore, cluster: SessionSandbox, namespace: str
) -> None:
    cluster.client().create(
        codecs.from_dict(
            {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "RoleBinding",
                "metadata": {"name": "view", "namespace": namespace},
                "roleRef": {
                    "apiGroup": "rbac.authorization.k8s.io",
                    "kind": "ClusterRole",
                    "name": "view",
                },
                "subjects": [
                    {"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "peeker"}
                ],
            }
        )
    )
    peeker = KubeStore(cluster.client(sb.mint_user(cluster.name, "peeker")), namespace, store.where)
    with pytest.raises(ClusterError) as caught:
        peeker.rollout(RID)
    assert caught.value.message.endswith(f"may not get fleetupgrades in namespace {namespace}")


def _mirrored(cluster: SessionSandbox, namespace: str, where: str) -> KubeStore:
    mirrored = KubeStore(cluster.client(), namespace, where, mirror=True)
    assert [r.name for r in mirrored.clusters(RID)] == list(NAMES)  # waits for the first list
    return mirrored


def test_a_mirror_shows_its_own_writes_at_once_and_anothers_soon_without_listing(
    store: KubeStore, cluster: SessionSandbox, namespace: str
) -> None:
    mirrored = _mirrored(cluster, namespace, store.where)
    try:
        listed = mirrored.calls["list clusterupgrades"]
        before = mirrored.requests
        pending = frozenset({ClusterState.PENDING})
        mine = mirrored.move_cluster(
            RID, "dev-1", ClusterState.RUNNING, change("mine"), only_from=pending
        )
        assert mine is ClusterState.PENDING
        assert mirrored.clusters(RID)[0].state is ClusterState.RUNNING  # its own write, at once
        assert mirrored.requests - before == 1  # decided on the mirror's copy: the write alone
        store.move_cluster(RID, "prod-1", ClusterState.FAILED, change("theirs"))
        deadline = time.monotonic() + 20
        while mirrored.clusters(RID, 1)[0].state is not ClusterState.FAILED:
            assert time.monotonic() < deadline, "the watch never brought the other's write"
            time.sleep(0.05)
        assert mirrored.calls["list clusterupgrades"] == listed  # polls cost no request
    finally:
        mirrored.close()


def test_a_stale_mirror_never_decides_a_compare_and_set(
    store: KubeStore, cluster: SessionSandbox, namespace: str
) -> None:
    mirrored = _mirrored(cluster, namespace, store.where)
    assert mirrored._mirror is not None
    mirrored._mirror.stop()  # stale from the next event on: it sees no later write
    store.move_cluster(RID, "prod-1", ClusterState.RUNNING, change("theirs", 1))
    store.move_cluster(RID, "dev-1", ClusterState.RUNNING, change("theirs", 1))
    time.sleep(0.5)
    assert mirrored.clusters(RID)[0].state is ClusterState.PENDING  # stale indeed
    # the copy says pending: the write carries its old resourceVersion, conflicts, and a fresh
    # read finds prod-1 running already: nothing to do
    pending = frozenset({ClusterState.PENDING})
    took = mirrored.move_cluster(
        RID, "prod-1", ClusterState.RUNNING, change("late", 2), only_from=pending
    )
    assert took is None
    # the copy says "nothing to do" (dev-1 pending, not running): a fresh read decides, and
    # finds dev-1 running, so it moves
    running = frozenset({ClusterState.RUNNING})
    old = mirrored.move_cluster(RID, "dev-1", ClusterState.DONE, change("ok", 3), only_from=running)
    assert old is ClusterState.RUNNING
    listed = KubeStore(cluster.client(), namespace, store.where)  # no mirror: what is stored
    assert listed.clusters(RID)[0].state is ClusterState.DONE
    assert len([e for e in store.journal(RID) if e.ref == "prod-1"]) == 1

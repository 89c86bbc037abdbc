"""Fleet rollouts: strategy (waves, windows, budgets), a typed state store, a crash-safe driver,
reports.

``create`` records a rollout (waves assigned from the strategy); ``Engine.drive`` carries it out
through per-cluster ``ClusterRun`` objects the caller builds (the CLI wires collect, plan and the
executor with the right providers) and returns a ``DriveOutcome``; ``pause``/``abort``/
``approve``/``prepare_resume`` change the store; ``snapshot`` and ``render_markdown``/
``render_html`` read it. All of them go through the ``RolloutStore`` protocol (typed records and
enum states, every transition a method); ``Store`` is its SQLite home. This layer never imports
the sandbox; the CLI and the dashboard share it, so a rollout started in one is seen in the other.
"""

from kubecurrent.rollout._approvals import Approval, ApprovalOutcome, approvers_in, judge, refusal
from kubecurrent.rollout._audit import StoreAudit
from kubecurrent.rollout._control import (
    abort,
    approve,
    change_runner,
    create,
    driven,
    pause,
    prepare_resume,
    runner_options,
    snapshot,
    summaries,
)
from kubecurrent.rollout._duration import parse_duration
from kubecurrent.rollout._engine import (
    ClusterClaim,
    ClusterRun,
    Engine,
    RunnerFactory,
    RunnerSource,
)
from kubecurrent.rollout._events import NO_EVENTS, Event, EventKind, EventSink
from kubecurrent.rollout._lease import Lease, LeaseHeld
from kubecurrent.rollout._notify_spec import (
    EmailChannel,
    Notify,
    Retry,
    SecretSource,
    SlackChannel,
    TeamsChannel,
    WebhookChannel,
    check_http_url,
)
from kubecurrent.rollout._protocol import RolloutStore, StoreConflict
from kubecurrent.rollout._records import ClusterRef
from kubecurrent.rollout._report import describe_runner, render_html, render_markdown
from kubecurrent.rollout._settings import (
    RunnerSettings,
    decode_settings,
    encode_settings,
    settings_json,
)
from kubecurrent.rollout._state import (
    AuditAction,
    AuditEntry,
    Change,
    ClusterRecord,
    ClusterState,
    DriveOutcome,
    Entity,
    JournalEntry,
    JsonValue,
    LeaseRecord,
    Request,
    RolloutRecord,
    RolloutState,
    RolloutSummary,
    StepRecord,
    StepState,
    WaveRecord,
    WaveState,
    stamp,
)
from kubecurrent.rollout._store import Store, default_state_path
from kubecurrent.rollout._strategy import (
    Blackout,
    FailureBudget,
    Health,
    Member,
    Strategy,
    Wave,
    Window,
    assign_waves,
    default_strategy,
    load_strategy,
    parse_strategy,
)
from kubecurrent.rollout._windows import Opening, opening

__all__ = [
    "NO_EVENTS",
    "Approval",
    "ApprovalOutcome",
    "AuditAction",
    "AuditEntry",
    "Blackout",
    "Change",
    "ClusterClaim",
    "ClusterRecord",
    "ClusterRef",
    "ClusterRun",
    "ClusterState",
    "DriveOutcome",
    "EmailChannel",
    "Engine",
    "Entity",
    "Event",
    "EventKind",
    "EventSink",
    "FailureBudget",
    "Health",
    "JournalEntry",
    "JsonValue",
    "Lease",
    "LeaseHeld",
    "LeaseRecord",
    "Member",
    "Notify",
    "Opening",
    "Request",
    "Retry",
    "RolloutRecord",
    "RolloutState",
    "RolloutStore",
    "RolloutSummary",
    "RunnerFactory",
    "RunnerSettings",
    "RunnerSource",
    "SecretSource",
    "SlackChannel",
    "StepRecord",
    "StepState",
    "Store",
    "StoreAudit",
    "StoreConflict",
    "Strategy",
    "TeamsChannel",
    "Wave",
    "WaveRecord",
    "WaveState",
    "WebhookChannel",
    "Window",
    "abort",
    "approve",
    "approvers_in",
    "assign_waves",
    "change_runner",
    "check_http_url",
    "create",
    "decode_settings",
    "default_state_path",
    "default_strategy",
    "describe_runner",
    "driven",
    "encode_settings",
    "judge",
    "load_strategy",
    "opening",
    "parse_duration",
    "parse_strategy",
    "pause",
    "prepare_resume",
    "refusal",
    "render_html",
    "render_markdown",
    "runner_options",
    "settings_json",
    "snapshot",
    "stamp",
    "summaries",
]

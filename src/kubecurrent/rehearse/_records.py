"""What a rehearsal found: typed records, one per object outcome, hop and rehearsal.

Objects are named by ``ObjectRef`` (apiVersion as written, kind, namespace, name). An outcome is
what the twin's API server answered for one object at one hop, in the server's own words.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

__all__ = [
    "Check",
    "CrdStorage",
    "Hop",
    "NotCopied",
    "ObjectRef",
    "Outcome",
    "Rehearsal",
    "Verdict",
    "WebhookGate",
    "WebhookMode",
]


class Verdict(StrEnum):
    ACCEPTED = "accepted"
    WARNED = "warned"
    """Accepted, with a ``Warning`` header from the API server."""
    REFUSED = "refused"
    UNREADABLE = "unreadable"
    """Copied, but the API server of this hop could not list it back."""


class Check(StrEnum):
    """What the twin was asked for one object."""

    LOAD = "load"
    """Created in the twin at the starting version."""
    RESUBMIT = "resubmit"
    """Sent back unchanged (server-side dry run) through the version the API server prefers."""
    WRITER = "writer"
    """Sent back (dry run) through the API version a client of the cluster wrote it with."""
    MANIFEST = "manifest"
    """A manifest, chart or overlay document, applied server-side as a dry run."""
    READ_BACK = "read-back"


class WebhookMode(StrEnum):
    IGNORE = "ignore"
    """Copies of admission and conversion webhooks do not gate the twin (their backends are
    absent); which resources they gate is reported."""
    FAIL = "fail"
    """Copies keep their failure policy: what an absent backend would refuse is refused."""


@dataclass(frozen=True, order=True)
class ObjectRef:
    api_version: str
    kind: str
    namespace: str
    name: str

    def __str__(self) -> str:
        where = f"{self.namespace}/" if self.namespace else ""
        return f"{self.kind} {where}{self.name} ({self.api_version})"


@dataclass(frozen=True)
class Outcome:
    ref: ObjectRef
    check: Check
    verdict: Verdict
    message: str = ""
    """The API server's message (refused) or warning text (warned); empty when accepted."""
    source: str = ""
    """Where the object came from: ``cluster`` or a file (``path:line``)."""


@dataclass(frozen=True)
class NotCopied:
    """A kind of object (or one object) left out of the twin, and why."""

    what: str
    reason: str
    count: int = 1


@dataclass(frozen=True)
class CrdStorage:
    """A CRD whose ``status.storedVersions`` still names versions it no longer prefers."""

    crd: str
    stored: tuple[str, ...]
    storage: str
    stale: tuple[str, ...]
    """Stored versions that are deprecated or no longer served: objects may still be kept in
    them in etcd, so the version cannot be dropped until they are migrated."""


@dataclass(frozen=True)
class WebhookGate:
    kind: str
    """``ValidatingWebhookConfiguration``, ``MutatingWebhookConfiguration`` or
    ``CustomResourceDefinition`` (a conversion webhook)."""
    name: str
    webhook: str
    resources: tuple[str, ...]
    """``group/resource`` patterns it gates (``*`` as in the rule)."""
    failure_policy: str
    backend: str


@dataclass
class Hop:
    """One control-plane version of the rehearsal and what its API server said."""

    version: str
    """The API server's version (``v1.36.3``)."""
    outcomes: list[Outcome] = field(default_factory=list)
    """Refused, warned and unreadable outcomes (accepted ones are only counted)."""
    accepted: int = 0
    read_back: int = 0
    crd_storage: list[CrdStorage] = field(default_factory=list)
    seconds: float = 0.0

    def refused(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.verdict is Verdict.REFUSED]

    def warned(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.verdict is Verdict.WARNED]

    def unreadable(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.verdict is Verdict.UNREADABLE]


@dataclass
class Rehearsal:
    """The evidence of one rehearsal, from the cluster's version to the target."""

    cluster: str
    source_version: str
    target: str
    start_note: str = ""
    """Why the rehearsal starts where it does (the cluster's own minor, or the oldest the
    sandbox can build, with the reason)."""
    webhooks: WebhookMode = WebhookMode.IGNORE
    copied: dict[str, int] = field(default_factory=dict)
    """``Kind (group/version)`` -> objects created in the twin."""
    not_copied: list[NotCopied] = field(default_factory=list)
    load_refused: list[Outcome] = field(default_factory=list)
    """Objects the twin's API server refused at the starting version (listed, not fatal)."""
    gates: list[WebhookGate] = field(default_factory=list)
    runtime_config: tuple[str, ...] = ()
    """API versions the cluster serves beyond the defaults, turned on in the twin too."""
    hops: list[Hop] = field(default_factory=list)
    manifests: tuple[str, ...] = ()
    interrupted: str = ""
    """Why the rehearsal stopped before the target (empty when it reached it)."""

    @property
    def objects(self) -> int:
        return sum(self.copied.values())

    def ok(self) -> bool:
        """Every hop reached, nothing refused or unreadable on the way."""
        return not self.interrupted and not any(h.refused() or h.unreadable() for h in self.hops)

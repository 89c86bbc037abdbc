"""The optional PromQL health gate: queries against a Prometheus that must hold between steps.

A query **holds** when its instant query (``GET <url>/api/v1/query?query=...``) succeeds and
returns

- a vector with at least one sample, every sample's value a number other than 0 and NaN
  (``sum(up{job="apiserver"}) >= 1``, ``up{job="apiserver"} == 1``), or
- a scalar other than 0 and NaN (``scalar(sum(up{job="apiserver"}))``).

It does **not** hold when the vector is empty: a comparison used as a filter drops the series
it does not match, so ``up{job="nonexistent"} == 1`` (nothing matched) means "false". A native
histogram sample is not a truth value and does not hold either. A string or a range vector
(``up[5m]``) can never be a condition: the query is refused at once, like one Prometheus
rejects as malformed (HTTP 400, ``bad_data``), since waiting cannot change it.

``PromQLGate`` composes with the cluster's own ``HealthGate``: it runs the wrapped gate first,
then polls each ``PromQLCheck`` until all its queries hold in the same round (every ``poll``
seconds) or its ``timeout`` passes, and stops
the upgrade naming the query, its last result and the Prometheus URL. An unreachable or failing
Prometheus (connection errors, HTTP 5xx, 503 timeouts, 422 execution errors) is retried on every
poll and becomes a permanent failure at the timeout. Each query's verdict is an audit record
``promql.check`` (query, Prometheus URL, result summary, ``ok`` or ``failed``).

The bearer token comes from ``$KUBECURRENT_PROMETHEUS_TOKEN`` only, and is never written to a
message, a log or the audit trail. TLS certificates are verified (the system's CAs, or
``ca``'s file).

The response format follows the Prometheus HTTP API reference,
https://prometheus.io/docs/prometheus/latest/querying/api/ ("Expression query result formats").
"""

from __future__ import annotations

import math
import os
import ssl
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from kubecurrent.errors import UsageError
from kubecurrent.execute._audit import Audit
from kubecurrent.execute._clock import Clock
from kubecurrent.execute._errors import PermanentStepError, RetryableStepError
from kubecurrent.execute._executor import Gate
from kubecurrent.execute._health import Baseline

__all__ = [
    "TOKEN_ENV",
    "PromQLCheck",
    "PromQLGate",
    "Prometheus",
    "Verdict",
    "check_prometheus_url",
    "evaluate",
    "redact_url",
]

TOKEN_ENV = "KUBECURRENT_PROMETHEUS_TOKEN"  # noqa: S105 - the variable's name, not a secret
"""The environment variable holding the bearer token sent to Prometheus (if set)."""
SHOWN = 3
"""Samples named in a result summary; the rest are counted."""


class MalformedQuery(PermanentStepError):
    """Prometheus refused the query (``bad_data``) or it can never be a condition."""


@dataclass(frozen=True)
class Verdict:
    """Whether one query holds now, and its result in a line a person can read."""

    query: str
    holds: bool
    summary: str


@dataclass(frozen=True)
class PromQLCheck:
    """Queries against one Prometheus that must all hold at every gate."""

    prometheus: str
    queries: tuple[str, ...]
    ca: Path | None = None
    timeout: float = 180.0
    """Seconds to wait for every query to hold (after the cluster's own gate passed)."""

    def __post_init__(self) -> None:
        check_prometheus_url(self.prometheus)
        if not self.queries or any(not q.strip() for q in self.queries):
            raise UsageError(
                f"PromQL checks against {redact_url(self.prometheus)} need at least one "
                "non-empty query",
                hint="give --health-query PROMQL (or `queries:` in the strategy's `health:`)",
            )
        if self.timeout <= 0:
            raise UsageError(f"the PromQL gate's timeout must be positive, not {self.timeout}")
        if self.ca is not None:
            tls_context(self.ca)  # a bad bundle is refused before the upgrade starts


def redact_url(url: str) -> str:
    """``url`` with any password in it replaced by ``***``, for messages, logs and records shown."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))


def check_prometheus_url(url: str) -> str:
    """``url`` when it is an http(s) URL with a host, else a ``UsageError`` naming it."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(
            f"Prometheus URL {redact_url(url)!r} is not an http:// or https:// URL with a host",
            hint="give the server's base URL, e.g. --prometheus-url https://prometheus.example:9090",
        )
    if parts.query or parts.fragment:
        raise UsageError(
            f"Prometheus URL {redact_url(url)!r} has a query or fragment; give the base URL only",
            hint="kubecurrent appends /api/v1/query itself",
        )
    return url


def tls_context(ca: Path) -> ssl.SSLContext:
    """A verifying TLS context trusting the PEM CA bundle ``ca``; a ``UsageError`` naming it."""
    try:
        return ssl.create_default_context(cafile=str(ca))
    except (OSError, ssl.SSLError) as exc:
        raise UsageError(
            f"cannot use {ca} as the Prometheus CA bundle: {exc}",
            hint="give a PEM file of CA certificates (--prometheus-ca, or `ca:` in the "
            "strategy's `health:`)",
        ) from None


# --- evaluating a response --------------------------------------------------------------------


def evaluate(query: str, payload: Any) -> Verdict:
    """The verdict on ``payload``, the JSON body of a successful instant query.

    Raises ``MalformedQuery`` for results that can never hold (strings, range vectors) and
    ``RetryableStepError`` for bodies that are not the documented format.
    """
    data = payload.get("data") if isinstance(payload, Mapping) else None
    if not isinstance(data, Mapping) or "resultType" not in data or "result" not in data:
        raise RetryableStepError(
            f"PromQL query {query!r}: the answer is not a Prometheus query result: "
            f"{_clip(repr(payload))}",
            hint="check that the URL is Prometheus's base URL (its /api/v1/query must answer)",
        )
    kind, result = data["resultType"], data["result"]
    if kind == "scalar":
        value = _number(result, query)
        return Verdict(query, _true(value), f"scalar {_show(value)}")
    if kind == "vector":
        if not isinstance(result, list):
            raise RetryableStepError(f"PromQL query {query!r}: malformed vector {_clip(result)}")
        if not result:
            return Verdict(query, False, "empty result (no series matched)")
        samples = [_sample(s, query) for s in result]
        failing = [(name, v) for name, v in samples if not _true(v)]
        shown = failing or samples
        text = ", ".join(f"{name} = {_show(v)}" for name, v in shown[:SHOWN])
        more = f" and {len(shown) - SHOWN} more" if len(shown) > SHOWN else ""
        count = f"{len(samples)} series"
        if failing:
            return Verdict(query, False, f"{count}, {len(failing)} not true: {text}{more}")
        return Verdict(query, True, f"{count}: {text}{more}")
    if kind in ("string", "matrix"):
        what = "a string" if kind == "string" else "a range vector (matrix)"
        raise MalformedQuery(
            f"PromQL query {query!r} returns {what}, which can never hold",
            hint="write an instant-vector or scalar condition, e.g. "
            "'sum(up{job=\"apiserver\"}) >= 1'",
        )
    raise RetryableStepError(f"PromQL query {query!r}: unknown result type {kind!r}")


def _sample(sample: Any, query: str) -> tuple[str, float | None]:
    """A vector sample's series name and value (None for a native histogram)."""
    if not isinstance(sample, Mapping):
        raise RetryableStepError(f"PromQL query {query!r}: malformed sample {_clip(sample)}")
    metric = sample.get("metric") or {}
    if "histogram" in sample and "value" not in sample:
        return _series(metric), None
    return _series(metric), _number(sample.get("value"), query)


def _number(pair: Any, query: str) -> float:
    """The value of a ``[timestamp, "value"]`` pair (Prometheus sends numbers as strings)."""
    if not isinstance(pair, list) or len(pair) != 2 or not isinstance(pair[1], str):
        raise RetryableStepError(f"PromQL query {query!r}: malformed value {_clip(pair)}")
    try:
        return float(pair[1])
    except ValueError:
        raise RetryableStepError(
            f"PromQL query {query!r}: value {pair[1]!r} is not a number"
        ) from None


def _true(value: float | None) -> bool:
    return value is not None and not math.isnan(value) and value != 0


def _show(value: float | None) -> str:
    if value is None:
        return "(histogram)"
    return f"{value:g}" if not math.isnan(value) else "NaN"


def _series(metric: Mapping[str, Any]) -> str:
    name = str(metric.get("__name__", ""))
    labels = ",".join(f'{k}="{v}"' for k, v in sorted(metric.items()) if k != "__name__")
    return f"{name}{{{labels}}}"


def _clip(value: object, limit: int = 200) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- talking to Prometheus --------------------------------------------------------------------


@dataclass
class Prometheus:
    """Instant queries against one Prometheus server (``GET /api/v1/query``)."""

    url: str
    ca: Path | None = None
    request_timeout: float = 10.0
    transport: httpx.BaseTransport | None = None
    """For tests: answer requests without a network."""
    _token: str | None = field(init=False, default=None, repr=False)

    def __post_init__(self) -> None:
        check_prometheus_url(self.url)
        self._token = os.environ.get(TOKEN_ENV) or None
        verify: ssl.SSLContext | bool = tls_context(self.ca) if self.ca is not None else True
        headers = {"Accept": "application/json"}
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        self._http = httpx.Client(
            base_url=self.url.rstrip("/") + "/",
            headers=headers,
            verify=verify,
            timeout=self.request_timeout,
            transport=self.transport,
            trust_env=False,
            follow_redirects=False,
        )

    def query(self, promql: str) -> Any:
        """The JSON body of a successful instant query; errors say what to check."""
        where = f"Prometheus at {redact_url(self.url)}"
        try:
            resp = self._http.get("api/v1/query", params={"query": promql})
        except httpx.HTTPError as exc:
            raise RetryableStepError(
                f"{where} is unreachable: {type(exc).__name__}: {exc}",
                hint="check --prometheus-url, the network and TLS (--prometheus-ca)",
            ) from None
        body = _json(resp)
        message = body.get("error") if isinstance(body, Mapping) else None
        detail = f"{message}" if message else _clip(resp.text)
        if resp.status_code == 200 and isinstance(body, Mapping):
            if body.get("status") == "success":
                return body
            raise RetryableStepError(f"{where} answered query {promql!r} with: {detail}")
        if resp.status_code == 400:
            raise MalformedQuery(
                f"{where} rejected PromQL query {promql!r}: {detail}",
                hint="fix the query (try it in Prometheus's expression browser)",
            )
        if resp.status_code in (401, 403):
            token = "with" if self._token else "without"
            raise PermanentStepError(
                f"{where} refused query {promql!r} (HTTP {resp.status_code}, sent {token} a "
                f"bearer token): {detail}",
                hint=f"set {TOKEN_ENV} to a token Prometheus (or its proxy) accepts",
            )
        if resp.status_code == 404:
            raise PermanentStepError(
                f"{where} has no /api/v1/query (HTTP 404)",
                hint="give Prometheus's base URL (the one whose /graph page shows the UI), "
                "including any path prefix",
            )
        raise RetryableStepError(
            f"{where} answered query {promql!r} with HTTP {resp.status_code}: {detail}",
            hint="check Prometheus's health and logs",
        )

    def close(self) -> None:
        self._http.close()


def _json(resp: httpx.Response) -> Any:
    try:
        return resp.json()
    except ValueError:
        return None


# --- the gate ---------------------------------------------------------------------------------


@dataclass
class PromQLGate:
    """The wrapped gate, then every ``PromQLCheck``'s queries must hold."""

    inner: Gate | None
    """The cluster's own gate (``HealthGate``), another ``PromQLGate``, or None: queries only."""
    checks: Sequence[PromQLCheck]
    audit: Audit
    clock: Clock = field(default_factory=Clock)
    poll: float = 5.0
    connect: Callable[[PromQLCheck], Prometheus] = lambda c: Prometheus(c.prometheus, c.ca)

    def baseline(self) -> Baseline:
        return self.inner.baseline() if self.inner is not None else Baseline()

    def wait(self, baseline: Baseline, after: str) -> None:
        if self.inner is not None:
            self.inner.wait(baseline, after)
        for check in self.checks:
            self.hold(check, after)

    def hold(self, check: PromQLCheck, after: str) -> list[Verdict]:
        """Poll until every query of ``check`` holds; the verdicts, or a ``PermanentStepError``."""
        server = self.connect(check)
        try:
            return self._poll(server, check, after)
        finally:
            server.close()

    def _poll(self, server: Prometheus, check: PromQLCheck, after: str) -> list[Verdict]:
        """Evaluate every query each round; pass when all hold in the same round."""
        deadline = self.clock.deadline(check.timeout)
        while True:
            verdicts: list[Verdict] = []
            last: dict[str, Verdict | RetryableStepError] = {}
            for query in check.queries:
                try:
                    verdict = evaluate(query, server.query(query))
                except RetryableStepError as exc:
                    last[query] = exc
                    continue
                except PermanentStepError as exc:
                    self._record(check, query, after, "failed", exc.message)
                    raise
                verdicts.append(verdict)
                if not verdict.holds:
                    last[query] = verdict
            if not last:
                for verdict in verdicts:
                    self._record(check, verdict.query, after, "ok", verdict.summary)
                return verdicts
            if self.clock.monotonic() >= deadline:
                raise self._timed_out(check, after, last)
            self.clock.sleep(min(self.poll, max(0.0, self.clock.left(deadline))))

    def _timed_out(
        self, check: PromQLCheck, after: str, last: Mapping[str, Verdict | RetryableStepError]
    ) -> PermanentStepError:
        problems = []
        for query, outcome in last.items():
            if isinstance(outcome, Verdict):
                text = f"query {query!r} does not hold: {outcome.summary}"
            else:
                text = f"query {query!r} could not be evaluated: {outcome.message}"
            self._record(check, query, after, "failed", text)
            problems.append(text)
        unreachable = all(isinstance(o, RetryableStepError) for o in last.values())
        return PermanentStepError(
            f"PromQL gate after {after} failed for {check.timeout:.0f}s "
            f"(Prometheus {redact_url(check.prometheus)}): " + "; ".join(problems),
            hint=(
                "make Prometheus reachable (--prometheus-url, --prometheus-ca, "
                f"{TOKEN_ENV}), then run the same upgrade again"
                if unreachable
                else "find out why the condition is false (or fix the query), then run the same "
                "upgrade again; finished steps are skipped"
            ),
        )

    def _record(
        self, check: PromQLCheck, query: str, after: str, outcome: str, detail: str
    ) -> None:
        self.audit.write(
            "promql.check",
            outcome=outcome,
            detail=detail,
            query=query,
            prometheus=check.prometheus,
            gate=after,
        )

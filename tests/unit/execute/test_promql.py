"""The PromQL gate: result evaluation, HTTP errors, polling and the audit trail.

Prometheus is played by ``PrometheusDouble`` — a test double answering ``/api/v1/query`` in the
response format of the Prometheus HTTP API reference
(https://prometheus.io/docs/prometheus/latest/querying/api/), served through httpx's
``MockTransport`` so nothing listens on a port. The integration test runs a real Prometheus.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from kubecurrent.errors import UsageError
from kubecurrent.execute import (
    TOKEN_ENV,
    AuditLog,
    Baseline,
    Clock,
    PermanentStepError,
    Prometheus,
    PromQLCheck,
    PromQLGate,
    RetryableStepError,
    check_prometheus_url,
    evaluate,
    read_audit,
)

URL = "http://prometheus.test:9090"


def vector(*samples: tuple[dict[str, str], str]) -> dict[str, Any]:
    result = [{"metric": m, "value": [1795641198.666, v]} for m, v in samples]
    return {"status": "success", "data": {"resultType": "vector", "result": result}}


def scalar(value: str) -> dict[str, Any]:
    return {"status": "success", "data": {"resultType": "scalar", "result": [1.5, value]}}


# --- evaluate ---------------------------------------------------------------------------------


def test_a_vector_whose_every_sample_is_non_zero_holds() -> None:
    up = {"__name__": "up", "job": "apiserver", "instance": "127.0.0.1:6443"}
    verdict = evaluate("up == 1", vector((up, "1"), ({"job": "x"}, "+Inf")))
    assert verdict.holds
    assert verdict.summary == (
        '2 series: up{instance="127.0.0.1:6443",job="apiserver"} = 1, {job="x"} = inf'
    )


def test_an_empty_vector_does_not_hold_because_a_filter_matched_nothing() -> None:
    verdict = evaluate('up{job="nonexistent"} == 1', vector())
    assert not verdict.holds
    assert verdict.summary == "empty result (no series matched)"


def test_one_zero_or_nan_sample_fails_the_vector_and_is_named_first() -> None:
    verdict = evaluate(
        "up",
        vector(({"job": "a"}, "1"), ({"job": "b"}, "0"), ({"job": "c"}, "NaN")),
    )
    assert not verdict.holds
    assert verdict.summary == '3 series, 2 not true: {job="b"} = 0, {job="c"} = NaN'


def test_a_summary_names_three_samples_and_counts_the_rest() -> None:
    samples = [({"i": str(i)}, "1") for i in range(5)]
    assert evaluate("q", vector(*samples)).summary.endswith('{i="2"} = 1 and 2 more')


@pytest.mark.parametrize(
    ("value", "holds"), [("1", True), ("-2.5", True), ("0", False), ("NaN", False)]
)
def test_a_scalar_holds_when_non_zero_and_not_nan(value: str, holds: bool) -> None:
    assert evaluate("scalar(x)", scalar(value)).holds is holds


def test_a_native_histogram_sample_is_not_a_truth_value() -> None:
    body = vector()
    body["data"]["result"] = [{"metric": {}, "histogram": [1.0, {"count": "3", "sum": "1"}]}]
    verdict = evaluate("h", body)
    assert not verdict.holds and "(histogram)" in verdict.summary


@pytest.mark.parametrize(
    ("kind", "result", "said"),
    [
        ("string", [1.0, "hello"], "returns a string"),
        ("matrix", [{"metric": {}, "values": [[1.0, "1"]]}], "returns a range vector"),
    ],
)
def test_strings_and_range_vectors_are_refused_at_once(kind: str, result: Any, said: str) -> None:
    with pytest.raises(PermanentStepError) as err:
        evaluate('"hello"', {"status": "success", "data": {"resultType": kind, "result": result}})
    assert said in err.value.message and "instant-vector" in (err.value.hint or "")


@pytest.mark.parametrize(
    "payload",
    [
        {"status": "success"},
        "not json",
        {"status": "success", "data": {"resultType": "vector", "result": "x"}},
        {"status": "success", "data": {"resultType": "scalar", "result": [1.0, "abc"]}},
        {"status": "success", "data": {"resultType": "scalar", "result": [1.0, 1]}},
        {"status": "success", "data": {"resultType": "vector", "result": [{"value": [1]}]}},
        {"status": "success", "data": {"resultType": "exemplars", "result": []}},
    ],
)
def test_bodies_that_are_not_the_documented_format_are_retryable_errors(payload: Any) -> None:
    with pytest.raises(RetryableStepError) as err:
        evaluate("up", payload)
    assert "'up'" in err.value.message


# --- the URL and the client -------------------------------------------------------------------


@pytest.mark.parametrize(
    "url", ["prometheus:9090", "ftp://p", "http://", "http://p:9090/?x=1", "http://p#a"]
)
def test_urls_that_are_not_a_base_http_url_are_refused_naming_them(url: str) -> None:
    with pytest.raises(UsageError) as err:
        check_prometheus_url(url)
    assert repr(url) in err.value.message


class PrometheusDouble:
    """Test double for Prometheus's ``GET /api/v1/query``: answers from a script of bodies."""

    def __init__(self, answer: Callable[[str], httpx.Response]) -> None:
        self.answer, self.requests = answer, []  # type: list[httpx.Request]

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.url.path.endswith("/api/v1/query"):
            return self.answer(request.url.params["query"])
        return httpx.Response(404, text="404 page not found")

    def client(self, url: str = URL, **kwargs: Any) -> Prometheus:
        return Prometheus(url, transport=httpx.MockTransport(self), **kwargs)


def ok(body: dict[str, Any]) -> Callable[[str], httpx.Response]:
    return lambda _q: httpx.Response(200, json=body)


def test_the_query_goes_to_the_api_path_under_the_base_url_with_the_token_from_the_env(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(TOKEN_ENV, "s3cret-token")
    double = PrometheusDouble(ok(vector(({"job": "a"}, "1"))))
    server = double.client("https://mon.test/prometheus/")
    assert server.query('sum(up{job="a"}) >= 1')["status"] == "success"
    sent = double.requests[0]
    assert sent.url.path == "/prometheus/api/v1/query"
    assert sent.url.params["query"] == 'sum(up{job="a"}) >= 1'
    assert sent.headers["authorization"] == "Bearer s3cret-token"
    assert "s3cret-token" not in repr(server)


def test_no_token_means_no_authorization_header(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    double = PrometheusDouble(ok(vector()))
    double.client().query("up")
    assert "authorization" not in double.requests[0].headers


def error(status: int, kind: str, message: str) -> Callable[[str], httpx.Response]:
    body = {"status": "error", "errorType": kind, "error": message}
    return lambda _q: httpx.Response(status, json=body)


def test_a_query_prometheus_rejects_is_a_permanent_error_with_its_message() -> None:
    double = PrometheusDouble(error(400, "bad_data", '1:4: parse error: unexpected "}"'))
    with pytest.raises(PermanentStepError) as err:
        double.client().query("up}")
    assert err.value.message == (
        f"Prometheus at {URL} rejected PromQL query 'up}}': 1:4: parse error: unexpected \"}}\""
    )


@pytest.mark.parametrize(
    ("answer", "said"),
    [
        (error(503, "timeout", "query timed out"), "HTTP 503: query timed out"),
        (error(422, "execution", "too many samples"), "HTTP 422: too many samples"),
        (lambda _q: httpx.Response(502, text="bad gateway"), "HTTP 502: bad gateway"),
        (error(200, "execution", "odd"), "with: odd"),
    ],
)
def test_server_side_failures_are_retryable(
    answer: Callable[[str], httpx.Response], said: str
) -> None:
    with pytest.raises(RetryableStepError) as err:
        PrometheusDouble(answer).client().query("up")
    assert said in err.value.message and URL in err.value.message


def test_refused_credentials_name_the_token_variable_but_never_the_token(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(TOKEN_ENV, "s3cret-token")
    with pytest.raises(PermanentStepError) as err:
        PrometheusDouble(lambda _q: httpx.Response(401, text="Unauthorized")).client().query("up")
    text = f"{err.value.message} {err.value.hint}"
    assert "HTTP 401, sent with a bearer token" in text and TOKEN_ENV in text
    assert "s3cret-token" not in text


def test_a_url_without_the_api_is_a_permanent_error_asking_for_the_base_url() -> None:
    server = Prometheus(URL, transport=httpx.MockTransport(lambda _r: httpx.Response(404)))
    with pytest.raises(PermanentStepError) as err:
        server.query("up")
    assert "has no /api/v1/query" in err.value.message and "base URL" in (err.value.hint or "")


def test_an_unreachable_prometheus_is_retryable_and_names_the_url() -> None:
    server = Prometheus("http://127.0.0.1:9", request_timeout=2.0)  # the discard port: closed
    with pytest.raises(RetryableStepError) as err:
        server.query("up")
    assert err.value.message.startswith("Prometheus at http://127.0.0.1:9 is unreachable: Connect")
    assert "--prometheus-url" in (err.value.hint or "")


def test_an_unreadable_ca_file_is_a_usage_error_naming_it(tmp_path: Path) -> None:
    bad = tmp_path / "ca.pem"
    bad.write_text("not a certificate")
    with pytest.raises(UsageError) as err:
        Prometheus("https://p.test", ca=bad)
    assert str(bad) in err.value.message and "--prometheus-ca" in (err.value.hint or "")
    with pytest.raises(UsageError, match="as the Prometheus CA bundle"):
        PromQLCheck("https://p.test", ("up",), ca=bad)  # refused before any gate runs


def test_a_check_needs_queries_and_a_positive_timeout() -> None:
    with pytest.raises(UsageError, match="at least one non-empty query"):
        PromQLCheck(URL, ())
    with pytest.raises(UsageError, match="at least one non-empty query"):
        PromQLCheck(URL, ("up", " "))
    with pytest.raises(UsageError, match="timeout must be positive"):
        PromQLCheck(URL, ("up",), timeout=0)


# --- the gate ---------------------------------------------------------------------------------


class FakeTime:
    """Test double for the clock: sleeping advances it at once."""

    def __init__(self) -> None:
        self.now = 0.0

    def clock(self) -> Clock:
        def sleep(seconds: float) -> None:
            self.now += seconds

        return Clock(monotonic=lambda: self.now, sleep=sleep)


class RecordingGate:
    """Test double for the cluster's own gate: records its calls, fails when told to."""

    def __init__(self, fail: bool = False) -> None:
        self.calls: list[str] = []
        self.fail = fail

    def baseline(self) -> Baseline:
        return Baseline(unavailable=frozenset({"Deployment a/b (0/1)"}))

    def wait(self, baseline: Baseline, after: str) -> None:
        self.calls.append(after)
        if self.fail:
            raise PermanentStepError("health gate failed: node n1 is not Ready")


_DEFAULT = RecordingGate()


def gate(
    tmp_path: Path,
    answer: Callable[[str], httpx.Response],
    queries: tuple[str, ...] = ("up == 1",),
    inner: RecordingGate | None = _DEFAULT,
) -> tuple[PromQLGate, PrometheusDouble, FakeTime]:
    double, time = PrometheusDouble(answer), FakeTime()
    built = PromQLGate(
        inner=RecordingGate() if inner is _DEFAULT else inner,
        checks=[PromQLCheck(URL, queries, timeout=30)],
        audit=AuditLog(tmp_path / "audit.jsonl", "c1"),
        clock=time.clock(),
        poll=5,
        connect=lambda c: double.client(c.prometheus),
    )
    return built, double, time


def test_the_gate_runs_the_cluster_gate_first_then_passes_when_every_query_holds(
    tmp_path: Path,
) -> None:
    inner = RecordingGate()
    built, double, time = gate(tmp_path, ok(vector(({"job": "a"}, "1"))), ("q1", "q2"), inner)
    assert built.baseline() == inner.baseline()
    built.wait(Baseline(), "step 2 (node-pool default)")
    assert inner.calls == ["step 2 (node-pool default)"]
    assert [r.url.params["query"] for r in double.requests] == ["q1", "q2"]
    assert time.now == 0
    records = read_audit(tmp_path / "audit.jsonl")
    assert [(r["action"], r["query"], r["outcome"]) for r in records] == [
        ("promql.check", "q1", "ok"),
        ("promql.check", "q2", "ok"),
    ]
    assert records[0]["prometheus"] == URL and records[0]["gate"] == "step 2 (node-pool default)"
    assert records[0]["detail"] == '1 series: {job="a"} = 1'


def test_a_failing_cluster_gate_stops_before_any_query(tmp_path: Path) -> None:
    built, double, _ = gate(tmp_path, ok(vector()), inner=RecordingGate(fail=True))
    with pytest.raises(PermanentStepError, match="node n1 is not Ready"):
        built.wait(Baseline(), "the start")
    assert not double.requests


def test_the_gate_polls_until_the_queries_hold_together(tmp_path: Path) -> None:
    rounds = {"n": 0}

    def answer(query: str) -> httpx.Response:
        rounds["n"] += query == "a"
        holds = query == "a" or rounds["n"] >= 3  # "b" holds from the third round on
        return httpx.Response(200, json=vector(({}, "1")) if holds else vector())

    built, double, time = gate(tmp_path, answer, ("a", "b"))
    verdicts = built.hold(built.checks[0], "step 1")
    assert [v.holds for v in verdicts] == [True, True]
    assert time.now == 10 and len(double.requests) == 6
    assert [r["outcome"] for r in read_audit(tmp_path / "audit.jsonl")] == ["ok", "ok"]


def test_a_query_that_never_holds_stops_the_gate_naming_it_its_result_and_the_url(
    tmp_path: Path,
) -> None:
    query = 'up{job="nonexistent"} == 1'
    built, _, time = gate(tmp_path, ok(vector()), (query,))
    with pytest.raises(PermanentStepError) as err:
        built.wait(Baseline(), "step 2 (node-pool default)")
    assert err.value.message == (
        f"PromQL gate after step 2 (node-pool default) failed for 30s (Prometheus {URL}): "
        f"query {query!r} does not hold: empty result (no series matched)"
    )
    assert "finished steps are skipped" in (err.value.hint or "")
    assert time.now == 30
    (record,) = read_audit(tmp_path / "audit.jsonl")
    assert (record["outcome"], record["query"]) == ("failed", query)


def test_an_unreachable_prometheus_is_retried_until_the_timeout_then_permanent(
    tmp_path: Path,
) -> None:
    def answer(_q: str) -> httpx.Response:
        raise httpx.ConnectError("connection refused")

    built, double, time = gate(tmp_path, answer)
    with pytest.raises(PermanentStepError) as err:
        built.wait(Baseline(), "the start")
    assert f"Prometheus at {URL} is unreachable: ConnectError: connection refused" in (
        err.value.message
    )
    assert "--prometheus-url" in (err.value.hint or "") and TOKEN_ENV in (err.value.hint or "")
    assert len(double.requests) == 7 and time.now == 30  # at 0, 5, ..., 30 s


def test_a_malformed_query_stops_at_once_without_waiting(tmp_path: Path) -> None:
    built, double, time = gate(tmp_path, error(400, "bad_data", "parse error"), ("up}", "up"))
    with pytest.raises(PermanentStepError, match="rejected PromQL query 'up}'"):
        built.wait(Baseline(), "the start")
    assert time.now == 0 and len(double.requests) == 1
    (record,) = read_audit(tmp_path / "audit.jsonl")
    assert record["outcome"] == "failed" and "parse error" in record["detail"]


def test_the_token_never_reaches_the_audit_trail(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(TOKEN_ENV, "s3cret-token")
    built, _, _ = gate(tmp_path, lambda _q: httpx.Response(403, text="forbidden"))
    with pytest.raises(PermanentStepError):
        built.wait(Baseline(), "the start")
    assert "s3cret-token" not in (tmp_path / "audit.jsonl").read_text()
    assert all(json.loads(line) for line in (tmp_path / "audit.jsonl").read_text().splitlines())


# --- composed with the executor ---------------------------------------------------------------


def test_a_query_that_stops_holding_after_a_step_stops_the_upgrade_there(tmp_path: Path) -> None:
    from tests.unit.execute.test_executor import UPGRADE, FakeCluster, executor, plan

    cluster = FakeCluster()

    def answer(_q: str) -> httpx.Response:  # holds until the control plane was swapped
        return httpx.Response(200, json=vector() if cluster.cp == "1.37.2" else scalar("1"))

    ex = executor(cluster, plan(*UPGRADE), tmp_path)
    built, _, _ = gate(tmp_path, answer, ("errors_ok",), inner=None)
    built.inner = ex.gate
    ex.gate = built
    report = ex.run()
    assert [r.outcome for r in report.results] == ["failed", "not-run", "not-run"]
    assert cluster.ran == [1]
    assert "PromQL gate after step 1 (control-plane control-plane) failed for 30s" in str(
        report.error
    )
    actions = [(r["action"], r.get("outcome")) for r in read_audit(tmp_path / "audit.jsonl")]
    assert ("promql.check", "ok") in actions and ("promql.check", "failed") in actions


def test_credentials_in_a_prometheus_url_never_reach_messages() -> None:
    from kubecurrent.errors import UsageError
    from kubecurrent.execute import check_prometheus_url, redact_url

    url = "https://gate:s3cret-pw@prom.example:9090"
    assert redact_url(url) == "https://gate:***@prom.example:9090"
    assert redact_url("https://prom.example:9090") == "https://prom.example:9090"
    with pytest.raises(UsageError) as err:
        check_prometheus_url(url + "/?x=1")
    assert "s3cret-pw" not in str(err.value) and "gate:***@prom.example" in err.value.message

"""The deprecated-API gauge read from ``/metrics`` in Prometheus' protobuf format gives what the
text format gives; a broken protobuf body is an error naming the format."""

from __future__ import annotations

import struct

import pytest

from kubecurrent.collect.cluster._metrics import (
    METRIC,
    MetricsDecodeError,
    deprecated_requests,
)

pytestmark = pytest.mark.unit
PROTOBUF = (
    "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited"
)
TEXT = "text/plain; version=0.0.4; charset=utf-8"
FLOWSCHEMAS = {
    "group": "flowcontrol.apiserver.k8s.io",
    "version": "v1beta3",
    "resource": "flowschemas",
    "subresource": "",
    "removed_release": "1.32",
}


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        out.append((n & 0x7F) | (0x80 if n > 0x7F else 0))
        n >>= 7
        if not n:
            return bytes(out)


def _field(number: int, payload: bytes) -> bytes:  # a length-delimited field (wire type 2)
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def _gauge_series(labels: dict[str, str], value: float) -> bytes:
    pairs = b"".join(
        _field(1, _field(1, k.encode()) + _field(2, v.encode())) for k, v in labels.items()
    )
    return pairs + _field(2, _varint(1 << 3 | 1) + struct.pack("<d", value))


def _family(name: str, *series: bytes) -> bytes:
    message = _field(1, name.encode()) + _field(2, b"help") + _varint(3 << 3) + _varint(1)
    message += b"".join(_field(4, s) for s in series)
    return _varint(len(message)) + message


def _text(labels: dict[str, str], value: float) -> str:
    pairs = ",".join(f'{k}="{v}"' for k, v in labels.items())
    return f"{METRIC}{{{pairs}}} {value:g}"


def test_protobuf_gives_the_series_the_text_gives() -> None:
    ingresses = {**FLOWSCHEMAS, "group": "extensions", "resource": "ingresses"}
    body = (
        _family("apiserver_request_total", _gauge_series({"verb": "GET"}, 12))
        + _family(METRIC, _gauge_series(FLOWSCHEMAS, 1), _gauge_series(ingresses, 0))
        + _family("zz_after", _gauge_series({}, 3))
    )
    text = "\n".join(
        [
            "# TYPE apiserver_requested_deprecated_apis gauge",
            _text(FLOWSCHEMAS, 1),
            _text(ingresses, 0),
        ]
    )

    from_protobuf = deprecated_requests(PROTOBUF, bytearray(body))

    assert from_protobuf == deprecated_requests(TEXT, text.encode())
    assert [(r.api_version, r.resource, r.removed_release) for r in from_protobuf] == [
        ("flowcontrol.apiserver.k8s.io/v1beta3", "flowschemas", "1.32")
    ]  # the series at 0 is not a request


def test_no_gauge_family_means_no_requests() -> None:
    assert deprecated_requests(PROTOBUF, _family("process_cpu_seconds_total")) == []


@pytest.mark.parametrize(
    "body",
    [
        _family(METRIC, _gauge_series(FLOWSCHEMAS, 1))[:-3],  # cut short
        b"\x05\x0a\x09abc",  # a name longer than its message
        b"\xff\xff",  # a length that never ends
    ],
)
def test_a_broken_protobuf_body_is_an_error_naming_the_format(body: bytes) -> None:
    with pytest.raises(MetricsDecodeError, match="Prometheus MetricFamily"):
        deprecated_requests(PROTOBUF, body)


def test_a_label_that_is_not_utf8_is_read_as_the_text_format_reads_it() -> None:
    bad = b"flow\xffschemas"  # a server or proxy sending bytes that are not UTF-8
    pairs = b"".join(
        _field(1, _field(1, k.encode()) + _field(2, bad if k == "resource" else v.encode()))
        for k, v in FLOWSCHEMAS.items()
    )
    series = pairs + _field(2, _varint(1 << 3 | 1) + struct.pack("<d", 1.0))
    line = _text({**FLOWSCHEMAS, "resource": "RESOURCE"}, 1).encode().replace(b"RESOURCE", bad)

    found = deprecated_requests(PROTOBUF, _family(METRIC, series))

    assert found == deprecated_requests(TEXT, line)
    assert [r.resource for r in found] == ["flow\ufffdschemas"]

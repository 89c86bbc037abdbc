"""The sandbox CA issues what kube-apiserver's authenticators expect."""

from __future__ import annotations

import base64
import ipaddress
from pathlib import Path

import yaml
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from kubecurrent.sandbox import _kubeconfig
from kubecurrent.sandbox._pki import CertificateAuthority


def test_client_certificate_carries_user_in_cn_and_groups_in_o() -> None:
    ca = CertificateAuthority.create("test-ca")
    cert = x509.load_pem_x509_certificate(ca.issue("alice", organizations=("dev", "ops")).cert_pem)
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "alice"
    assert [a.value for a in cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)] == [
        "dev",
        "ops",
    ]
    usage = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(usage) == [ExtendedKeyUsageOID.CLIENT_AUTH]
    ca_cert = x509.load_pem_x509_certificate(ca.pair.cert_pem)
    cert.verify_directly_issued_by(ca_cert)


def test_serving_certificate_names_loopback_and_service_addresses() -> None:
    ca = CertificateAuthority.create("test-ca")
    pair = ca.issue("kube-apiserver", dns_names=("localhost",), ips=("127.0.0.1",), server=True)
    cert = x509.load_pem_x509_certificate(pair.cert_pem)
    sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert sans.get_values_for_type(x509.DNSName) == ["localhost"]
    assert sans.get_values_for_type(x509.IPAddress) == [ipaddress.ip_address("127.0.0.1")]
    assert isinstance(cert.public_key(), ec.EllipticCurvePublicKey)


def test_ca_survives_a_round_trip_through_files(tmp_path: Path) -> None:
    ca = CertificateAuthority.create("test-ca")
    cert, key = ca.pair.write(tmp_path, "ca")
    assert oct(key.stat().st_mode & 0o777) == "0o600"
    again = CertificateAuthority.load(cert, key)
    leaf = x509.load_pem_x509_certificate(again.issue("bob").cert_pem)
    leaf.verify_directly_issued_by(x509.load_pem_x509_certificate(cert.read_bytes()))


def test_kubeconfigs_merge_into_one_context_per_cluster(tmp_path: Path) -> None:
    ca = CertificateAuthority.create("ca")
    configs = [
        _kubeconfig.render(
            name,
            f"https://127.0.0.1:{port}",
            ca.pair.cert_pem,
            _kubeconfig.Credentials("admin", ca.issue("admin")),
        )
        for name, port in (("a", 1001), ("b", 1002))
    ]
    path = _kubeconfig.write(tmp_path / "fleet.kubeconfig", _kubeconfig.merge(configs))
    merged = yaml.safe_load(path.read_text())
    assert [c["name"] for c in merged["contexts"]] == ["a", "b"]
    assert merged["current-context"] == "a"
    assert [c["cluster"]["server"] for c in merged["clusters"]] == [
        "https://127.0.0.1:1001",
        "https://127.0.0.1:1002",
    ]
    assert (
        base64.b64decode(merged["clusters"][0]["cluster"]["certificate-authority-data"])
        == ca.pair.cert_pem
    )
    assert oct(path.stat().st_mode & 0o777) == "0o600"


def test_minted_user_context_is_named_after_cluster_and_user() -> None:
    ca = CertificateAuthority.create("ca")
    config = _kubeconfig.render(
        "dev",
        "https://127.0.0.1:1",
        ca.pair.cert_pem,
        _kubeconfig.Credentials("alice", ca.issue("alice")),
    )
    assert config["current-context"] == "dev-alice"

"""A throw-away certificate authority and a ``localhost`` server certificate.

The CA's private key lives only in memory while the server certificate is signed,
then it is dropped: the CA file a client trusts can vouch for this one server only.
"""

from __future__ import annotations

import ipaddress
import os
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from .seed import utcnow

__all__ = ["TlsFiles", "generate_tls_files", "server_context"]


@dataclass(frozen=True)
class TlsFiles:
    """Paths of the PEM files: the CA certificate, the server certificate and its key."""

    ca_file: Path
    cert_file: Path
    key_file: Path


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "tiledb.client.testing"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _key_usage(*, cert_sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=cert_sign,
        crl_sign=cert_sign,
        encipher_only=False,
        decipher_only=False,
    )


def _write(path: Path, data: bytes, mode: int) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    path.chmod(mode)


def generate_tls_files(
    directory: str | os.PathLike[str],
    *,
    ca_file: str | os.PathLike[str] | None = None,
    hosts: Sequence[str] = ("localhost",),
    addresses: Sequence[str] = ("127.0.0.1",),
    days: int = 7,
) -> TlsFiles:
    """Create a CA and a server certificate it signs, and write them as PEM files.

    Parameters
    ----------
    directory
        Where ``server-cert.pem`` and ``server-key.pem`` (mode 0600) are written.
    ca_file
        Where the CA certificate goes; default ``directory/ca.pem``.
    hosts, addresses
        DNS names and IP addresses of the server certificate (subject alternative names).
    days
        Validity of both certificates.

    Returns
    -------
    TlsFiles
        The paths written.
    """
    folder = Path(directory).absolute()
    folder.mkdir(parents=True, exist_ok=True)
    now = utcnow()
    start, end = now - timedelta(minutes=5), now + timedelta(days=days)

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = _name("tiledb.client.testing local CA")
    ca_ski = x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key())
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(cert_sign=True), critical=True)
        .add_extension(ca_ski, critical=False)
        .sign(ca_key, hashes.SHA256())
    )

    key = ec.generate_private_key(ec.SECP256R1())
    names: list[x509.GeneralName] = [x509.DNSName(h) for h in hosts]
    names += [x509.IPAddress(ipaddress.ip_address(a)) for a in addresses]
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(hosts[0] if hosts else addresses[0]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(cert_sign=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )

    files = TlsFiles(
        # Absolute: the path is printed for people to pass on from other directories.
        ca_file=Path(ca_file).absolute() if ca_file is not None else folder / "ca.pem",
        cert_file=folder / "server-cert.pem",
        key_file=folder / "server-key.pem",
    )
    files.ca_file.parent.mkdir(parents=True, exist_ok=True)
    _write(files.ca_file, ca_cert.public_bytes(serialization.Encoding.PEM), 0o644)
    _write(files.cert_file, cert.public_bytes(serialization.Encoding.PEM), 0o644)
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    _write(files.key_file, key_pem, 0o600)
    return files


def server_context(files: TlsFiles) -> ssl.SSLContext:
    """Return a server-side :class:`ssl.SSLContext` (TLS 1.2+) for ``files``."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(files.cert_file, files.key_file)
    return context

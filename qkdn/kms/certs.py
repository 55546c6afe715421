"""A test certificate authority and the certificates of the KMEs and SAEs (``cryptography``'s X.509 builder).

For trying the service on one machine, not for production: every key is an
ECDSA P-256 key made here, the CA signs a server certificate per KME (subject
``CN=<KME_ID>``, subject alternative names ``127.0.0.1`` and ``localhost``) and
a client certificate per SAE (``CN=<SAE_ID>``, the identity the KME serves).
Files in the folder: ``ca.crt`` and ``ca.key``, ``<KME_ID>.crt``/``.key`` and
``<SAE_ID>.crt``/``.key``. Private keys are written readable by their owner only,
each file atomically; an existing file is never replaced.
"""

import datetime
import ipaddress
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from qnetsim.core.errors import ConfigError

#: Validity of the test certificates.
VALID_DAYS = 365


@dataclass(frozen=True)
class TLSFiles:
    """Paths of one entity's certificate and key."""

    cert: Path
    key: Path


def _write_atomically(path: Path, data: bytes, private: bool) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.fchmod(handle, 0o600 if private else 0o644)
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.link(temporary, path)  # fails if the file appeared meanwhile: never replace one
    finally:
        os.unlink(temporary)


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _builder(subject: str, issuer: x509.Name, public_key: ec.EllipticCurvePublicKey) -> x509.CertificateBuilder:
    now = datetime.datetime.now(datetime.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=VALID_DAYS))
    )


def _issue(
    directory: Path, common_name: str, ca_key: ec.EllipticCurvePrivateKey, ca_name: x509.Name, server: bool
) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    builder = _builder(common_name, ca_name, key.public_key()).add_extension(
        x509.BasicConstraints(ca=False, path_length=None), critical=True
    )
    if server:
        names = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
        usage = ExtendedKeyUsageOID.SERVER_AUTH
    else:
        usage = ExtendedKeyUsageOID.CLIENT_AUTH
    builder = builder.add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
    certificate = builder.sign(ca_key, hashes.SHA256())
    _write_atomically(directory / f"{common_name}.key", _key_pem(key), private=True)
    _write_atomically(directory / f"{common_name}.crt", certificate.public_bytes(serialization.Encoding.PEM), False)


def _new_ca(directory: Path) -> tuple[ec.EllipticCurvePrivateKey, x509.Name]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = _name("qnetsim test CA")
    certificate = (
        _builder("qnetsim test CA", name, key.public_key())
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    _write_atomically(directory / "ca.key", _key_pem(key), private=True)
    _write_atomically(directory / "ca.crt", certificate.public_bytes(serialization.Encoding.PEM), False)
    return key, name


def _load_ca(directory: Path) -> tuple[ec.EllipticCurvePrivateKey, x509.Name]:
    key = serialization.load_pem_private_key((directory / "ca.key").read_bytes(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise ConfigError(f"--tls-dir: {directory / 'ca.key'} is not an EC key made by qnetsim serve")
    certificate = x509.load_pem_x509_certificate((directory / "ca.crt").read_bytes())
    return key, certificate.subject


def ensure_certificates(directory: Path, kme_ids: Iterable[str], sae_ids: Iterable[str]) -> list[str]:
    """Make whatever certificates ``directory`` lacks; returns the names of the files written.

    A folder without ``ca.crt`` gets a new test CA and every certificate. A folder
    with ``ca.crt`` keeps every file it has; missing certificates are issued with
    ``ca.key`` if it is there, else it is an error naming them.
    """
    directory.mkdir(parents=True, exist_ok=True)
    kme_ids, sae_ids = list(kme_ids), list(sae_ids)
    names = [(name, True) for name in kme_ids] + [(name, False) for name in sae_ids]
    before = set(os.listdir(directory))
    missing = [(name, server) for name, server in names if not _complete(directory, name)]
    if not (directory / "ca.crt").exists():
        clash = [
            name for name, _ in names if (directory / f"{name}.crt").exists() or (directory / f"{name}.key").exists()
        ]
        if (directory / "ca.key").exists() or clash:
            raise ConfigError(
                f"--tls-dir: {directory} has no ca.crt but holds other certificate files"
                f" ({', '.join(clash) or 'ca.key'}); use an empty folder or one made by qnetsim serve"
            )
        ca_key, ca_name = _new_ca(directory)
    elif missing:
        if not (directory / "ca.key").exists():
            raise ConfigError(
                f"--tls-dir: {directory} lacks the certificate and key of {', '.join(n for n, _ in missing)}"
                " and has no ca.key to issue them"
            )
        ca_key, ca_name = _load_ca(directory)
    else:
        return []
    for name, server in missing:
        for suffix in (".crt", ".key"):
            if (directory / f"{name}{suffix}").exists():
                raise ConfigError(f"--tls-dir: {directory / (name + suffix)} exists without its pair; remove it")
        _issue(directory, name, ca_key, ca_name, server)
    return sorted(set(os.listdir(directory)) - before)


def _complete(directory: Path, name: str) -> bool:
    return (directory / f"{name}.crt").exists() and (directory / f"{name}.key").exists()


def files_of(directory: Path, name: str) -> TLSFiles:
    """The certificate and key files of ``name`` in ``directory``."""
    return TLSFiles(directory / f"{name}.crt", directory / f"{name}.key")

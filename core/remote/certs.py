"""`faceshelf cluster-certs DIR`: the cluster's own certificate authority, and a certificate
for the scheduler, the workers and the client, each signed by it.

Dask's TLS (distributed.security) checks that the other side's certificate chains to the CA
given (ca.pem) and that it has one at all (mutual); it does not check host names (the
cluster's CA is dedicated to it, and machines are often reached by IP), so one worker
certificate serves every worker. Whoever holds a certificate and its key can join: keep the
keys as private as the photos (the files are written readable by their owner only).

Keys are ECDSA P-256 (fast to make, accepted by every OpenSSL Python links); certificates are
valid for `VALID_DAYS`. The CA's key stays in DIR: it is needed only to make more
certificates, never on a worker.
"""

from __future__ import annotations

import datetime
import os
from pathlib import Path

from .address import CA_FILE, ROLES

VALID_DAYS = 825
CA_KEY = "ca.key"


def _write(path: Path, data: bytes, *, private: bool) -> None:
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
    fd = os.open(path, flags, 0o600 if private else 0o644)
    with os.fdopen(fd, "wb") as stream:
        stream.write(data)


def make_cluster_certs(folder: Path | str, *, overwrite: bool = False) -> list[Path]:
    """Write ca.pem/ca.key and <role>.pem/<role>.key for scheduler, worker and client into
    `folder` (created). Refuses to replace existing files unless `overwrite` (a new CA would
    lock out every machine that has the old certificates). Returns the files written."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    folder = Path(folder).expanduser()
    names = [CA_FILE, CA_KEY] + [f"{role}.{ext}" for role in ROLES for ext in ("pem", "key")]
    existing = [name for name in names if (folder / name).exists()]
    if existing and not overwrite:
        raise FileExistsError(f"{folder} already holds certificates ({', '.join(existing)}); "
                              f"choose an empty folder (a new CA would lock out the machines "
                              f"that have the old ones)")
    folder.mkdir(parents=True, exist_ok=True)
    now = datetime.datetime.now(datetime.timezone.utc)
    start, end = now - datetime.timedelta(minutes=5), now + datetime.timedelta(days=VALID_DAYS)

    def key_pem(key) -> bytes:
        return key.private_bytes(serialization.Encoding.PEM,
                                 serialization.PrivateFormat.PKCS8,
                                 serialization.NoEncryption())

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Faceshelf cluster CA")])
    ca_cert = (x509.CertificateBuilder()
               .subject_name(ca_name).issuer_name(ca_name)
               .public_key(ca_key.public_key())
               .serial_number(x509.random_serial_number())
               .not_valid_before(start).not_valid_after(end)
               .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
               .add_extension(x509.KeyUsage(
                   digital_signature=True, key_cert_sign=True, crl_sign=True,
                   content_commitment=False, key_encipherment=False, data_encipherment=False,
                   key_agreement=False, encipher_only=False, decipher_only=False),
                   critical=True)
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()),
                              critical=False)
               .sign(ca_key, hashes.SHA256()))
    written = []
    _write(folder / CA_FILE, ca_cert.public_bytes(serialization.Encoding.PEM), private=False)
    _write(folder / CA_KEY, key_pem(ca_key), private=True)
    written += [folder / CA_FILE, folder / CA_KEY]
    for role in ROLES:
        key = ec.generate_private_key(ec.SECP256R1())
        cert = (x509.CertificateBuilder()
                .subject_name(x509.Name([
                    x509.NameAttribute(NameOID.COMMON_NAME, f"Faceshelf {role}")]))
                .issuer_name(ca_name)
                .public_key(key.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(start).not_valid_after(end)
                .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                # Every process is a TLS server (it listens) and a client (it connects).
                .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH,
                                                      ExtendedKeyUsageOID.CLIENT_AUTH]),
                               critical=False)
                .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                    ca_key.public_key()), critical=False)
                .sign(ca_key, hashes.SHA256()))
        _write(folder / f"{role}.pem", cert.public_bytes(serialization.Encoding.PEM),
               private=False)
        _write(folder / f"{role}.key", key_pem(key), private=True)
        written += [folder / f"{role}.pem", folder / f"{role}.key"]
    return written

#!/usr/bin/env python3
"""Certificates for the sample lab: a lab root CA the client trusts, and Expressway-E leaf
certificates good, expired, for the wrong name, and from an untrusted "Temporary CA".
Writes PEM files into the folder given as the first argument, unless they are already there:
they are kept in samples/lab/certs so that the certificates in the sample captures can be
validated against the lab CA in tests. Test material only: these keys protect nothing."""

import datetime
import sys
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

out = Path(sys.argv[1])
if (out / "ca.pem").exists():
    sys.exit(0)
out.mkdir(parents=True, exist_ok=True)
day = datetime.timedelta(days=1)
now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)


def key():
    return ec.generate_private_key(ec.SECP256R1())


def name(cn):
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "mradiag lab"), x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def ca(cn):
    k = key()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name(cn))
        .issuer_name(name(cn))
        .public_key(k.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - 3650 * day)
        .not_valid_after(now + 3650 * day)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(k, hashes.SHA256())
    )
    return k, cert


def leaf(cn, sans, issuer_key, issuer_cert, not_before, not_after):
    k = key()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name(cn))
        .issuer_name(issuer_cert.subject)
        .public_key(k.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(s) for s in sans]), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .sign(issuer_key, hashes.SHA256())
    )
    return k, cert


def write(stem, k, cert, chain=()):
    (out / f"{stem}.key").write_bytes(
        k.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    pem = cert.public_bytes(serialization.Encoding.PEM) + b"".join(c.public_bytes(serialization.Encoding.PEM) for c in chain)
    (out / f"{stem}.pem").write_bytes(pem)


ca_key, ca_cert = ca("MRA Lab Root CA")
(out / "ca.pem").write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
edge_names = ["expe1.example.com", "expe2.example.com", "example.com", "collab-edge.example.com"]
write("expe-good", *leaf("expe1.example.com", edge_names, ca_key, ca_cert, now - 30 * day, now + 365 * day), chain=[ca_cert])
write("expe-wrong-name", *leaf("www.example.net", ["www.example.net"], ca_key, ca_cert, now - 30 * day, now + 365 * day), chain=[ca_cert])
write("expe-expired", *leaf("expe1.example.com", edge_names, ca_key, ca_cert, now - 400 * day, now - 35 * day), chain=[ca_cert])
write("cucm", *leaf("cucm.example.com", ["cucm.example.com"], ca_key, ca_cert, now - 30 * day, now + 365 * day), chain=[ca_cert])
tmp_key, tmp_cert = ca("Temporary CA")
write("expe-untrusted", *leaf("expe1.example.com", edge_names, tmp_key, tmp_cert, now - 30 * day, now + 365 * day), chain=[tmp_cert])

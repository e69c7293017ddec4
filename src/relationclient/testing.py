"""A pytest plugin for shops testing their own code: fixtures that stand in for real transports.

It is registered under the ``pytest11`` entry point ``relationclient``, so
installing relationclient makes the fixtures available to every test suite::

    def test_welcome_mail_is_sent(memory_transport):
        signup(email="camille@example.fr", transport=memory_transport)
        [email] = memory_transport.outbox
        assert email.kind == "account_created"

Disable it with ``-p no:relationclient``.

:func:`make_certificate` gives a throw-away certificate for a loopback SMTP
server that speaks STARTTLS, as the project's own tests and benchmarks use.
"""

from __future__ import annotations

import datetime
import ipaddress
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from .transports.memory import MemoryTransport

__all__ = ["make_certificate", "memory_transport"]


@pytest.fixture
def memory_transport() -> Iterator[MemoryTransport]:
    """A fresh :class:`~relationclient.transports.memory.MemoryTransport` for each test."""
    # Imported here so that loading the plugin costs nothing until the fixture is used.
    from .transports.memory import MemoryTransport

    with MemoryTransport() as transport:
        yield transport


def make_certificate(directory: Path) -> tuple[Path, Path]:
    """Write a self-signed certificate for ``localhost`` and ``127.0.0.1`` into ``directory``.

    Returns the paths of the certificate and of its private key (PEM), valid for
    a day — enough for a test server on loopback. Needs the ``cryptography``
    package (in the ``relationclient[test]`` extra).
    """
    try:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID
    except ImportError as exc:  # pragma: no cover - the test extra has it
        from .errors import ConfigurationError

        raise ConfigurationError(
            "make_certificate needs the cryptography package: pip install 'relationclient[test]'"
        ) from exc

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    directory.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path

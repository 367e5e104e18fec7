"""HTTPS is checked for real: a server whose certificate is not trusted (self-signed here) gets no
request at all, credentials included, and the error says what to check; nothing is retried."""

from __future__ import annotations

import asyncio
import datetime
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from reliability_log import record
from syncmonitor.connectors.errors import NetworkError
from syncmonitor.connectors.http.client import tls_context
from syncmonitor.connectors.http.retry import RetryPolicy
from syncmonitor.connectors.workbooks.client import WorkbooksClient

API_KEY = "key-TLS-TEST-93fe21"


def _self_signed(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@pytest.fixture
def untrusted_server(tmp_path: Path) -> Iterator[tuple[int, list[str]]]:
    requests: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            requests.append(self.path)
            self.send_response(200)
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            return

    server = HTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*_self_signed(tmp_path))
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_port, requests
    server.shutdown()
    server.server_close()


def test_the_shared_tls_settings_verify_certificates_and_host_names() -> None:
    context = tls_context()
    assert context.verify_mode is ssl.CERT_REQUIRED
    assert context.check_hostname is True
    assert context.minimum_version is ssl.TLSVersion.TLSv1_2


def test_an_untrusted_certificate_gets_no_request_and_a_clear_error(
    untrusted_server: tuple[int, list[str]],
) -> None:
    port, requests = untrusted_server

    async def read() -> None:
        async with WorkbooksClient(
            f"https://localhost:{port}", API_KEY, policy=RetryPolicy(max_attempts=5)
        ) as client:
            async for _ in client.iter_records("crm/people"):
                pass

    with pytest.raises(NetworkError) as caught:
        asyncio.run(read())
    error = caught.value
    assert error.title == "The Workbooks server's certificate is not trusted"
    assert "certificate" in error.message and "Settings" in error.message
    assert error.attempts == 1 and not error.retryable  # a bad certificate does not heal
    assert requests == []  # nothing, the API key included, reached the server
    assert API_KEY not in str(error)
    record("secrets", "HTTPS to an untrusted certificate", requests_sent=0)

"""The schema-registry client against the local registry behind TLS (mutual TLS and a bearer).

A TLS-terminating proxy in front of the running local registry requires a client certificate
signed by the test CA (tests/fixtures/tls) and ``Authorization: Bearer tok-123``; the consumer's
:class:`~consumer.avro.registry.SchemaRegistry`, configured only through settings, must fetch a
writer schema through it, and must not without the client certificate or the token.
"""

from __future__ import annotations

import ssl
import threading
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient

from consumer.avro.registry import SchemaRegistry
from consumer.config import Settings
from consumer.errors import RegistryUnavailable

pytestmark = pytest.mark.integration

TLS = Path(__file__).resolve().parents[1] / "fixtures" / "tls"
TOKEN = "tok-123"


@pytest.fixture(scope="module")
def tls_registry(schema_registry_url: str) -> Iterator[str]:
    """``https://127.0.0.1:<port>``: the local registry behind mutual TLS and a bearer check."""
    upstream = schema_registry_url.rstrip("/")

    class Proxy(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                self._answer(401, b'{"error_code": 401, "message": "unauthorized"}')
                return
            try:
                with urllib.request.urlopen(upstream + self.path, timeout=10) as resp:
                    self._answer(resp.status, resp.read())
            except urllib.error.HTTPError as exc:
                self._answer(exc.code, exc.read())

        def _answer(self, status: int, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/vnd.schemaregistry.v1+json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            return

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(TLS / "server.pem", TLS / "server.key")
    context.load_verify_locations(TLS / "ca.pem")
    context.verify_mode = ssl.CERT_REQUIRED
    server = ThreadingHTTPServer(("127.0.0.1", 0), Proxy)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"https://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def schema_id(schema_registry_url: str) -> int:
    """A schema registered in the local registry (plain HTTP) under a fresh subject."""
    schema = (
        '{"type": "record", "name": "TlsProbe", "namespace": "io.test", '
        '"fields": [{"name": "id", "type": "string"}]}'
    )
    with SchemaRegistryClient({"url": schema_registry_url}) as client:
        registered: int = client.register_schema(
            f"tls-{uuid.uuid4().hex[:8]}-value", Schema(schema, "AVRO")
        )
    return registered


def _registry(url: str, **over: Any) -> SchemaRegistry:
    base: dict[str, Any] = {
        "schema_registry_url": url,
        "schema_registry_ca_location": TLS / "ca.pem",
        "schema_registry_certificate_location": TLS / "client.pem",
        "schema_registry_key_location": TLS / "client.key",
        "schema_registry_key_password": "key-password",
        "schema_registry_bearer_token": TOKEN,
        "schema_registry_timeout_s": 5,
    }
    base.update(over)
    return SchemaRegistry(Settings(**base))


def test_schema_fetched_over_mutual_tls_with_a_bearer_token(
    tls_registry: str, schema_id: int
) -> None:
    """CA bundle, client certificate (encrypted key) and bearer token: the schema comes back."""
    registry = _registry(tls_registry)
    try:
        assert registry.get(schema_id).name == "io.test.TlsProbe"
    finally:
        registry.close()


@pytest.mark.parametrize(
    "missing",
    [
        {"schema_registry_certificate_location": None, "schema_registry_key_location": None},
        {"schema_registry_bearer_token": None},
        {"schema_registry_ca_location": None},
    ],
    ids=["no-client-certificate", "no-bearer-token", "no-ca-bundle"],
)
def test_without_each_credential_the_registry_is_unavailable(
    tls_registry: str, schema_id: int, missing: dict[str, Any]
) -> None:
    """Without the client certificate, the token or the CA bundle the fetch fails (retryable)."""
    registry = _registry(tls_registry, **missing)
    try:
        with pytest.raises(RegistryUnavailable):
            registry.get(schema_id)
    finally:
        registry.close()

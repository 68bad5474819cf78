"""SASL against a real broker: SCRAM-SHA-512 and OAUTHBEARER with OIDC, through kafka_config.

A second local broker (the same Apache Kafka jars as the dev stack, its own temporary directory
and ports) listens with SASL_PLAINTEXT and SCRAM-SHA-512 + OAUTHBEARER (Kafka's unsecured-JWS
validator, so a local token endpoint can issue tokens without keys). Each test builds the
clients from settings exactly as the consumer does (consumer.kafka_config) and moves a record
through the broker: created topic, produced with the dead-letter producer's configuration,
consumed with the pipeline consumer's.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import Consumer, KafkaException, Producer
from confluent_kafka.admin import AdminClient
from confluent_kafka.cimpl import NewTopic

from consumer.config import Settings, load_settings
from consumer.kafka_config import admin_config, consumer_config, producer_config
from tests.fixtures.sandbox import free_port

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
LIBS = ROOT / ".cache" / "kafka" / "libs"
SCRAM_USER, SCRAM_PASSWORD = "signals", "signals-secret"

SERVER_PROPERTIES = """\
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=127.0.0.1:{controller}
listeners=SASL_PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller}
advertised.listeners=SASL_PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller}
inter.broker.listener.name=SASL_PLAINTEXT
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT
sasl.enabled.mechanisms=SCRAM-SHA-512,OAUTHBEARER
sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512
listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config=\
org.apache.kafka.common.security.scram.ScramLoginModule required \
username="admin" password="admin-secret";
listener.name.sasl_plaintext.oauthbearer.sasl.jaas.config=\
org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required \
unsecuredLoginStringClaim_sub="admin";
log.dirs={data}
auto.create.topics.enable=false
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
num.network.threads=1
num.io.threads=2
"""


def _java(*args: str, logs: Path) -> list[str]:
    java = shutil.which("java") or "java"
    return [
        java,
        "-Xmx384m",
        "-Xms64m",
        f"-Dkafka.logs.dir={logs}",
        f"-Dlog4j2.configurationFile={ROOT / 'dev' / 'kafka' / 'log4j2.properties'}",
        "-cp",
        f"{LIBS}/*",
        *args,
    ]


@pytest.fixture(scope="module")
def sasl_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Bootstrap servers of a SASL_PLAINTEXT broker (SCRAM user ``signals``, OAUTHBEARER)."""
    if shutil.which("java") is None or not LIBS.is_dir():
        pytest.skip("the Kafka jars (make stack-up) and Java are needed for a second broker")
    base = tmp_path_factory.mktemp("sasl-broker")
    port, controller = free_port(), free_port()
    properties = base / "server.properties"
    properties.write_text(
        SERVER_PROPERTIES.format(port=port, controller=controller, data=base / "data")
    )
    cluster = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
    scram = [f"SCRAM-SHA-512=[name={u},password={p}]" for u, p in (
        ("admin", "admin-secret"), (SCRAM_USER, SCRAM_PASSWORD))]  # fmt: skip
    subprocess.run(
        _java("kafka.tools.StorageTool", "format", "--standalone", "--cluster-id", cluster,
              "--config", str(properties), *[a for s in scram for a in ("--add-scram", s)],
              logs=base),
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    log = (base / "stdout.log").open("wb")
    proc = subprocess.Popen(
        _java("kafka.Kafka", str(properties), logs=base), stdout=log, stderr=subprocess.STDOUT
    )
    bootstrap = f"127.0.0.1:{port}"
    try:
        admin = AdminClient({**_scram_conf(bootstrap), "log_level": 0})
        deadline = time.monotonic() + 90
        while True:
            assert proc.poll() is None, (base / "stdout.log").read_text()[-2000:]
            try:
                if admin.list_topics(timeout=3).brokers:
                    break
            except KafkaException:
                pass
            assert time.monotonic() < deadline, "the SASL broker did not start"
            time.sleep(0.5)
        yield bootstrap
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
        log.close()


def _scram_conf(bootstrap: str) -> dict[str, Any]:
    return {
        "bootstrap.servers": bootstrap,
        "security.protocol": "SASL_PLAINTEXT",
        "sasl.mechanism": "SCRAM-SHA-512",
        "sasl.username": SCRAM_USER,
        "sasl.password": SCRAM_PASSWORD,
    }


def _round_trip(settings: Settings) -> bytes | None:
    """Create a topic, produce one record and consume it, all with the consumer's configs."""
    topic = f"sasl-{uuid.uuid4().hex[:10]}"
    admin = AdminClient(admin_config(settings))
    admin.create_topics([NewTopic(topic, 1, 1)])[topic].result(30)
    producer = Producer(producer_config(settings))
    producer.produce(topic, value=b"hello over SASL")
    assert producer.flush(30) == 0
    consumer = Consumer(consumer_config(settings, group_id=f"g-{topic}"))
    try:
        consumer.subscribe([topic])
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            msg = consumer.poll(0.5)
            if msg is not None and msg.error() is None:
                value: bytes | None = msg.value()
                return value
        return None
    finally:
        consumer.close()


def _settings(monkeypatch: pytest.MonkeyPatch, **env: str) -> Settings:
    for name in [n for n in os.environ if n.startswith("SIGNALS_")]:
        monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return load_settings()


def test_scram_with_the_password_from_a_file_moves_a_record(
    sasl_broker: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """SCRAM-SHA-512 settings (password read from SIGNALS_KAFKA_SASL_PASSWORD_FILE) work."""
    secret = tmp_path / "sasl-password"
    secret.write_text(SCRAM_PASSWORD + "\n")
    settings = _settings(
        monkeypatch,
        SIGNALS_KAFKA_BOOTSTRAP_SERVERS=sasl_broker,
        SIGNALS_KAFKA_SECURITY_PROTOCOL="SASL_PLAINTEXT",
        SIGNALS_KAFKA_SASL_MECHANISM="SCRAM-SHA-512",
        SIGNALS_KAFKA_SASL_USERNAME=SCRAM_USER,
        SIGNALS_KAFKA_SASL_PASSWORD_FILE=str(secret),
    )
    assert _round_trip(settings) == b"hello over SASL"


def test_scram_with_a_wrong_password_is_refused_by_the_broker(
    sasl_broker: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A wrong SCRAM password gets no metadata (the broker refuses the authentication)."""
    settings = _settings(
        monkeypatch,
        SIGNALS_KAFKA_BOOTSTRAP_SERVERS=sasl_broker,
        SIGNALS_KAFKA_SECURITY_PROTOCOL="SASL_PLAINTEXT",
        SIGNALS_KAFKA_SASL_MECHANISM="SCRAM-SHA-512",
        SIGNALS_KAFKA_SASL_USERNAME=SCRAM_USER,
        SIGNALS_KAFKA_SASL_PASSWORD="wrong",
    )
    admin = AdminClient({**admin_config(settings), "log_level": 0})
    with pytest.raises(KafkaException):
        admin.list_topics(timeout=5)


class _TokenEndpoint(BaseHTTPRequestHandler):
    """An OIDC token endpoint issuing unsecured JWTs for the client-credentials grant."""

    requests: list[tuple[str | None, str]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
        type(self).requests.append((self.headers.get("Authorization"), body))
        now = int(time.time())

        def part(obj: dict[str, Any]) -> str:
            return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")

        claims = {"sub": "signals-oidc", "iat": now, "exp": now + 3600, "scope": "kafka"}
        token = f"{part({'alg': 'none'})}.{part(claims)}."
        out = json.dumps({"access_token": token, "token_type": "bearer", "expires_in": 3600})
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out.encode())

    def log_message(self, format: str, *args: object) -> None:
        return


def test_oauthbearer_oidc_client_credentials_move_a_record(
    sasl_broker: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """OAUTHBEARER settings fetch a token with the client credentials and authenticate."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _TokenEndpoint)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _TokenEndpoint.requests = []
    try:
        settings = _settings(
            monkeypatch,
            SIGNALS_KAFKA_BOOTSTRAP_SERVERS=sasl_broker,
            SIGNALS_KAFKA_SECURITY_PROTOCOL="SASL_PLAINTEXT",
            SIGNALS_KAFKA_SASL_MECHANISM="OAUTHBEARER",
            SIGNALS_KAFKA_OAUTH_TOKEN_ENDPOINT_URL=f"http://127.0.0.1:{server.server_port}/token",
            SIGNALS_KAFKA_OAUTH_CLIENT_ID="signals-client",
            SIGNALS_KAFKA_OAUTH_CLIENT_SECRET="client-secret",
            SIGNALS_KAFKA_OAUTH_SCOPE="kafka",
        )
        assert _round_trip(settings) == b"hello over SASL"
    finally:
        server.shutdown()
        server.server_close()
    basic = base64.b64encode(b"signals-client:client-secret").decode()
    assert (f"Basic {basic}", "grant_type=client_credentials&scope=kafka") in (
        _TokenEndpoint.requests
    )

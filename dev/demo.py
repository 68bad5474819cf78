"""``make demo``: the consumer end to end on the local stack and the Connect sandbox.

Starts a fresh sandbox, creates a 6-partition topic, produces sample events of several signal
types (Avro, Confluent wire format, keyed by contact) plus a few deliberately bad ones, runs
``signals-consumer run --until-idle 3`` against them and prints what arrived. The stack
(Kafka + schema registry) is started by the Makefile.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from pathlib import Path
from typing import Any

from confluent_kafka import Consumer, Producer
from confluent_kafka.admin import AdminClient
from confluent_kafka.cimpl import NewTopic
from confluent_kafka.schema_registry import SchemaRegistryClient
from rich.console import Console
from rich.table import Table

if __package__ in {None, ""}:  # run as a script: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dev.sample_producer import SAMPLES, avro_serializer, sample_event

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent / "signals-consumer"
BOOTSTRAP = os.environ.get(
    "KAFKA_BOOTSTRAP_SERVERS", f"localhost:{os.environ.get('KAFKA_PORT', '9092')}"
)
REGISTRY = os.environ.get(
    "SCHEMA_REGISTRY_URL", f"http://localhost:{os.environ.get('SCHEMA_REGISTRY_PORT', '8081')}"
)
PORT = int(os.environ.get("DEMO_SANDBOX_PORT", "8080"))
API_KEY = os.environ.get("DEMO_API_KEY", "demo-api-key")
APP_KEY = os.environ.get("DEMO_APP_KEY", "demo-app")
PER_TYPE = 25

console = Console()


def _wait_http(url: str, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def _produce(topic: str) -> tuple[int, Counter[str]]:
    """Produce the sample events; returns (count, expected dead letters by reason)."""
    registry = SchemaRegistryClient({"url": REGISTRY})
    producer = Producer(
        {"bootstrap.servers": BOOTSTRAP, "enable.idempotence": True, "log_level": 3}
    )
    produced, expected = 0, Counter[str]()
    n = 0
    for schema_name, fields in SAMPLES.items():
        # several record types share the topic: one subject per record (RecordNameStrategy)
        serialize = avro_serializer(registry, schema_name, topic)
        for _ in range(PER_TYPE):
            n += 1
            event = sample_event(n, fields)
            producer.produce(topic, key=event["email"].encode(), value=serialize(event))
            produced += 1
        if schema_name == "add_to_cart_event":  # two invalid e-mail addresses
            for bad in ("not-an-email", "also@bad"):
                n += 1
                event = sample_event(n, fields, email=bad)
                producer.produce(topic, key=b"bad-email", value=serialize(event))
                produced += 1
                expected["invalid_signal"] += 1
    for raw in (b"garbage bytes, not Avro", b"\x01\x02\x03"):
        producer.produce(topic, key=b"garbage", value=raw, headers=[("origin", b"demo")])
        produced += 1
        expected["undecodable"] += 1
    producer.produce(topic, key=b"unknown", value=b"\x00" + (987654).to_bytes(4, "big") + b"\x02")
    produced += 1
    expected["unknown_schema"] += 1
    producer.flush(30)
    return produced, expected


def _read_dlq(topic: str) -> Counter[str]:
    consumer = Consumer(
        {
            "bootstrap.servers": BOOTSTRAP,
            "group.id": f"demo-dlq-reader-{time.time_ns()}",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
        }
    )
    consumer.subscribe([topic])
    reasons: Counter[str] = Counter()
    idle_until = time.monotonic() + 10
    while time.monotonic() < idle_until:
        msg = consumer.poll(0.5)
        if msg is None or msg.error():
            continue
        headers = dict(msg.headers() or [])
        code = headers.get("signals.error.code") or b"?"
        reasons[code.decode() if isinstance(code, bytes) else code] += 1
        idle_until = time.monotonic() + 2
    consumer.close()
    return reasons


def _run_consumer(topic: str, dlq: str) -> tuple[int, dict[str, Any]]:
    env = {
        **os.environ,
        "SIGNALS_KAFKA_BOOTSTRAP_SERVERS": BOOTSTRAP,
        "SIGNALS_SCHEMA_REGISTRY_URL": REGISTRY,
        "SIGNALS_TOPICS": topic,
        "SIGNALS_DLQ_TOPIC": dlq,
        "SIGNALS_KAFKA_GROUP_ID": f"demo-{topic}",
        "SIGNALS_CONNECT_URL": f"http://127.0.0.1:{PORT}/graphql",
        "SIGNALS_CONNECT_API_KEY": API_KEY,
        "SIGNALS_DEFAULT_APP_KEY": APP_KEY,
        "SIGNALS_TIER": "premium",
        "SIGNALS_METRICS_PORT": "0",
        "SIGNALS_LOG_FORMAT": "json",
    }
    proc = subprocess.run(  # noqa: PLW1510
        [str(BIN), "run", "--until-idle", "3"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    summary: dict[str, Any] = {}
    for line in proc.stderr.splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if event.get("event") == "pipeline_stopped":
            summary = event
    if proc.returncode != 0 or not summary:
        console.print(proc.stderr[-4000:])
    return proc.returncode, summary


def main() -> int:
    """Run the demo; 0 when every produced event was delivered or dead-lettered."""
    db = ROOT / ".cache" / "demo" / "sandbox.db"
    shutil.rmtree(db.parent, ignore_errors=True)
    db.parent.mkdir(parents=True)
    sandbox = subprocess.Popen(
        [str(BIN), "sandbox", "--port", str(PORT), "--db", str(db)],
        env={**os.environ, "SIGNALS_CONNECT_API_KEY": API_KEY},
    )
    try:
        _wait_http(f"http://127.0.0.1:{PORT}/", 30)
        topic = f"demo.events.{int(time.time())}"
        dlq = f"{topic}.dlq"
        admin = AdminClient({"bootstrap.servers": BOOTSTRAP})
        admin.create_topics([NewTopic(topic, num_partitions=6, replication_factor=1)])[
            topic
        ].result(30)
        started = time.monotonic()
        produced, expected = _produce(topic)
        code, summary = _run_consumer(topic, dlq)
        elapsed = time.monotonic() - started
        dead = _read_dlq(dlq)
        delivered = int(summary.get("delivered", 0))
        table = Table(title="make demo")
        table.add_column("what")
        table.add_column("count", justify="right")
        table.add_row("events produced", str(produced))
        table.add_row("events read", str(int(summary.get("consumed", 0))))
        table.add_row("signals delivered", str(delivered))
        table.add_row("mutations sent (accepted)", str(int(summary.get("mutations_ok", 0))))
        for reason, count in sorted(dead.items()):
            table.add_row(f"dead-lettered: {reason}", str(count))
        arrived = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{PORT}/admin/stats").read())
        table.add_row("sandbox: signals accepted", str(arrived["signals"]["accepted"]))
        table.add_row(
            "sandbox: may be discarded by Connect (no required field)",
            str(arrived["may_be_discarded"]["total"]),
        )
        table.add_row(
            "sandbox: contacts / sessions stored",
            "{contacts} / {sessions}".format(**arrived["stored"]),
        )
        table.add_row("consumer exit code", str(code))
        table.add_row("time taken (s)", f"{elapsed:.1f}")
        console.print(table)
        ok = code == 0 and delivered + sum(dead.values()) == produced and dead == expected
        console.print(
            f"delivered + dead-lettered == produced: {delivered} + {sum(dead.values())} "
            f"{'==' if delivered + sum(dead.values()) == produced else '!='} {produced}"
        )
        if dead != expected:
            console.print(f"[red]dead letters {dict(dead)} differ from expected {dict(expected)}")
        page = f"http://127.0.0.1:{PORT}/"
        if os.environ.get("DEMO_KEEP_SANDBOX") == "1" and sys.stdin.isatty():
            console.print(f"Sandbox page: {page} - press Enter to stop the demo")
            input()
        else:
            console.print(
                f"Sandbox page: {page} (stopped with the demo; DEMO_KEEP_SANDBOX=1 keeps it open)"
            )
        return 0 if ok else 1
    finally:
        sandbox.terminate()
        try:
            sandbox.wait(10)
        except subprocess.TimeoutExpired:
            sandbox.kill()


if __name__ == "__main__":
    sys.exit(main())

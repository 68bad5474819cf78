"""The fault suite's workload: unique events, ~1% poison of five kinds, produced at a steady rate.

Good events are addToCart, order and identification (entitled by the ``pro`` tier the consumers
run with); poison events are chosen so that each must reach the dead-letter topic with a known
``signals.error.code``. Among them, two of each hostile kind (tests/faults/hostile.py), each
with its own outcome. Every produced record's (partition, offset) is recorded from the
delivery report, so the DLQ can be checked record by record.
"""

from __future__ import annotations

import struct
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from confluent_kafka import KafkaError, Message, Producer
from confluent_kafka.schema_registry import SchemaRegistryClient, record_subject_name_strategy
from confluent_kafka.schema_registry.avro import AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

from tests.faults.hostile import DELIVERED, PRODUCER_MAX_BYTES, HostileWriter, positions
from tests.unit.mapping.samples import sample

__all__ = ["POISON_KINDS", "Expected", "Workload"]

SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"
GOOD_RECORDS = {
    "AddToCartEvent": "add_to_cart_event.avsc",
    "OrderEvent": "order_event.avsc",
    "IdentificationEvent": "identification_event.avsc",
}
#: poison kind -> the dead-letter ``signals.error.code`` it must get
POISON_KINDS = {
    "truncated": "undecodable",
    "wrong_magic": "undecodable",
    "unknown_schema": "unknown_schema",
    "invalid_value": "invalid_signal",
    "not_entitled": "not_entitled",
}


@dataclass
class Expected:
    """What the run must account for."""

    good: set[str] = field(default_factory=set)
    poison: dict[tuple[int, int], str] = field(default_factory=dict)
    poison_ids: set[str] = field(default_factory=set)
    produced: int = 0
    failed: list[str] = field(default_factory=list)
    #: hostile kind -> (partition, offset, event id) of each of its records
    hostile: dict[str, list[tuple[int, int, str]]] = field(default_factory=dict)


class Workload:
    """Produces ``total`` events at ``rate_per_s`` in a background thread."""

    def __init__(
        self, bootstrap: str, registry_url: str, topic: str, total: int, rate_per_s: float
    ):
        self.topic, self.total, self.rate = topic, total, rate_per_s
        self.expected = Expected()
        self._lock = threading.Lock()
        self._registry = registry = SchemaRegistryClient({"url": registry_url})
        self._serializers = {
            name: AvroSerializer(
                registry,
                (SCHEMAS / file).read_text(),
                conf={"subject.name.strategy": record_subject_name_strategy},
            )
            for name, file in {**GOOD_RECORDS, "PageViewEvent": "page_view_event.avsc"}.items()
        }
        self._ctx = SerializationContext(topic, MessageField.VALUE)
        self._hostile_at = positions(total)
        self._hostile = HostileWriter(
            registry, topic, self._ctx, self._event, self._serializers["AddToCartEvent"]
        )
        self._producer = Producer(
            {
                "bootstrap.servers": bootstrap,
                "enable.idempotence": True,
                "acks": "all",
                "linger.ms": 20,
                "message.timeout.ms": 600_000,
                "message.max.bytes": PRODUCER_MAX_BYTES,  # the hostile records of ~1 MB
                "log_level": 0,
                "error_cb": lambda _err: None,  # broker-down noise while the broker is stopped
            }
        )
        self._thread = threading.Thread(target=self._run, name="workload", daemon=True)
        self.done = threading.Event()
        #: monotonic time the last record was acknowledged
        self.finished_at = 0.0
        self.error: Exception | None = None

    def start(self) -> None:
        """Start producing in the background."""
        self._thread.start()

    def join(self, timeout_s: float) -> None:
        """Wait until every record is acknowledged (or ``timeout_s``)."""
        self._thread.join(timeout_s)

    def _event(self, n: int, record: str) -> dict[str, Any]:
        contact = n % 3000
        return sample(
            record,
            eventId=f"f-{n}",
            eventTime=int(time.time() * 1000),
            email=f"user{contact}@example.com",
            sessionId=f"s-{contact}",
            attributes={},
        )

    def _value(self, n: int) -> tuple[bytes, str | None, str | None]:
        """(bytes, its dead-letter code or None, hostile kind or None) for event ``n``."""
        if n in self._hostile_at:
            hostile = self._hostile.build(n, self._hostile_at[n])
            outcome = None if hostile.outcome == DELIVERED else hostile.outcome
            return hostile.value, outcome, hostile.kind
        value, kind = self._ordinary(n)
        return value, None if kind is None else POISON_KINDS[kind], None

    def _ordinary(self, n: int) -> tuple[bytes, str | None]:
        """(bytes, poison kind or None) for event ``n``."""
        records = list(GOOD_RECORDS)
        if n % 100 != 37:  # ~1% poison
            record = records[n % len(records)]
            return self._serializers[record](self._event(n, record), self._ctx), None
        kind = list(POISON_KINDS)[(n // 100) % len(POISON_KINDS)]
        if kind == "truncated":  # a known schema id, then half an Avro body
            good = self._serializers["OrderEvent"](self._event(n, "OrderEvent"), self._ctx)
            return good[: 5 + (len(good) - 5) // 2], kind
        if kind == "wrong_magic":
            good = self._serializers["OrderEvent"](self._event(n, "OrderEvent"), self._ctx)
            return b"\x07" + good[1:], kind
        if kind == "unknown_schema":
            good = self._serializers["OrderEvent"](self._event(n, "OrderEvent"), self._ctx)
            return b"\x00" + struct.pack(">I", 987_654_321) + good[5:], kind
        if kind == "invalid_value":
            event = self._event(n, "AddToCartEvent")
            event["currency"] = "EURO"
            return self._serializers["AddToCartEvent"](event, self._ctx), kind
        event = self._event(n, "PageViewEvent")
        return self._serializers["PageViewEvent"](event, self._ctx), kind

    def _run(self) -> None:
        try:
            self._produce_all()
        except Exception as exc:
            self.error = exc
            raise
        finally:
            self._registry.close()

    def _produce_all(self) -> None:
        started = time.monotonic()
        for n in range(self.total):
            value, code, hostile = self._value(n)
            key = f"user{n % 3000}".encode()
            event_id = f"f-{n}"

            def report(
                err: KafkaError | None,
                msg: Message,
                eid: str = event_id,
                code: str | None = code,
                hostile: str | None = hostile,
            ) -> None:
                with self._lock:
                    if err is not None:
                        self.expected.failed.append(f"{eid}: {err}")
                        return
                    self.expected.produced += 1
                    where = (msg.partition() or 0, msg.offset() or 0)
                    if hostile is not None:
                        self.expected.hostile.setdefault(hostile, []).append((*where, eid))
                    if code is None:
                        self.expected.good.add(eid)
                    else:
                        self.expected.poison[where] = code
                        self.expected.poison_ids.add(eid)

            while True:
                try:
                    self._producer.produce(self.topic, key=key, value=value, on_delivery=report)
                    break
                except BufferError:
                    self._producer.poll(0.1)
            self._producer.poll(0)
            delay = started + (n + 1) / self.rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
        while self._producer.flush(1.0) > 0:
            pass
        self.finished_at = time.monotonic()
        self.done.set()

"""The benchmark's events: a few hundred distinct Avro payloads, made unique cheaply.

:func:`build_templates` serializes ``distinct`` events once with confluent-kafka's
``AvroSerializer`` (registering the reader schemas of ``schemas/`` in the registry, one subject
per record) - a premium-tier mix of six signal types. Each serialized value is kept as a
:class:`Template` that knows where the ``eventId`` characters and the ``eventTime`` varint sit,
so :meth:`Template.render` makes event ``n`` unique (``eventId`` ``b-<12 digits>``) and can set
a fresh ``eventTime`` by splicing bytes, without serializing again. The lengths never change:
the id has a fixed width, and an epoch-ms timestamp between 2004 and 2039 always takes six
varint bytes.

:func:`produce_backlog` writes ``count`` events as fast as the broker takes them;
:class:`RateProducer` writes at a fixed rate with ``eventTime`` = now (the latency runs).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from confluent_kafka import Producer
from confluent_kafka.schema_registry import SchemaRegistryClient, topic_record_subject_name_strategy
from confluent_kafka.schema_registry.avro import AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

from tests.unit.mapping.samples import sample

__all__ = [
    "RECORDS",
    "RateProducer",
    "Template",
    "build_templates",
    "event",
    "produce_backlog",
    "template_of",
    "zigzag_varint",
]

SCHEMAS: Final = Path(__file__).resolve().parents[1] / "schemas"
#: record -> schema file: the premium tier's mix (all importable by premium and ultimate)
RECORDS: Final = {
    "AddToCartEvent": "add_to_cart_event.avsc",
    "OrderEvent": "order_event.avsc",
    "PageViewEvent": "page_view_event.avsc",
    "ProductViewEvent": "product_view_event.avsc",
    "IdentificationEvent": "identification_event.avsc",
    "OnSiteSearchEvent": "on_site_search_event.avsc",
}
_ID_SENTINEL: Final = "b-QZJXQZJXQZJX"  # 14 characters, like "b-000000000042"
_ID_DIGITS: Final = 12
_TIME_SENTINEL: Final = 1_700_000_000_123  # 2023-11-14T22:13:20.123Z


def zigzag_varint(value: int) -> bytes:
    """Avro's encoding of a long (zig-zag, then base-128 varint)."""
    n = (value << 1) ^ (value >> 63)
    out = bytearray()
    while n > 0x7F:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


@dataclass(frozen=True, slots=True)
class Template:
    """One serialized event and where its id digits and timestamp varint are."""

    record: str
    value: bytes
    id_at: int
    time_at: int
    time_len: int

    def render(self, n: int, now_ms: int | None = None) -> bytes:
        """The value with ``eventId`` ``b-<n, 12 digits>`` (and ``eventTime`` ``now_ms``)."""
        digits = b"%012d" % (n % 10**_ID_DIGITS)
        v, at = self.value, self.id_at + 2
        if now_ms is None:
            return v[:at] + digits + v[at + _ID_DIGITS :]
        stamp = zigzag_varint(now_ms)
        if len(stamp) != self.time_len:
            raise ValueError(f"eventTime {now_ms} does not fit the template's varint")
        t = self.time_at
        if t < at:
            return v[:t] + stamp + v[t + self.time_len : at] + digits + v[at + _ID_DIGITS :]
        return v[:at] + digits + v[at + _ID_DIGITS : t] + stamp + v[t + self.time_len :]


def template_of(record: str, value: bytes) -> Template:
    """The :class:`Template` of a value serialized from :func:`event` (sentinels located)."""
    id_bytes, time_bytes = _ID_SENTINEL.encode(), zigzag_varint(_TIME_SENTINEL)
    if value.count(id_bytes) != 1 or value.count(time_bytes) != 1:
        raise RuntimeError(f"cannot locate eventId/eventTime in the {record} bytes")
    return Template(record, value, value.index(id_bytes), value.index(time_bytes), len(time_bytes))


def event(record: str, n: int) -> dict[str, Any]:
    """Distinct event ``n`` of ``record`` with the sentinel eventId and eventTime."""
    changes: dict[str, Any] = {
        "eventId": _ID_SENTINEL,
        "eventTime": _TIME_SENTINEL,
        "email": f"shopper{n}@example.com",
        "sessionId": f"sess-{n % 97}",
        "attributes": {"campaign": f"spring-{n % 7}", "channel": "web"},
    }
    if record in {"AddToCartEvent", "ProductViewEvent"}:
        changes["unitPrice"] = round(5 + (n * 7.31) % 200, 2)
        changes["productId"] = f"SKU-{1000 + n}"
    if record == "PageViewEvent":
        changes["url"] = f"https://shop.example/p/{n}"
    if record == "OnSiteSearchEvent":
        changes["numberOfResults"] = n % 5
    return sample(record, **changes)


def build_templates(registry_url: str, topic: str, distinct: int = 300) -> list[Template]:
    """``distinct`` serialized events (six record types in turn), their schemas registered."""
    registry = SchemaRegistryClient({"url": registry_url})
    conf = {"subject.name.strategy": topic_record_subject_name_strategy}
    serializers = {
        record: AvroSerializer(registry, (SCHEMAS / file).read_text(), conf=conf)
        for record, file in RECORDS.items()
    }
    ctx = SerializationContext(topic, MessageField.VALUE)
    records = list(RECORDS)
    templates = []
    for n in range(distinct):
        record = records[n % len(records)]
        value = serializers[record](event(record, n), ctx)
        assert value is not None
        templates.append(template_of(record, value))
    return templates


def _producer(bootstrap: str, linger_ms: int) -> Producer:
    return Producer(
        {
            "bootstrap.servers": bootstrap,
            "linger.ms": linger_ms,
            "batch.num.messages": 10_000,
            "queue.buffering.max.messages": 500_000,
            "acks": 1,
            "log_level": 0,
        }
    )


def _produce(producer: Producer, topic: str, key: bytes, value: bytes) -> None:
    while True:
        try:
            producer.produce(topic, value=value, key=key)
        except BufferError:
            producer.poll(0.05)
        else:
            return


def produce_backlog(
    bootstrap: str, topic: str, templates: list[Template], count: int, *, first: int = 0
) -> float:
    """Write events ``first .. first+count-1`` as fast as possible; returns the seconds taken."""
    producer = _producer(bootstrap, linger_ms=50)
    started = time.monotonic()
    size = len(templates)
    now_ms = int(time.time() * 1000)
    for n in range(first, first + count):
        template = templates[n % size]
        _produce(producer, topic, b"shopper%d" % (n % 5000), template.render(n, now_ms))
        if n % 10_000 == 0:
            producer.poll(0)
    if producer.flush(120) != 0:
        raise RuntimeError("the backlog was not fully acknowledged within 120 s")
    return time.monotonic() - started


class RateProducer:
    """Writes ``rate_per_s`` events for ``seconds`` in a thread, each with eventTime = now."""

    TICK_S: Final = 0.005

    def __init__(
        self,
        bootstrap: str,
        topic: str,
        templates: list[Template],
        rate_per_s: float,
        seconds: float,
        *,
        first: int = 0,
    ) -> None:
        self.topic, self.templates = topic, templates
        self.rate, self.seconds, self.first = rate_per_s, seconds, first
        self.produced = 0
        self.behind_max = 0
        self._producer = _producer(bootstrap, linger_ms=1)
        self._thread = threading.Thread(target=self._run, name="rate-producer", daemon=True)

    def start(self) -> None:
        """Start producing."""
        self._thread.start()

    def join(self) -> None:
        """Wait until every event was written and acknowledged."""
        self._thread.join()

    def _run(self) -> None:
        total = int(self.rate * self.seconds)
        size = len(self.templates)
        started = time.monotonic()
        while self.produced < total:
            due = min(total, int((time.monotonic() - started) * self.rate) + 1)
            self.behind_max = max(self.behind_max, due - self.produced)
            now_ms = int(time.time() * 1000)
            for n in range(self.first + self.produced, self.first + due):
                key = b"shopper%d" % (n % 5000)
                _produce(
                    self._producer, self.topic, key, self.templates[n % size].render(n, now_ms)
                )
            self.produced = due
            self._producer.poll(0)
            time.sleep(self.TICK_S)
        self._producer.flush(60)

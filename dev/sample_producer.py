"""Sample behaviour events for a topic: Avro in the Confluent wire format, one record type each.

``python -m dev.sample_producer --topic behavior.events --count 70`` produces events of every
sample type in turn (keyed by the contact's e-mail), each serialised by confluent-kafka's
``AvroSerializer`` with its schema from ``schemas/`` registered under its record name
(RecordNameStrategy: several record types share the topic). ``--count 0`` produces until
SIGINT or SIGTERM, ``--interval-s`` paces it. ``make demo`` (dev/demo.py) uses the same samples
and serialisers; docker-compose.yml runs this module in its ``producer`` service (the
Dockerfile's ``tools`` target, which carries this file, ``schemas/`` and the serdes extras).

Needs only confluent-kafka with its ``avro`` and ``schemaregistry`` extras and the standard
library, so the ``tools`` image needs neither the consumer nor the sandbox.
"""

from __future__ import annotations

import argparse
import itertools
import os
import signal
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from types import FrameType
from typing import Any

from confluent_kafka import KafkaError, Message, Producer
from confluent_kafka.schema_registry import SchemaRegistryClient, record_subject_name_strategy
from confluent_kafka.schema_registry.avro import AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

__all__ = ["SAMPLES", "avro_serializer", "main", "parse_args", "produce_samples", "sample_event"]

SCHEMAS = Path(__file__).resolve().parents[1] / "schemas"

#: schema file (schemas/<name>.avsc) -> fields of one valid event (besides the common ones)
SAMPLES: dict[str, dict[str, Any]] = {
    "add_to_cart_event": {
        "currency": "EUR",
        "productId": "SKU-1001",
        "productName": "Trail Shoe",
        "itemQuantity": 1,
        "unitPrice": 89.5,
        "productCategory": "Shoes / Running",
    },
    "order_event": {"orderId": "ORD-7788", "currency": "USD", "orderValue": 134.6},
    "page_view_event": {"url": "https://shop.example/help", "pageCategory": "support"},
    "product_view_event": {
        "productId": "SKU-1001",
        "unitPrice": 89.5,
        "currency": "EUR",
        "productName": "Trail Shoe",
    },
    "on_site_search_event": {"searchTerm": "waterproof sandals", "numberOfResults": 0},
    "error_event": {
        "errorIdentifier": "PAY-402",
        "errorText": "Card declined",
        "errorType": "user",
    },
    "product_configuration_event": {
        "productId": "SKU-1001",
        "productName": "Trail Shoe",
        "configurationType": "size",
    },
}

Serialize = Callable[[dict[str, Any]], bytes]


def sample_event(n: int, fields: dict[str, Any], **identity: Any) -> dict[str, Any]:
    """Event number ``n``: common fields, an identity (an e-mail unless given) and ``fields``."""
    base: dict[str, Any] = {
        "eventId": f"demo-{n}",
        "eventTime": int(time.time() * 1000),
        "sessionId": f"session-{n % 7}",
        "attributes": {"source": "demo"},
    }
    return {**base, **(identity or {"email": f"demo.user{n % 13}@example.com"}), **fields}


def avro_serializer(registry: SchemaRegistryClient, schema_name: str, topic: str) -> Serialize:
    """A record -> Confluent wire format bytes function for schemas/<schema_name>.avsc."""
    serializer = AvroSerializer(
        registry,
        (SCHEMAS / f"{schema_name}.avsc").read_text(),
        conf={"subject.name.strategy": record_subject_name_strategy},
    )
    ctx = SerializationContext(topic, MessageField.VALUE)

    def serialize(record: dict[str, Any]) -> bytes:
        data = serializer(record, ctx)
        assert data is not None
        return bytes(data)

    return serialize


def produce_samples(
    producer: Producer,
    serializers: dict[str, Serialize],
    topic: str,
    count: int,
    *,
    interval_s: float = 0.0,
    stopped: Callable[[], bool] = lambda: False,
) -> int:
    """Produce ``count`` events (0: until ``stopped()``), the sample types in turn; the number."""
    names = itertools.cycle(serializers)
    produced = 0
    while (count == 0 or produced < count) and not stopped():
        name = next(names)
        event = sample_event(produced + 1, SAMPLES[name])
        producer.produce(topic, key=event["email"].encode(), value=serializers[name](event))
        produced += 1
        producer.poll(0)
        if interval_s > 0:
            time.sleep(interval_s)
        if produced % 100 == 0:
            print(f"produced {produced} events to {topic}", flush=True)
    return produced


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command line (``sys.argv[1:]`` when ``argv`` is None); exits 2 on a bad one."""
    parser = argparse.ArgumentParser(
        prog="python -m dev.sample_producer",
        description="Produce sample Avro behaviour events (Confluent wire format) to a topic.",
    )
    parser.add_argument(
        "--bootstrap-servers",
        default=os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092"),
        help="Kafka bootstrap servers (default: $KAFKA_BOOTSTRAP_SERVERS or localhost:9092)",
    )
    parser.add_argument(
        "--registry-url",
        default=os.environ.get("SCHEMA_REGISTRY_URL", "http://localhost:8081"),
        help="schema registry URL (default: $SCHEMA_REGISTRY_URL or http://localhost:8081)",
    )
    parser.add_argument("--topic", default="behavior.events", help="topic to produce to")
    parser.add_argument(
        "--count", type=int, default=len(SAMPLES) * 10, help="events to produce; 0: until stopped"
    )
    parser.add_argument(
        "--interval-s", type=float, default=0.0, help="pause after each event (seconds)"
    )
    args = parser.parse_args(argv)
    if args.count < 0 or args.interval_s < 0:
        parser.error("--count and --interval-s must not be negative")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Produce the events; 0 when every one was delivered, 1 otherwise."""
    args = parse_args(argv)
    stop: list[int] = []

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        stop.append(signum)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    failed: list[KafkaError] = []

    def on_delivery(err: KafkaError | None, _msg: Message) -> None:
        if err is not None:
            failed.append(err)

    producer = Producer(
        {
            "bootstrap.servers": args.bootstrap_servers,
            "enable.idempotence": True,
            "on_delivery": on_delivery,
            "log_level": 3,
        }
    )
    registry = SchemaRegistryClient({"url": args.registry_url})
    serializers = {name: avro_serializer(registry, name, args.topic) for name in SAMPLES}
    produced = produce_samples(
        producer,
        serializers,
        args.topic,
        args.count,
        interval_s=args.interval_s,
        stopped=lambda: bool(stop),
    )
    left = producer.flush(30)
    print(
        f"produced {produced} events to {args.topic}: "
        f"{produced - len(failed) - left} delivered, {len(failed)} failed, {left} undelivered",
        flush=True,
    )
    if failed:
        print(f"first delivery error: {failed[0]}", file=sys.stderr)
    return 0 if not failed and left == 0 else 1


if __name__ == "__main__":
    sys.exit(main())

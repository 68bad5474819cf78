"""Events written by confluent-kafka's AvroSerializer against the real registry decode through
our Decoder/Translator to the expected signals (the golden inputs)."""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import pytest
from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.schema_registry import SchemaRegistryClient, topic_record_subject_name_strategy
from confluent_kafka.schema_registry.avro import AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

from consumer.config import Settings
from consumer.errors import UnknownSchemaError
from consumer.mapping.custom import CustomMappings
from consumer.mapping.tables import RECORD_SIGNAL_TYPES
from consumer.translate import Translator
from consumer.types import KafkaMessage
from tests.unit.avro.fakes import Message

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests" / "golden"
SCHEMAS = {
    json.loads(p.read_text())["name"]: p.read_text()
    for p in sorted((ROOT / "schemas").glob("*.avsc"))
}


def produce(
    bootstrap: str, registry_url: str, topic: str, items: list[tuple[str, dict[str, Any]]]
) -> None:
    """Serialize (schema text, record) pairs with AvroSerializer and produce them in order."""
    producer = Producer({"bootstrap.servers": bootstrap})
    ctx = SerializationContext(topic, MessageField.VALUE)
    conf = {"subject.name.strategy": topic_record_subject_name_strategy}
    with SchemaRegistryClient({"url": registry_url}) as client:
        serializers: dict[str, AvroSerializer] = {}
        for schema, record in items:
            if schema not in serializers:
                serializers[schema] = AvroSerializer(client, schema, conf=conf)
            producer.produce(topic, value=serializers[schema](record, ctx))
    assert producer.flush(30) == 0


def consume(bootstrap: str, topic: str, count: int, timeout_s: float = 30.0) -> list[KafkaMessage]:
    """The first ``count`` records of partition 0 of ``topic`` (confluent-kafka Messages)."""
    consumer = Consumer(
        {"bootstrap.servers": bootstrap, "group.id": f"decode-{time.time_ns()}"}
        | {"enable.auto.commit": False}
    )
    consumer.assign([TopicPartition(topic, 0, 0)])
    out: list[KafkaMessage] = []
    deadline = time.monotonic() + timeout_s
    while len(out) < count and time.monotonic() < deadline:
        msg = consumer.poll(0.5)
        if msg is not None and msg.error() is None:
            out.append(cast(KafkaMessage, msg))  # its headers() is typed more loosely
    consumer.close()
    assert len(out) == count, f"read {len(out)} of {count} records"
    return out


def translator(registry_url: str, **over: Any) -> Translator:
    """A Translator on the real registry."""
    config = Settings(schema_registry_url=registry_url, default_app_key="app-default", **over)
    return Translator(config, custom=None if config.mapping_files else CustomMappings())


def test_avro_serializer_events_translate_to_the_golden_signals(
    kafka_bootstrap: str, schema_registry_url: str, make_topic: Callable[..., str]
) -> None:
    """One event of every schema, produced with AvroSerializer, gives its golden signal."""
    goldens = [
        json.loads((GOLDEN / f"{signal_type}.json").read_text())
        for signal_type in sorted(RECORD_SIGNAL_TYPES.values())
    ]
    topic = make_topic(partitions=1)
    produce(
        kafka_bootstrap,
        schema_registry_url,
        topic,
        [(SCHEMAS[golden["record"]], golden["event"]) for golden in goldens],
    )
    tr = translator(schema_registry_url)
    try:
        for golden, msg in zip(goldens, consume(kafka_bootstrap, topic, len(goldens)), strict=True):
            event, signal = tr.translate_event(msg)
            assert event.record_name == f"io.connectsignals.events.{golden['record']}"
            assert signal.as_input() == golden["input"]
    finally:
        tr.close()


def test_older_writer_version_resolves_against_the_real_registry(
    kafka_bootstrap: str, schema_registry_url: str, make_topic: Callable[..., str]
) -> None:
    """An AddToCartEvent written with an older schema (no discount) still translates."""
    older = json.loads(SCHEMAS["AddToCartEvent"])
    older["fields"] = [f for f in older["fields"] if f["name"] not in {"discount", "imageUrls"}]
    golden = json.loads((GOLDEN / "addToCart.json").read_text())
    event = {k: v for k, v in golden["event"].items() if k not in {"discount", "imageUrls"}}
    topic = make_topic(partitions=1)
    produce(kafka_bootstrap, schema_registry_url, topic, [(json.dumps(older), event)])
    expected = copy.deepcopy(golden["input"])
    expected["signalContent"].pop("discount")
    tr = translator(schema_registry_url)
    try:
        (msg,) = consume(kafka_bootstrap, topic, 1)
        assert tr.translate(msg).as_input() == expected
    finally:
        tr.close()


def test_custom_record_translates_through_the_example_mapping(
    kafka_bootstrap: str, schema_registry_url: str, make_topic: Callable[..., str]
) -> None:
    """A ShopEvent (not ours) is read with its writer schema and mapped by the example file."""
    shop = (ROOT / "examples" / "mappings" / "ecommerce_event.avsc").read_text()
    event = {
        "id": "shop-1",
        "occurredAt": 1_750_000_000_000,
        "action": "PRODUCT_VIEW",
        "customer": {"customerId": None, "email": " Jane@Example.com "},
        "currency": "usd",
        "product": {"sku": "SKU-9", "title": "Socks", "priceCents": 1299},
    }
    topic = make_topic(partitions=1)
    produce(kafka_bootstrap, schema_registry_url, topic, [(shop, event)])
    tr = translator(schema_registry_url, mapping_files=[str(ROOT / "examples" / "mappings")])
    try:
        (msg,) = consume(kafka_bootstrap, topic, 1)
        signal = tr.translate(msg)
    finally:
        tr.close()
    assert signal.signal_type == "productView"
    assert (signal.identity_kind, signal.identity_value) == ("email", "jane@example.com")
    assert signal.content["unitPrice"] == 12.99


def test_unknown_schema_id_is_unknown_to_the_real_registry(schema_registry_url: str) -> None:
    """An id the real registry does not hold raises UnknownSchemaError (404 / 40403) once the
    follower retry window (0 here) has passed."""
    msg = Message(b"\x00" + (2_000_000_000).to_bytes(4, "big") + b"\x00")
    tr = translator(schema_registry_url, schema_not_found_retry_s=0)
    try:
        with pytest.raises(UnknownSchemaError) as raised:
            tr.translate(msg)
    finally:
        tr.close()
    assert (raised.value.schema_id, raised.value.raw) == (2_000_000_000, msg)

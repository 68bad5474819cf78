"""replay and dlq redrive refuse records above SIGNALS_MAX_RECORD_BYTES too (issue 14, item 13)."""

from __future__ import annotations

from consumer.ops.processor import Entry, Processor, Wiring
from consumer.ops.progress import Tally
from consumer.signals.model import Signal
from consumer.types import KafkaMessage
from tests.unit.ops.fakes import FakeMessage, FakeProducer, Script, encode, translate
from tests.unit.ops.fakes import ops_settings as settings


def test_a_record_above_the_maximum_size_is_dead_lettered_without_being_decoded() -> None:
    """The large record is never translated; it is dead-lettered as too_large, the rest sent."""
    seen: list[int] = []

    def counting(msg: KafkaMessage) -> Signal:
        seen.append(msg.offset() or 0)
        return translate(msg)

    producer, tally = FakeProducer(), Tally()
    wiring = Wiring(
        translate=counting, encode=encode, send=Script(), producer=producer, sleep=lambda s: None
    )
    entries = [
        Entry(FakeMessage("src", 0, 0, _value=b"v" * 5_000)),
        Entry(FakeMessage("src", 0, 1, _value=b"v")),
    ]
    Processor(settings(max_record_bytes=4_096), wiring, tally, dlq_topic="dlq").process(entries)
    assert seen == [1]
    assert tally.by_reason == {"too_large": 1}
    assert tally.delivered == 1
    assert dict(producer.records[0]["headers"])["signals.error.code"] == b"too_large"

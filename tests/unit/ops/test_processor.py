"""One batch through translate -> send -> dead-letter, counted in a Tally.

Every collaborator is a fake: "dead-lettered" here means handed to a fake producer that
acknowledges (or fails) in-process; writing to the real dead-letter topic is covered by
tests/integration/test_ops_dlq.py.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from consumer.errors import BatchRejected, DeadLetterUnavailable
from consumer.ops.processor import Entry, Processor, Wiring
from consumer.ops.progress import Tally
from tests.unit.ops.fakes import FakeMessage, FakeProducer, Script, encode, translate
from tests.unit.ops.fakes import ops_settings as settings


def wiring(send: Script, producer: FakeProducer) -> Wiring:
    """Fakes for every collaborator."""
    return Wiring(
        translate=translate, encode=encode, send=send, producer=producer, sleep=lambda s: None
    )


def messages() -> list[FakeMessage]:
    """Offsets 0..4: offset 1 undecodable, offset 3 an order."""
    values = [b"v", b"bad", b"v", b"order", b"v"]
    return [FakeMessage("src", 0, i, _value=v) for i, v in enumerate(values)]


def test_delivers_and_dead_letters_with_counts() -> None:
    """Good records are sent, the bad one produced to the DLQ topic, counts by type and reason."""
    send, producer = Script(), FakeProducer()
    tally = Tally()
    Processor(settings(), wiring(send, producer), tally, dlq_topic="dlq").process(
        [Entry(m) for m in messages()]
    )
    assert send.calls == [["c-0", "c-2", "c-3", "c-4"]]
    assert (tally.read, tally.delivered, tally.dead_lettered) == (5, 4, 1)
    assert tally.by_type == {"addToCart": 3, "order": 1}
    assert tally.by_reason == {"permanent": 1}
    assert [r["topic"] for r in producer.records] == ["dlq"]
    assert producer.records[0]["value"] == b"bad"


def test_api_rejection_goes_to_the_dlq_with_the_entry_attempt() -> None:
    """A signal the API rejects is dead-lettered with the entry's attempt and first failure."""

    def answer(lits: Sequence[str]) -> list[str]:
        if "c-2" in lits:
            raise BatchRejected("bad", {lits.index("c-2"): "unitPrice: must be >= 0"})
        return ["id"] * len(lits)

    producer = FakeProducer()
    tally = Tally()
    entries = [Entry(m, attempt=3, first_failure_ms=1_600_000_000_000) for m in messages()]
    Processor(settings(), wiring(Script(answer), producer), tally, dlq_topic="dlq").process(entries)
    assert tally.by_reason == {"permanent": 1, "rejected_by_api": 1}
    rejected = next(r for r in producer.records if r["value"] == b"v")
    headers = dict(rejected["headers"])
    assert headers["signals.attempt"] == b"3"
    assert headers["signals.failure.first.ms"] == b"1600000000000"
    assert headers["signals.api.error"] == b"unitPrice: must be >= 0"


def test_dry_run_sends_and_writes_nothing() -> None:
    """A dry run counts what would be sent and dead-lettered without touching either."""
    send, producer = Script(), FakeProducer()
    tally = Tally(dry_run=True)
    Processor(settings(), wiring(send, producer), tally, dlq_topic="dlq").process(
        [Entry(m) for m in messages()]
    )
    assert send.calls == []
    assert producer.records == []
    assert (tally.delivered, tally.by_reason["permanent"]) == (4, 1)


def test_unacknowledged_dead_letter_raises() -> None:
    """A dead letter the (fake) producer reports as failed raises DeadLetterUnavailable."""
    tally = Tally()
    processor = Processor(
        settings(), wiring(Script(), FakeProducer(fail=True)), tally, dlq_topic="dlq"
    )
    with pytest.raises(DeadLetterUnavailable, match="dlq"):
        processor.process([Entry(m) for m in messages()])

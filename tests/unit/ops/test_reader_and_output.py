"""The range reader on a fake consumer, the summary table, and the dlq inspect rendering."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from typing import Any

import pytest
from confluent_kafka import KafkaError, KafkaException
from rich.console import Console

from consumer.deadletter import dead_letter_headers
from consumer.errors import DecodeError, NotEntitledError, OperationRefused
from consumer.ops.dlq_inspect import describe, render_text
from consumer.ops.dlq_records import DlqRecord
from consumer.ops.kafka_io import RangeReader, watermarks
from consumer.ops.progress import ProgressBar, Tally, render_summary
from consumer.ops.ranges import PartitionRange, Watermarks
from tests.unit.ops.fakes import FakeMessage


@dataclass
class Record(FakeMessage):
    """A consumed record with ``error()`` (None, or a KafkaError for an event)."""

    _error: KafkaError | None = None

    def error(self) -> KafkaError | None:
        return self._error


@dataclass
class FakeConsumer:
    """Hands out scripted ``consume`` answers; records assign and pause."""

    answers: list[list[Record]]
    assigned: list[tuple[str, int, int]] = field(default_factory=list)
    paused: list[tuple[str, int]] = field(default_factory=list)

    def assign(self, tps: list[Any]) -> None:
        self.assigned = [(tp.topic, tp.partition, tp.offset) for tp in tps]

    def consume(self, num_messages: int = 1, timeout: float = -1) -> list[Record]:
        return self.answers.pop(0) if self.answers else []

    def pause(self, tps: list[Any]) -> None:
        self.paused += [(tp.topic, tp.partition) for tp in tps]


def rng(partition: int, start: int, end: int) -> PartitionRange:
    """A range of topic t."""
    return PartitionRange("t", partition, start, end, Watermarks(0, 100))


def eof(partition: int) -> Record:
    """A partition-EOF event."""
    return Record("t", partition, 0, _error=KafkaError(KafkaError._PARTITION_EOF))


def test_reader_stops_at_the_end_of_every_range() -> None:
    """Records past a range's end are dropped; EOF finishes a partition; positions advance."""
    consumer = FakeConsumer(
        [
            [Record("t", 0, 3), Record("t", 1, 10), Record("t", 0, 4)],
            [Record("t", 0, 5), Record("t", 1, 11), eof(1)],
        ]
    )
    reader = RangeReader(consumer, [rng(0, 3, 5), rng(1, 10, 20), rng(2, 7, 7)], batch_size=10)
    batches = [[(m.partition(), m.offset()) for m in b] for b in reader.batches()]
    assert batches == [[(0, 3), (1, 10), (0, 4)], [(1, 11)]]
    assert consumer.assigned == [("t", 0, 3), ("t", 1, 10)]
    assert reader.positions == {("t", 0): 5, ("t", 1): 20, ("t", 2): 7}
    assert reader.done()
    assert (reader.total, reader.completed) == (12, 12)
    assert sorted(consumer.paused) == [("t", 0), ("t", 1)]


def test_resume_points_go_back_to_the_first_unprocessed_record() -> None:
    """After a batch, each partition resumes at its position or its first unprocessed record."""
    consumer = FakeConsumer([[Record("t", 0, 3), Record("t", 1, 10), Record("t", 0, 4)]])
    reader = RangeReader(consumer, [rng(0, 3, 5), rng(1, 10, 20)], batch_size=10)
    batch = next(reader.batches())
    assert reader.resume_points() == {0: 5, 1: 11}
    assert reader.resume_points(batch[1:]) == {0: 4, 1: 10}


def test_reader_with_only_empty_ranges_reads_nothing() -> None:
    """Empty ranges are never assigned and yield nothing."""
    consumer = FakeConsumer([])
    assert list(RangeReader(consumer, [rng(0, 5, 5)], batch_size=10).batches()) == []
    assert consumer.assigned == []


def test_a_broker_failure_is_refused_naming_the_lookup() -> None:
    """A KafkaException of a lookup becomes OperationRefused saying what could not be read."""

    class Unreachable:
        def get_watermark_offsets(self, *args: Any, **kwargs: Any) -> tuple[int, int]:
            raise KafkaException(KafkaError(KafkaError._TRANSPORT))

    with pytest.raises(OperationRefused, match=r"^cannot read the offsets of t\[3\]: "):
        watermarks(Unreachable(), "t", 3)  # type: ignore[arg-type]


def test_progress_bar_never_moves_back_and_finishes_at_the_total() -> None:
    """set_completed ignores a lower count; finish() completes a range with fewer records."""
    console = Console(file=io.StringIO(), width=120)
    with ProgressBar("replay t", 10, console=console) as bar:
        bar.set_completed(6)
        bar.set_completed(4)
        assert bar.completed == 6
        bar.finish()
        assert bar.completed == 10
    assert "10/10" in console.file.getvalue()  # type: ignore[attr-defined]


def test_summary_lists_counts_by_type_and_reason() -> None:
    """The summary shows read, delivered by signal type and dead-lettered by reason."""
    tally = Tally(read=6, delivered=4, notes=["a note"])
    tally.by_type.update({"addToCart": 3, "order": 1})
    tally.by_reason.update({"undecodable": 2})
    out = io.StringIO()
    render_summary(tally, Console(file=out, width=120), title="replay of t")
    text = out.getvalue()
    for expected in (
        "replay of t",
        "read",
        "delivered",
        "signalType=addToCart",
        "reason=undecodable",
    ):
        assert expected in text
    assert "note: a note" in text
    dry = Tally(dry_run=True, notes=["a note"])
    out = io.StringIO()
    render_summary(dry, Console(file=out, width=120), title="replay of t")
    assert "would send" in out.getvalue()
    assert "(dry run)" in out.getvalue()
    assert out.getvalue().endswith(
        "note: a note\nnote: dry run: nothing was sent or written; add --execute to send\n"
    )


def dlq_record(value: bytes) -> DlqRecord:
    """A DLQ record of an event keyed by an email address."""
    source = FakeMessage(
        "orders",
        0,
        3,
        _key=b"jane@example.com",
        _value=value,
        _headers=[("who", b"bob@example.org")],
    )
    err = NotEntitledError("jane@example.com: type not entitled", field="signalContent")
    headers = dead_letter_headers(err, source, now_ms=1_700_000_000_000)
    return DlqRecord.from_message(
        FakeMessage(
            "dlq",
            0,
            9,
            _key=source.key(),
            _value=value,
            _headers=[*(source.headers() or []), *headers],
        )
    )


def test_describe_decodes_and_masks() -> None:
    """A decodable payload is shown masked; key, headers and message are masked too."""
    record = dlq_record(b"\x00\x00\x00\x00\x01...")
    item = describe(
        record, lambda msg: ("io.x.Event", {"email": "jane@example.com", "n": 1}), show_pii=False
    )
    assert item["payload"] == {"email": "j***@example.com", "n": 1}
    assert item["key"] == "j***@example.com"
    assert item["headers"] == {"who": "b***@example.org"}
    assert "jane@" not in json.dumps(item)
    assert item["reason"] == "not_entitled"
    text = render_text(item)
    assert "reason=not_entitled" in text
    assert "io.x.Event" in text
    shown = describe(
        record, lambda msg: ("io.x.Event", {"email": "jane@example.com"}), show_pii=True
    )
    assert shown["payload"] == {"email": "jane@example.com"}
    assert shown["key"] == "jane@example.com"


def test_describe_reports_undecodable_values() -> None:
    """A value the decoder refuses is shown as a masked excerpt with the decode error."""

    def refuse(msg: object) -> tuple[str, dict[str, Any]]:
        raise DecodeError("wrong magic byte (sent by jane@example.com)")

    item = describe(dlq_record(b"mail jane@example.com"), refuse, show_pii=False)
    assert item["payload"] is None
    assert "wrong magic byte" in item["decode_error"]
    assert "j***@example.com" in item["decode_error"]
    assert item["raw_value"] == "mail j***@example.com"
    assert "not decoded" in render_text(item)

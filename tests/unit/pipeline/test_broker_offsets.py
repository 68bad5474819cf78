"""The offsets thread's rounds: what they read, and the queue of the reader they serve."""

from __future__ import annotations

from confluent_kafka import TopicPartition

from consumer.pipeline.broker_offsets import BrokerOffsets
from consumer.pipeline.loop import Parts, Pipeline

from .fakes import FakeProducer, ScriptedSender, settings, translate_literal
from .test_loop import FakeConsumer


class Reader:
    """A reader of its own: answers every read, counts the polls that serve its queue."""

    def __init__(self) -> None:
        self.polls: list[float] = []

    def committed(self, parts: list[TopicPartition], timeout: float = 1) -> list[TopicPartition]:
        return [TopicPartition(p.topic, p.partition, 7) for p in parts]

    def get_watermark_offsets(
        self, tp: TopicPartition, timeout: float = 1, cached: bool = False
    ) -> tuple[int, int]:
        return 2, 9

    def poll(self, timeout: float = -1) -> None:
        self.polls.append(timeout)

    def close(self) -> None:
        return None


def test_each_round_serves_the_queue_of_a_reader_of_its_own() -> None:
    """A round ends with one ``serve(0)``: the fake reader's poll, standing for the real one's,
    whose queued log lines nothing else serves."""
    reader = Reader()
    broker = BrokerOffsets(reader, serve=reader.poll)
    broker.ask(committed=[("t", 0)], watermarks=[("t", 0), ("t", 1)])
    broker.refresh()
    broker.refresh()
    assert reader.polls == [0, 0]
    assert broker.committed() == {("t", 0): 7}
    assert {tp: (r.low, r.high) for tp, r in broker.watermarks().items()} == {
        ("t", 0): (2, 9),
        ("t", 1): (2, 9),
    }


def test_a_round_on_the_loops_own_consumer_never_polls_it() -> None:
    """Without ``serve`` (test doubles sharing the loop's consumer) a round polls nothing: a
    poll there would take a record from the loop."""
    reader = Reader()
    broker = BrokerOffsets(reader)
    broker.ask(committed=[("t", 0)], watermarks=[("t", 0)])
    broker.refresh()
    assert reader.polls == []


class PollRecording(FakeConsumer):
    """The loop's consumer, recording any poll (one would take a record from the loop)."""

    def __init__(self) -> None:
        super().__init__("t", {0: []})
        self.polls: list[float] = []

    def poll(self, timeout: float = -1) -> None:
        self.polls.append(timeout)


def _built(consumer: PollRecording, reader: Reader | None) -> Pipeline:
    parts = Parts(
        consumer=consumer,
        producer=FakeProducer(),
        translate=translate_literal,
        send=ScriptedSender(),
        encode=str,
        delay=lambda attempt, retry_after: 0.0,
        reader=reader,
    )
    return Pipeline(settings(), parts)


def test_the_pipeline_polls_its_reader_and_never_its_consumer() -> None:
    """With a reader the pipeline's offsets thread reads and polls it; without one (test
    doubles) it reads the loop's consumer and never polls it."""
    consumer, reader = PollRecording(), Reader()
    pipeline = _built(consumer, reader)
    pipeline.broker.ask(committed=[("t", 0)], watermarks=[("t", 0)])
    pipeline.broker.refresh()
    assert reader.polls == [0]
    assert pipeline.broker.committed() == {("t", 0): 7}
    shared = _built(consumer, None)
    shared.broker.ask(committed=[("t", 0)], watermarks=[("t", 0)])
    shared.broker.refresh()
    assert consumer.polls == []
    assert ("t", 0) in shared.broker.watermarks()

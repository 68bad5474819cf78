"""The offsets thread's rounds: what they read, and the queue of the reader they serve."""

from __future__ import annotations

from confluent_kafka import TopicPartition

from consumer.pipeline.broker_offsets import BrokerOffsets


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


def test_each_round_serves_the_queue_of_a_reader_of_its_own() -> None:
    """A round ends with one poll(0) of its own reader, whose log lines wait in its queue for
    a poll nobody else makes (unserved, they grew by about 20 a second while a broker was away)."""
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

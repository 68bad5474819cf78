"""The Kafka edge and the callables the runtime is wired with, as Protocols and aliases.

``confluent_kafka``'s ``Consumer``, ``Producer``, ``Message`` and ``TopicPartition`` satisfy
these; unit tests use small fakes (tests/unit/pipeline/fakes.py). A consumed record is read
through :class:`KafkaMessage` (:class:`KafkaRecord` adds the error in a record's place). Its
headers are always a list (a dict only on the produce side), which is why the real consumer is
cast to :class:`KafkaConsumer` once, where it is built.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from confluent_kafka import KafkaError
    from confluent_kafka import TopicPartition as KafkaTopicPartition

    from consumer.signals.model import Signal

__all__ = [
    "AssigningConsumer",
    "DelayFn",
    "EncodeFn",
    "FastFn",
    "Header",
    "KafkaConsumer",
    "KafkaMessage",
    "KafkaProducer",
    "KafkaRecord",
    "OffsetReader",
    "OffsetReads",
    "OpsConsumer",
    "RangeConsumer",
    "SendFn",
    "StopFlag",
    "TopicLister",
    "TopicPartition",
    "TranslateFn",
]

Header = tuple[str, bytes | None]


class KafkaMessage(Protocol):
    """What the runtime reads from a consumed record."""

    def topic(self) -> str | None: ...
    def partition(self) -> int | None: ...
    def offset(self) -> int | None: ...
    def key(self) -> bytes | None: ...
    def value(self) -> bytes | None: ...
    def headers(self) -> Sequence[Header] | None: ...
    def timestamp(self) -> tuple[int, int]: ...


class TopicPartition(Protocol):
    """A partition (and an offset) as the client reports it: rebalances, commits, lookups."""

    @property
    def topic(self) -> str: ...
    @property
    def partition(self) -> int: ...
    @property
    def offset(self) -> int: ...
    @property
    def error(self) -> KafkaError | None: ...


class KafkaProducer(Protocol):
    """The slice of ``confluent_kafka.Producer`` the dead-letter writer uses."""

    def produce(self, topic: str, *args: Any, **kwargs: Any) -> None: ...
    def poll(self, timeout: float = ...) -> int: ...
    def flush(self, timeout: float = ...) -> int: ...


class KafkaRecord(KafkaMessage, Protocol):
    """A record as ``consume`` returns it: a message, or an error in its place."""

    def error(self) -> KafkaError | None: ...


class OffsetReads(Protocol):
    """The broker reads of the offsets thread: committed offsets and watermarks."""

    def committed(
        self, partitions: list[KafkaTopicPartition], timeout: float = ...
    ) -> list[KafkaTopicPartition]: ...
    def get_watermark_offsets(
        self, partition: KafkaTopicPartition, timeout: float = ..., cached: bool = ...
    ) -> tuple[int, int]: ...


class KafkaConsumer(OffsetReads, Protocol):
    """The slice of ``confluent_kafka.Consumer`` the poll loop uses."""

    def subscribe(self, topics: list[str], **callbacks: Any) -> None: ...
    def consume(self, num_messages: int = ..., timeout: float = ...) -> Sequence[KafkaRecord]: ...
    def pause(self, partitions: list[KafkaTopicPartition]) -> None: ...
    def resume(self, partitions: list[KafkaTopicPartition]) -> None: ...
    def seek(self, partition: KafkaTopicPartition) -> None: ...
    def commit(self, *, offsets: list[KafkaTopicPartition], asynchronous: bool) -> Any: ...
    def close(self) -> None: ...


class AssigningConsumer(Protocol):
    """What the rebalance callbacks call on the consumer that invokes them."""

    def assign(self, partitions: list[KafkaTopicPartition]) -> None: ...
    def unassign(self) -> None: ...
    def incremental_assign(self, partitions: list[KafkaTopicPartition]) -> None: ...
    def incremental_unassign(self, partitions: list[KafkaTopicPartition]) -> None: ...


class RangeConsumer(Protocol):
    """The slice of ``confluent_kafka.Consumer`` that reads offset ranges (``assign``, no group)."""

    def assign(self, partitions: list[KafkaTopicPartition]) -> None: ...
    def consume(self, num_messages: int = ..., timeout: float = ...) -> Sequence[KafkaRecord]: ...
    def pause(self, partitions: list[KafkaTopicPartition]) -> None: ...


class TopicLister(Protocol):
    """A client that answers a metadata request (consumer or admin)."""

    def list_topics(self, topic: str | None = ..., timeout: float = ...) -> Any: ...


class OffsetReader(OffsetReads, Protocol):
    """The offsets thread's own consumer of the group (never the loop's: a Consumer admits one
    thread at a time), which nothing else polls: ``poll(0)`` serves its queued log lines."""

    def poll(self, timeout: float = ...) -> Any: ...
    def close(self) -> None: ...


class OpsConsumer(RangeConsumer, TopicLister, Protocol):
    """What the operations commands add to reading: lookups of partitions and offsets."""

    def get_watermark_offsets(
        self, partition: KafkaTopicPartition, timeout: float = ..., cached: bool = ...
    ) -> tuple[int, int]: ...
    def offsets_for_times(
        self, partitions: list[KafkaTopicPartition], timeout: float = ...
    ) -> list[KafkaTopicPartition]: ...
    def close(self) -> None: ...


class StopFlag(Protocol):
    """How the poll loop is asked to stop (``ShutdownRequest``; from another thread, as in
    tests, a ``threading.Event`` too: never from a signal handler, whose ``set`` takes a lock)."""

    def is_set(self) -> bool: ...
    def set(self) -> None: ...


#: Sends pre-encoded signal literals as one mutation; returns the signal ids.
SendFn = Callable[[Sequence[str]], list[str]]
#: ``(attempt, retry_after_s) -> seconds`` (:meth:`consumer.connect.backoff.Backoff.next_delay_s`).
DelayFn = Callable[[int, float | None], float]
#: One message -> its validated signal (:meth:`consumer.translate.Translator.translate`).
TranslateFn = Callable[[KafkaMessage], "Signal"]
#: A signal's input object -> its GraphQL literal (``graphql_literal.encode_input``).
EncodeFn = Callable[[Mapping[str, Any]], str]
#: The native fast path (:meth:`consumer.native.FastPath.literal`): a literal, or None for Python.
FastFn = Callable[[KafkaMessage], str | None]

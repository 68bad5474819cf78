"""The small Protocol the consumer depends on for Kafka messages.

``confluent_kafka.Message`` satisfies it; unit tests use a plain dataclass.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

__all__ = ["Header", "KafkaMessage"]

Header = tuple[str, bytes | None]


class KafkaMessage(Protocol):
    """What the pipeline reads from a consumed record."""

    def topic(self) -> str | None: ...
    def partition(self) -> int | None: ...
    def offset(self) -> int | None: ...
    def key(self) -> bytes | None: ...
    def value(self) -> bytes | None: ...
    def headers(self) -> Sequence[Header] | None: ...
    def timestamp(self) -> tuple[int, int]: ...

"""Fakes at the pipeline's boundaries: Kafka messages, a DLQ producer, a scripted sender."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from consumer.config import Settings
from consumer.errors import PermanentError
from consumer.pipeline.batcher import Item
from consumer.pipeline.engine import Engine
from consumer.pipeline.offsets import TopicPartitionKey
from consumer.signals.model import Signal
from consumer.types import Header, KafkaMessage

__all__ = [
    "Clock",
    "FakeMessage",
    "FakeProducer",
    "ScriptedSender",
    "contacts",
    "feed",
    "item",
    "make_engine",
    "pump",
    "settings",
    "translate_literal",
]


@dataclass
class FakeMessage:
    """A consumed record (satisfies consumer.types.KafkaMessage)."""

    _topic: str
    _partition: int
    _offset: int
    _value: bytes | None = b"v"
    _key: bytes | None = b"k"
    _headers: list[Header] | None = None
    _timestamp: tuple[int, int] = (1, 1_700_000_000_000)

    def topic(self) -> str | None:
        return self._topic

    def partition(self) -> int | None:
        return self._partition

    def offset(self) -> int | None:
        return self._offset

    def key(self) -> bytes | None:
        return self._key

    def value(self) -> bytes | None:
        return self._value

    def headers(self) -> Sequence[Header] | None:
        return self._headers

    def timestamp(self) -> tuple[int, int]:
        return self._timestamp


def item(tp: TopicPartitionKey, offset: int, *, t: float = 0.0, literal: str = "{x:1}") -> Item:
    """An Item for batcher/sender tests."""
    return Item(tp, offset, 1, FakeMessage(tp[0], tp[1], offset), literal, t)


@dataclass
class FakeProducer:
    """Records produced DLQ records; delivery callbacks fire on poll (or fail when told)."""

    fail: bool = False
    records: list[dict[str, Any]] = field(default_factory=list)
    _callbacks: list[Callable[[Any, Any], None]] = field(default_factory=list)

    def produce(self, topic: str, *args: Any, **kwargs: Any) -> None:
        cb = kwargs.pop("on_delivery")
        self.records.append({"topic": topic, **kwargs})
        self._callbacks.append(cb)

    def poll(self, timeout: float = 0) -> int:
        callbacks, self._callbacks = self._callbacks, []
        for cb in callbacks:
            cb("broker down" if self.fail else None, None)
        return len(callbacks)

    def flush(self, timeout: float = 0) -> int:
        self.poll()
        return 0


class ScriptedSender:
    """A send function: ``script(literals)`` decides each answer; calls are recorded."""

    def __init__(self, script: Callable[[Sequence[str]], list[str]] | None = None) -> None:
        self.calls: list[list[str]] = []
        self._script = script or (lambda lits: [f"id-{i}" for i in range(len(lits))])
        self._lock = threading.Lock()

    def __call__(self, literals: Sequence[str]) -> list[str]:
        with self._lock:
            self.calls.append(list(literals))
        return self._script(literals)


def settings(**overrides: Any) -> Settings:
    """Settings for unit tests (no environment)."""
    base: dict[str, Any] = {
        "topics": ["t"],
        "connect_api_key": "k",
        "linger_ms": 0,
        "batch_max_signals": 10,
        "max_in_flight_mutations": 2,
        "metrics_port": 0,
    }
    base.update(overrides)
    return Settings(**base)


def translate_literal(msg: KafkaMessage) -> Signal:
    """A translator: value ``bad`` is a permanent failure, anything else a signal."""
    if msg.value() == b"bad":
        raise PermanentError("cannot decode", raw=msg)
    return Signal("app", "contactKey", f"c-{msg.offset()}", {"signalType": "addToCart"})


class Clock:
    """A controllable monotonic clock."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def make_engine(
    send: Callable[[Sequence[str]], list[str]],
    producer: FakeProducer | None = None,
    clock: Clock | None = None,
    translate: Callable[[KafkaMessage], Signal] = translate_literal,
    fast: Callable[[KafkaMessage], str | None] | None = None,
    seek_results: list[bool] | None = None,
    delay: Callable[[int, float | None], float] | None = None,
    **overrides: Any,
) -> tuple[Engine, list[tuple[str, list[TopicPartitionKey]]]]:
    """An engine on fakes; returns it and the log of pause/resume/seek calls.

    ``seek_results``: what the successive seeks return (then True: a seek succeeds).
    """
    calls: list[tuple[str, list[TopicPartitionKey]]] = []
    results = list(seek_results or [])

    def seek(tp: TopicPartitionKey, offset: int) -> bool:
        calls.append((f"seek:{offset}", [tp]))
        return results.pop(0) if results else True

    engine = Engine(
        settings(**overrides),
        translate=translate,
        encode=lambda obj: str(obj["identifiableAttributes"]),
        send=send,
        dlq_producer=producer or FakeProducer(),
        pause=lambda tps: calls.append(("pause", sorted(tps))),
        resume=lambda tps: calls.append(("resume", sorted(tps))),
        seek=seek,
        delay=delay
        or (lambda attempt, retry_after: retry_after if retry_after is not None else 1.0),
        clock=clock or Clock(),
        wall_ms=lambda: 1_700_000_001_000,
        fast=fast,
    )
    return engine, calls


def feed(
    engine: Engine,
    tp: TopicPartitionKey,
    offsets: range,
    value: bytes = b"v",
    *,
    assign: bool = True,
) -> None:
    """Assign ``tp`` (unless ``assign=False``), then consume a message at each offset."""
    if assign:
        engine.on_assign([tp])
    for offset in offsets:
        engine.on_message(FakeMessage(tp[0], tp[1], offset, value))


def pump(engine: Engine, rounds: int = 200) -> None:
    """Turn the engine until nothing is in flight or ready (retries may stay scheduled)."""
    for _ in range(rounds):
        engine.dlq.poll()
        engine.handle_outcomes(timeout_s=2.0 if engine.pool.in_flight else 0.0)
        engine.run_due()
        engine.dispatch()
        if not engine.pool.in_flight and not engine.ready_jobs and not len(engine.batcher):
            engine.dlq.poll()
            return


def contacts(literals: Sequence[str]) -> list[str]:
    """The contact of each literal ``make_engine`` encodes (its identifiable attributes)."""
    return [lit.split("'")[3] for lit in literals]

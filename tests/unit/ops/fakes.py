"""Fakes for the operations commands: messages, a scripted sender, a producer, a consumer."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from consumer.config import Settings
from consumer.errors import PermanentError
from consumer.signals.model import Signal
from consumer.types import KafkaMessage
from tests.unit.pipeline.fakes import FakeMessage, FakeProducer

__all__ = [
    "FakeMessage",
    "FakeProducer",
    "Script",
    "encode",
    "ops_settings",
    "translate",
]


@dataclass
class Script:
    """A send function answering with ``answer(literals)``; records every call."""

    answer: Callable[[Sequence[str]], list[str]] = field(
        default=lambda lits: [f"id-{i}" for i in range(len(lits))]
    )
    calls: list[list[str]] = field(default_factory=list)

    def __call__(self, literals: Sequence[str]) -> list[str]:
        self.calls.append(list(literals))
        return self.answer(literals)


def translate(msg: KafkaMessage) -> Signal:
    """Value ``bad`` fails to decode; anything else becomes an addToCart signal."""
    if msg.value() == b"bad":
        raise PermanentError("cannot decode")
    kind = "order" if msg.value() == b"order" else "addToCart"
    return Signal("app", "contactKey", f"c-{msg.offset()}", {"signalType": kind})


def encode(obj: Mapping[str, Any]) -> str:
    """A literal naming the contact (so tests can see which signal was sent)."""
    return str(obj["identifiableAttributes"]["contactKey"])


def ops_settings(**overrides: Any) -> Settings:
    """Settings for unit tests (no environment)."""
    base: dict[str, Any] = {
        "connect_api_key": "k",
        "batch_max_signals": 4,
        "retry_initial_backoff_ms": 10,
        "retry_max_backoff_ms": 20,
        "dlq_topic": "dlq",
    }
    base.update(overrides)
    return Settings(**base)

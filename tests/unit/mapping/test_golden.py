"""Golden tests: one sample event per signal type maps to exactly the stored signal input."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from consumer.config import Settings
from consumer.mapping import DecodedEvent, Mapper
from consumer.mapping.tables import EVENT_NAMESPACE, RECORD_SIGNAL_TYPES
from consumer.signals.rules import validate_signal

GOLDEN = Path(__file__).resolve().parents[2] / "golden"


def _load(signal_type: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((GOLDEN / f"{signal_type}.json").read_text())
    return data


@pytest.fixture(scope="module")
def mapper() -> Mapper:
    """A mapper with a default app key and no custom mappings."""
    return Mapper(Settings(default_app_key="app-default"))


@pytest.mark.parametrize("signal_type", sorted(RECORD_SIGNAL_TYPES.values()))
def test_golden_event_maps_to_stored_input(mapper: Mapper, signal_type: str) -> None:
    """The golden event of each signal type maps to exactly the stored API input."""
    golden = _load(signal_type)
    event = DecodedEvent(7, f"{EVENT_NAMESPACE}.{golden['record']}", None, golden["event"])
    signal = mapper.map(event, topic="behavior")
    assert signal.as_input() == golden["input"]
    assert list(signal.content) == list(golden["input"]["signalContent"])
    validate_signal(signal, tier="premium")


def test_every_signal_type_has_a_golden_file() -> None:
    """There is one golden file per importable signal type and no stray one."""
    assert {p.stem for p in GOLDEN.glob("*.json")} == set(RECORD_SIGNAL_TYPES.values())


def test_datetime_event_time_renders_like_epoch_millis(mapper: Mapper) -> None:
    """A fastavro datetime eventTime gives the same signalTimestamp as epoch milliseconds."""
    golden = _load("pageView")
    moment = datetime(2025, 5, 1, 10, 0, 0, 123000, tzinfo=UTC)
    data = {**golden["event"], "eventTime": moment}
    signal = mapper.map(DecodedEvent(1, "PageViewEvent", None, data), topic="t")
    assert signal.content["signalTimestamp"] == "2025-05-01T10:00:00.123Z"

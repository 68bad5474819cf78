"""Signals we send although Connect may discard them: counted, logged, never dropped.

Reference section 9: Connect discards a signal that lacks a field its schema requires *after*
answering HTTP 200, and Acoustic's own examples use enumeration values off the documented lists.
So the rules (:mod:`consumer.signals.rules`) do not refuse such a signal: :func:`notices_of`
returns a :class:`Notice` for it, and :class:`NoticeCounts` counts it by kind, type and field.
The pipeline's metrics expose the counts as ``signals_missing_expected_field_total`` and
``signals_enum_value_unknown_total`` (labels ``signal_type``, ``field``).

Logs are bounded: one ``signal_may_be_discarded`` line at the 1st, 10th, 100th, ... notice of
each (kind, signal type, field), with those three names and the count, never a value (an
``identifierName`` off the list might be anything the producer wrote).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal

from consumer.logs import get_logger
from consumer.signals.catalog import SIGNAL_TYPES, Kind

__all__ = [
    "ENUM_VALUE_UNKNOWN",
    "MISSING_EXPECTED_FIELD",
    "Notice",
    "NoticeCounts",
    "NoticeKind",
    "notices_of",
]

NoticeKind = Literal["missing_expected_field", "enum_value_unknown"]
#: A field Connect requires (catalog ``FieldSpec.expected``) is missing or null.
MISSING_EXPECTED_FIELD: Final = "missing_expected_field"
#: An open enumeration (catalog ``Kind.OPEN_ENUM``) holds a value off its known list.
ENUM_VALUE_UNKNOWN: Final = "enum_value_unknown"


@dataclass(frozen=True, slots=True)
class Notice:
    """One reason Connect may discard a signal that we send anyway (no value: no PII)."""

    kind: NoticeKind
    signal_type: str
    field: str


class NoticeCounts:
    """Notices counted by (kind, signal type, field): one dict update each, bounded logs.

    Only the thread that translates counts; a scrape reads a copy (as ``TopicCounter``).
    """

    def __init__(self) -> None:
        self.counts: dict[Notice, int] = {}
        self._log = get_logger("signals.notices")

    def add(self, notices: Iterable[Notice]) -> None:
        """Count each notice; log the 1st, 10th, 100th, ... of each kind, type and field."""
        counts = self.counts
        for notice in notices:
            count = counts[notice] = counts.get(notice, 0) + 1
            if _power_of_ten(count):
                self._log.warning(
                    "signal_may_be_discarded",
                    notice=notice.kind,
                    signal_type=notice.signal_type,
                    field=notice.field,
                    count=count,
                )


def _power_of_ten(count: int) -> bool:
    while count % 10 == 0:
        count //= 10
    return count == 1


# Per signal type: its expected fields, and its open enumerations with their known values.
_NOTICES: Final[dict[str, tuple[tuple[str, ...], tuple[tuple[str, frozenset[str]], ...]]]] = {
    name: (
        spec.expected,
        tuple((f.name, f.values) for f in spec.fields if f.kind is Kind.OPEN_ENUM),
    )
    for name, spec in SIGNAL_TYPES.items()
}


def notices_of(obj: Mapping[str, Any]) -> tuple[Notice, ...]:
    """Why Connect may discard the input ``obj`` (one ``createSignals`` input) that we send.

    A missing (or null) expected field, and a string off an open enumeration's known list. Only
    for a known signal type; values that break a rule are ``rules.validate_input``'s business.
    """
    content = obj.get("signalContent")
    if type(content) is not dict and not isinstance(content, Mapping):
        return ()
    signal_type = content.get("signalType")
    if type(signal_type) is not str or signal_type not in _NOTICES:
        return ()
    entry = _NOTICES[signal_type]
    expected, open_enums = entry
    found = [
        Notice(MISSING_EXPECTED_FIELD, signal_type, name)
        for name in expected
        if content.get(name) is None
    ]
    for name, known in open_enums:
        value = content.get(name)
        if type(value) is str and value and value not in known:
            found.append(Notice(ENUM_VALUE_UNKNOWN, signal_type, name))
    return tuple(found)

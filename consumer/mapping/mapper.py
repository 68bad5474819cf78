"""Decoded event -> :class:`Signal`: the built-in tables, or a custom mapping file.

:class:`Mapper` first looks for a custom mapping (by registry subject, then by full record
name; :mod:`consumer.mapping.custom`), then for one of our event records
(:mod:`consumer.mapping.tables`). What every signal gets (docs/mapping.md):

- ``category`` ``"Behavior"``; ``name`` and ``effect`` from the event or the type's default
  (onSiteSearch: ``negative`` when ``numberOfResults`` is 0);
- ``signalTimestamp`` from ``eventTime`` as ISO 8601 UTC with milliseconds;
- ``signalCustomAttributes``: the event's ``attributes`` as name/value pairs, then
  ``{name: "eventId", value: <eventId>}`` (the traceability key the fault suite counts by);
- ``appKey`` from the event, else ``settings.app_key_for(topic)``; ``test`` when the event or
  ``settings.test_signals`` says so.

Event fields that are neither envelope nor table fields pass through to ``signalContent``.
Failures raise :class:`MappingError` naming the event field.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from consumer.errors import MappingError
from consumer.mapping.assemble import assemble, event_timestamp, plain
from consumer.mapping.tables import ENVELOPE_FIELDS, IDENTITY_FIELDS, EventTable, table_for_record
from consumer.signals.model import Signal

if TYPE_CHECKING:
    from consumer.config import Settings
    from consumer.mapping.custom import CustomMappings
    from consumer.mapping.event import DecodedEvent

__all__ = ["Mapper"]


class _TablePlan:
    """One compiled :class:`EventTable`."""

    __slots__ = ("fields", "known", "signal_type")

    def __init__(self, table: EventTable) -> None:
        self.signal_type = table.signal_type
        self.fields = tuple((f.source, f.target, f.required, f.also) for f in table.fields)
        self.known = ENVELOPE_FIELDS | {f.source for f in table.fields}


class Mapper:
    """Maps decoded events to signals; one per process (holds the compiled mappings)."""

    def __init__(self, settings: Settings, *, custom: CustomMappings | None = None) -> None:
        if custom is None:
            from consumer.mapping.custom import load_mappings

            custom = load_mappings(settings.mapping_files)
        self._settings = settings
        self._custom = custom
        self._plans: dict[str, _TablePlan | None] = {}

    def map(self, event: DecodedEvent, *, topic: str) -> Signal:
        """The signal for ``event`` read from ``topic``; raises MappingError."""
        custom = self._custom.find(event.subject, event.record_name)
        if custom is not None:
            return custom.map(event.data, settings=self._settings, topic=topic)
        plan = self._plans.get(event.record_name)
        if plan is None:
            table = table_for_record(event.record_name)
            if table is None:
                raise MappingError(
                    f"no mapping for record {event.record_name!r}"
                    f" (subject {event.subject!r}): not one of our event schemas and no "
                    "custom mapping matches",
                    field="record_name",
                )
            plan = self._plans[event.record_name] = _TablePlan(table)
        return self._map_table(plan, event.data, topic)

    def _map_table(self, plan: _TablePlan, data: dict[str, Any], topic: str) -> Signal:
        signal_type = plan.signal_type
        own: dict[str, Any] = {}
        get = data.get
        for source, target, required, also in plan.fields:
            value = get(source)
            if value is None:
                if required:
                    raise MappingError(f"{source} is required for {signal_type}", field=source)
                continue
            if type(value) is list:
                if not value:
                    continue
                value = plain(value)
            own[target] = value
            if also:
                for extra in also:
                    own[extra] = value
        if not data.keys() <= plan.known:  # unknown fields pass through, in the event's order
            known = plan.known
            for key, value in data.items():
                if key not in known and value is not None:
                    own[key] = plain(value)
        settings = self._settings
        return assemble(
            signal_type=signal_type,
            own=own,
            event_id=get("eventId"),
            timestamp=event_timestamp(get("eventTime")),
            identity={kind: get(kind) for kind in IDENTITY_FIELDS},
            app_key=get("appKey") or settings.app_key_for(topic),
            session_id=get("sessionId"),
            test=get("test") is True or settings.test_signals,
            name=get("name"),
            effect=get("effect"),
            attributes=get("attributes"),
        )

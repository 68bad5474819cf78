"""The parts every signal is built from, shared by the built-in tables (:mod:`.mapper`) and
custom mapping files (:mod:`.custom`): identity, app key, defaults, timestamp, custom attributes.

Failures raise :class:`MappingError` naming the event field.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final

from consumer.errors import MappingError
from consumer.mapping.transforms import to_iso_millis
from consumer.signals.catalog import SIGNAL_TYPES
from consumer.signals.model import IDENTITY_KINDS, IdentityKind, Signal

__all__ = [
    "EVENT_ID_ATTRIBUTE",
    "NEGATIVE_WHEN_ZERO",
    "assemble",
    "default_effect",
    "event_timestamp",
    "plain",
]

#: Name of the custom attribute that carries the event id.
EVENT_ID_ATTRIBUTE: Final = "eventId"

#: Signal types whose default effect is ``negative`` when this content field is 0.
NEGATIVE_WHEN_ZERO: Final[Mapping[str, str]] = {"onSiteSearch": "numberOfResults"}


def default_effect(signal_type: str, content: Mapping[str, Any]) -> str:
    """The effect of a signal whose event gave none."""
    zero_key = NEGATIVE_WHEN_ZERO.get(signal_type)
    if zero_key is not None:
        return "negative" if content.get(zero_key) == 0 else "positive"
    spec = SIGNAL_TYPES.get(signal_type)
    return spec.default_effect if spec is not None else "positive"


def plain(value: Any) -> Any:
    """A decoded Avro value as a JSON-able value: nulls and empty lists dropped from records."""
    if type(value) is list:
        return [plain(item) for item in value]
    if type(value) is dict:
        return {k: plain(v) for k, v in value.items() if v is not None and v != []}
    if isinstance(value, datetime):
        return to_iso_millis(value)
    return value


def assemble(
    *,
    signal_type: str,
    own: dict[str, Any],
    event_id: Any,
    timestamp: str,
    identity: Mapping[str, Any],
    app_key: Any,
    session_id: Any,
    test: bool,
    name: Any,
    effect: Any,
    attributes: Mapping[str, Any] | None,
) -> Signal:
    """Build the signal out of parts; shared by the built-in tables and custom mappings.

    ``own`` holds the type's ``signalContent`` fields in order (nulls already dropped).
    """
    if type(event_id) is not str or not event_id:
        raise MappingError("eventId is required (a non-empty string)", field="eventId")
    kind: str | None = None
    value: Any = None
    for candidate, candidate_value in identity.items():
        if candidate_value is not None and candidate_value != "":
            if kind is not None:
                raise MappingError(
                    f"exactly one of contactKey, email, sms, whatsapp must be set "
                    f"(got {kind} and {candidate})",
                    field="identifiableAttributes",
                )
            kind, value = candidate, candidate_value
    if kind is None:
        raise MappingError(
            "exactly one of contactKey, email, sms, whatsapp must be set (got none)",
            field="identifiableAttributes",
        )
    if type(app_key) is not str or not app_key:
        raise MappingError(
            "no appKey: the event has none and no topic or default app key is configured",
            field="appKey",
        )
    content: dict[str, Any] = {
        "signalType": signal_type,
        "category": "Behavior",
        "name": name if name is not None else _default_name(signal_type),
        "effect": effect,
    }
    content.update(own)
    if effect is None:
        content["effect"] = default_effect(signal_type, own)
    content["signalTimestamp"] = timestamp
    custom = [
        {"name": key, "value": val}
        for key, val in (attributes or {}).items()
        if key != EVENT_ID_ATTRIBUTE and val is not None
    ]
    custom.append({"name": EVENT_ID_ATTRIBUTE, "value": event_id})
    content["signalCustomAttributes"] = custom
    return Signal(
        app_key=app_key,
        identity_kind=_identity_kind(kind),
        identity_value=value,
        content=content,
        session_id=session_id if session_id else None,
        test=test,
    )


def event_timestamp(value: Any, field: str = "eventTime") -> str:
    """``eventTime`` (datetime or epoch ms) as ISO 8601 UTC with ms; MappingError naming it."""
    if value is None:
        raise MappingError(f"{field} is required", field=field)
    if isinstance(value, bool):
        raise MappingError(f"{field}: expected a timestamp", field=field)
    try:
        return to_iso_millis(value)
    except (TypeError, ValueError) as exc:
        raise MappingError(f"{field}: {exc}", field=field) from exc


def _identity_kind(kind: str) -> IdentityKind:
    if kind in IDENTITY_KINDS:
        return kind
    raise MappingError(f"unknown identity kind {kind!r}", field="identifiableAttributes")


def _default_name(signal_type: str) -> str:
    spec = SIGNAL_TYPES.get(signal_type)
    return spec.default_name if spec is not None else signal_type

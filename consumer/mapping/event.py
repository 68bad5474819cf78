"""The decoded event the Avro decoder hands to the mapper."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["DecodedEvent"]


@dataclass(frozen=True, slots=True)
class DecodedEvent:
    """One decoded Kafka record value.

    ``schema_id`` is the Confluent schema id of the writer schema, ``record_name`` the full
    name of the Avro record (``io.connectsignals.events.AddToCartEvent``), ``subject`` the
    registry subject when known, and ``data`` the record as fastavro returns it (read with
    our reader schema when we have one, else with the writer schema).
    """

    schema_id: int
    record_name: str
    subject: str | None
    data: dict[str, Any]

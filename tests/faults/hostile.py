"""Hostile events for the fault suite: odd but legal records a producer can send (issue 14).

Each kind has the outcome it must reach: ``delivered`` (accepted by Connect, like any good
event) or the dead-letter ``signals.error.code`` it must get. Some are written with a writer
schema registered for the run only (subject ``<topic>-hostile-value``): the consumers' own
AddToCartEvent plus a field named ``utm-source`` (not a GraphQL name; Avro tools accept it) and
a pass-through map ``extra``, whose keys become GraphQL object keys.

======================  ==========================================  ========================
kind                    the record                                  outcome
======================  ==========================================  ========================
``huge_attribute_key``  a 200 kB key in the ``attributes`` map      delivered (a custom
                        (a custom attribute's name)                 attribute name has no
                                                                    documented limit)
``huge_map_key``        a 200 kB key in ``extra`` that is not a     ``mapping_failed``, in
                        GraphQL name                                bounded time and text
``dashed_field``        ``utm-source: "newsletter"``                ``mapping_failed`` (both
                                                                    paths refuse it)
``large_allowed``       a 600 kB attribute value (under the         delivered, alone in its
                        consumers' maximum record size)             mutation
``over_max_record``     a valid event of about 1,000,200 bytes,     ``too_large``; the dead
                        over ``SIGNALS_MAX_RECORD_BYTES``           letter (value + headers
                        (1,000,000): its dead letter is larger      > 1,000,000) is whole
                        than librdkafka's default message.max.bytes
``over_dlq_max``        a 1,048,300-byte record (the broker's       ``too_large``, written
                        limit is 1,048,588): its dead letter        compact (value omitted,
                        cannot fit                                  its size and SHA-256)
======================  ==========================================  ========================
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroSerializer
from confluent_kafka.serialization import SerializationContext

__all__ = [
    "COMPACT_KINDS",
    "DELIVERED",
    "HOSTILE_KINDS",
    "PRODUCER_MAX_BYTES",
    "Hostile",
    "HostileWriter",
    "positions",
]

SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"
DELIVERED = "delivered"
#: kind -> its outcome (``delivered`` or the dead-letter code)
HOSTILE_KINDS: dict[str, str] = {
    "huge_attribute_key": DELIVERED,
    "huge_map_key": "mapping_failed",
    "dashed_field": "mapping_failed",
    "large_allowed": DELIVERED,
    "over_max_record": "too_large",
    "over_dlq_max": "too_large",
}
#: kinds whose dead letter must be compact (the value omitted)
COMPACT_KINDS = frozenset({"over_dlq_max"})
#: the producer may send records up to the broker's default ``message.max.bytes``
PRODUCER_MAX_BYTES = 1_048_588
_KEY_200K = "k" * 200_000


@dataclass(frozen=True, slots=True)
class Hostile:
    """One hostile record: its kind, value, and outcome."""

    kind: str
    value: bytes
    outcome: str


class HostileWriter:
    """Builds the value of each hostile kind for event ``n``."""

    def __init__(
        self,
        registry: SchemaRegistryClient,
        topic: str,
        ctx: SerializationContext,
        event: Callable[[int, str], dict[str, Any]],
        cart: AvroSerializer,
    ) -> None:
        """``event(n, record)`` makes a good event; ``cart`` serializes AddToCartEvent."""
        schema = json.loads((SCHEMAS / "add_to_cart_event.avsc").read_text())
        schema["fields"] += [
            {"name": "utm-source", "type": ["null", "string"], "default": None},
            {"name": "extra", "type": {"type": "map", "values": "string"}, "default": {}},
        ]
        subject = f"{topic}-hostile-value"
        self._writer = AvroSerializer(
            registry, json.dumps(schema), conf={"subject.name.strategy": lambda _c, _r: subject}
        )
        self._cart = cart
        self._ctx = ctx
        self._event = event
        self.build(0, "dashed_field")  # registers the writer schema now, not mid-run

    def build(self, n: int, kind: str) -> Hostile:
        """Event ``n`` made hostile in the way ``kind`` says."""
        event = self._event(n, "AddToCartEvent")
        attrs: dict[str, str] = {}
        value: bytes | None
        if kind in ("huge_map_key", "dashed_field"):
            event["utm-source"] = "newsletter" if kind == "dashed_field" else None
            event["extra"] = {_KEY_200K + "-": "v"} if kind == "huge_map_key" else {}
            value = self._writer(event, self._ctx)
        elif kind == "over_dlq_max":
            value = b"\x07" + bytes(1_048_300 - 1)  # no Avro frame at all: never decoded anyway
        else:
            if kind == "huge_attribute_key":
                attrs = {_KEY_200K: "v"}
            elif kind == "large_allowed":
                attrs = {"blob": "x" * 600_000}
            elif kind == "over_max_record":
                attrs = {"blob": "x" * 1_000_050}
            event["attributes"] = attrs
            value = self._cart(event, self._ctx)
        assert value is not None
        return Hostile(kind, value, HOSTILE_KINDS[kind])


def positions(total: int, per_kind: int = 2) -> dict[int, str]:
    """Event number -> hostile kind: ``per_kind`` of each, spread over the run (never on a
    poison slot, ``n % 100 == 37``)."""
    kinds = list(HOSTILE_KINDS)
    count = per_kind * len(kinds)
    out: dict[int, str] = {}
    for j in range(count):
        n = (j + 1) * total // (count + 1)
        while n % 100 == 37 or n in out:
            n += 1
        out[n] = kinds[j % len(kinds)]
    return out

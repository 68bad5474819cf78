"""Every signal type through the sandbox: accepted when valid, a precise error per broken field."""

from __future__ import annotations

from typing import Any

import pytest

from consumer.signals.catalog import SIGNAL_TYPES, Kind
from tests.sandbox.helpers import Client, golden_input, mutation

# A wrong value per kind and the reason the shared rules give for it.
WRONG: dict[Kind, tuple[Any, str]] = {
    Kind.STRING: (12, "must be a non-empty string"),
    Kind.NUMBER: ("12", "must be a number"),
    Kind.INTEGER: (1.5, "must be an integer"),
    Kind.BOOLEAN: ("yes", "must be a boolean"),
    Kind.ISO_CURRENCY: ("EURO", "must be an active ISO 4217 currency code (e.g. USD)"),
    Kind.ISO_TIMESTAMP: ("2025-05-01", "must be an ISO 8601 timestamp with offset"),
    Kind.ENUM: ("sideways", "must be one of"),
    Kind.STRING_LIST: ("x", "must be a list of strings"),
    Kind.OBJECT_LIST: ("x", "must be a list of objects"),
    Kind.ATTRIBUTE_LIST: ("x", "must be a list of {name, value} objects"),
}

REQUIRED = [
    (signal_type, name)
    for signal_type, spec in SIGNAL_TYPES.items()
    for name in spec.required
    if name != "signalType"
]
FIELDS = [
    (signal_type, field.name, field.kind, field.required)
    for signal_type, spec in SIGNAL_TYPES.items()
    for field in spec.fields
    if field.name != "signalType"
]


def _violations(client: Client, inputs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    _status, body = client.post(mutation(inputs))
    assert body["data"] == {"createSignals": None}, body
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    violations: list[dict[str, Any]] = body["errors"][0]["extensions"]["violations"]
    return violations


@pytest.mark.parametrize("signal_type", sorted(SIGNAL_TYPES))
def test_every_signal_type_is_accepted(client: Client, signal_type: str) -> None:
    """The golden input of each type is accepted, stored and shown in the feed."""
    (signal_id,) = client.ids([golden_input(signal_type)])
    (shown,) = client.feed(email="jane@example.com")
    assert shown["signalId"] == signal_id
    assert shown["signalType"] == signal_type
    assert shown["signalContent"] == golden_input(signal_type)["signalContent"]


def test_all_types_in_one_mutation(client: Client) -> None:
    """One mutation may mix all eleven types."""
    assert len(client.ids([golden_input(t) for t in sorted(SIGNAL_TYPES)])) == len(SIGNAL_TYPES)


@pytest.mark.parametrize(("signal_type", "name"), REQUIRED)
def test_missing_required_field_is_named(client: Client, signal_type: str, name: str) -> None:
    """Leaving out a required field rejects the mutation naming exactly that field."""
    valid = golden_input("pageView")
    broken = golden_input(signal_type)
    del broken["signalContent"][name]
    assert _violations(client, [valid, broken]) == [
        {"index": 1, "field": f"signalContent.{name}", "reason": "required"}
    ]


@pytest.mark.parametrize(("signal_type", "name", "kind", "required"), FIELDS)
def test_mistyped_field_is_named(
    client: Client, signal_type: str, name: str, kind: Kind, required: bool
) -> None:
    """A value of the wrong type rejects the mutation with that field and the rule's reason."""
    value, reason = WRONG[kind]
    if kind is Kind.STRING and not required:
        reason = "must be a string"
    (violation,) = _violations(client, [golden_input(signal_type, **{name: value})])
    assert violation["index"] == 0
    assert violation["field"] == f"signalContent.{name}"
    assert violation["reason"].startswith(reason)


@pytest.mark.parametrize(
    ("changes", "field", "reason"),
    [
        ({"signalType": "somethingElse"}, "signalContent.signalType", "unknown signal type"),
        ({"category": "Shopping"}, "signalContent.category", "must be one of Behavior"),
        ({"effect": "neutral"}, "signalContent.effect", "must be one of negative, positive"),
        ({"name": "n" * 257}, "signalContent.name", "must be at most 256 characters"),
        ({"signalTimestamp": "yesterday"}, "signalContent.signalTimestamp", "must be an ISO"),
        ({"currency": "usd"}, "signalContent.currency", "must be an active ISO 4217"),
    ],
)
def test_common_rules(client: Client, changes: dict[str, Any], field: str, reason: str) -> None:
    """category Behavior, effect positive|negative, name <= 256, ISO currency and timestamp."""
    (violation,) = _violations(client, [golden_input("order", **changes)])
    assert violation["field"] == field
    assert violation["reason"].startswith(reason)


def test_order_item_fields_are_checked(client: Client) -> None:
    """orderedItems entries are validated field by field, with their position in the path."""
    order = golden_input("order")
    order["signalContent"]["orderedItems"] = [
        {"productId": "SKU-1", "productName": "Shoe", "itemQuantity": 1, "unitPrice": 9.5},
        {"productId": "SKU-2", "productName": "Sock", "itemQuantity": "two", "unitPrice": 2},
    ]
    assert _violations(client, [order]) == [
        {
            "index": 0,
            "field": "signalContent.orderedItems[1].itemQuantity",
            "reason": "must be an integer",
        }
    ]

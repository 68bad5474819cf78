"""The signal catalog: eleven types, tier entitlement, field specs."""

from __future__ import annotations

import pytest

from consumer.signals.catalog import SIGNAL_TYPES, TIER_SIGNAL_TYPES, Kind, entitled

ELEVEN = {
    "addToCart", "identification", "order", "browseAbandonment", "cartAbandonment", "error",
    "onSiteSearch", "pageView", "productConfiguration", "productView", "richMediaInteraction",
}  # fmt: skip


def test_catalog_lists_the_eleven_importable_types() -> None:
    """The catalog holds exactly the eleven importable signal types of reference table 2.4."""
    assert set(SIGNAL_TYPES) == ELEVEN


def test_pro_tier_gets_three_types_and_others_all() -> None:
    """Pro may import addToCart, identification and order; premium and ultimate all eleven."""
    assert TIER_SIGNAL_TYPES["pro"] == {"addToCart", "identification", "order"}
    assert TIER_SIGNAL_TYPES["premium"] == ELEVEN
    assert TIER_SIGNAL_TYPES["ultimate"] == ELEVEN


@pytest.mark.parametrize(
    ("tier", "signal_type", "expected"),
    [("pro", "order", True), ("pro", "pageView", False), ("ultimate", "pageView", True),
     ("gold", "order", False), ("premium", "purchase", False)],
)  # fmt: skip
def test_entitled(tier: str, signal_type: str, expected: bool) -> None:
    """entitled() answers per tier and refuses unknown tiers and types."""
    assert entitled(tier, signal_type) is expected


@pytest.mark.parametrize("signal_type", sorted(ELEVEN))
def test_every_type_has_the_common_fields(signal_type: str) -> None:
    """Each type requires signalType and category and knows name, effect and timestamp."""
    spec = SIGNAL_TYPES[signal_type]
    assert {"signalType", "category"} <= set(spec.required)
    assert {"name", "effect", "signalTimestamp", "signalCustomAttributes"} <= set(spec.by_name)
    assert spec.by_name["category"].values == {"Behavior"}
    assert spec.by_name["name"].max_length == 256


def test_reference_required_fields() -> None:
    """Required fields follow the reference for the documented types."""
    assert set(SIGNAL_TYPES["addToCart"].required) == {
        "signalType", "category", "currency", "itemQuantity", "productId", "productName",
        "unitPrice",
    }  # fmt: skip
    assert {"orderId", "currency", "effect", "name"} <= set(SIGNAL_TYPES["order"].required)
    assert SIGNAL_TYPES["addToCart"].by_name["itemQuantity"].kind is Kind.INTEGER
    assert SIGNAL_TYPES["productView"].by_name["unitPrice"].required
    assert not SIGNAL_TYPES["productView"].by_name["price"].required


def test_a_type_that_is_not_importable_has_no_spec() -> None:
    """A signal type Connect does not import (productPurchase) is not in the catalog."""
    assert SIGNAL_TYPES.get("productPurchase") is None


#: Section 9 of the reference: fields the web library's schema requires, per type.
SECTION_9 = {
    "pageView": {"name", "url", "pageCategory"},
    "productView": {
        "productId",
        "productName",
        "unitPrice",
        "currency",
        "productUrls",
        "imageUrls",
    },
    "addToCart": {"productId", "productName", "itemQuantity", "unitPrice", "currency"},
    "order": {"orderId", "orderValue", "currency", "orderedItems"},
    "onSiteSearch": {"searchTerm", "numberOfResults"},
    "productConfiguration": {"configurationType", "productId", "productName"},
}


@pytest.mark.parametrize("signal_type", sorted(SECTION_9))
def test_section_9_fields_are_required_or_expected(signal_type: str) -> None:
    """Every field section 9 says Connect requires is required here or expected (counted)."""
    spec = SIGNAL_TYPES[signal_type]
    assert SECTION_9[signal_type] <= set(spec.required) | set(spec.expected)
    assert not set(spec.required) & set(spec.expected)


def test_contradicted_enumerations_are_open() -> None:
    """identifierName and interactionType are open: known values listed, others counted."""
    name = SIGNAL_TYPES["identification"].by_name["identifierName"]
    media = SIGNAL_TYPES["richMediaInteraction"].by_name["interactionType"]
    assert name.kind is media.kind is Kind.OPEN_ENUM
    assert {"email", "Email", "Email Address", "Customer ID"} <= name.values
    assert {"play", "pause", "stop", "click", "COMPLETE"} <= media.values

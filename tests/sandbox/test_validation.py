"""The sandbox's own validation against hand-written cases from the reference document.

Every case names the reference section it comes from. ``ACCEPT``: answered with an id;
``discard(...)``: answered with an id, but reported as "may be discarded by Connect" for the
listed missing fields; ``reject(path, category)``: the whole mutation is refused.
"""

from __future__ import annotations

from typing import Any, Final

import pytest

from connect_sandbox.validation import (
    ATTRIBUTE_NOT_DEFINED,
    IMPORTABLE_TYPES,
    INVALID_ATTRIBUTE_VALUE,
    check_signal,
    missing_fields,
)
from tests.sandbox.helpers import Client

APP: Final = "shop-app"
ACCEPT: Final = ("accept",)

# One complete signal per type, written from the examples of sections 4 and 9.
BASE: Final[dict[str, dict[str, Any]]] = {
    "addToCart": {
        "currency": "EUR",
        "productId": "SKU-1001",
        "productName": "Trail Shoe",
        "itemQuantity": 1,
        "unitPrice": 89.5,
        "discount": 10,
        "productCategory": "Shoes / Running",
        "productUrls": ["https://shop.example/p/1001"],
        "imageUrls": ["https://shop.example/i/1001.jpg"],
        "shoppingCartUrl": "https://shop.example/cart",
    },
    "order": {
        "orderId": "ORD-7788",
        "currency": "USD",
        "orderSubtotal": 120,
        "orderTax": 9.6,
        "orderShippingHandling": 5,
        "orderDiscount": 0,
        "orderValue": 134.6,
        "orderedItems": [
            {"productId": "SKU-1", "productName": "Shoe", "unitPrice": 120, "itemQuantity": 1}
        ],
    },
    "identification": {
        "identifierName": "email",
        "identifierValue": "jane@example.com",
        "identificationFromLogin": True,
    },
    "pageView": {"url": "https://shop.example/help", "pageCategory": "support"},
    "productView": {
        "productId": "SKU-1001",
        "productName": "Trail Shoe",
        "productDescription": "Light trail runner",
        "unitPrice": 89.5,
        "currency": "EUR",
        "productUrls": ["https://shop.example/p/1001"],
        "imageUrls": ["https://shop.example/i/1001.jpg"],
    },
    "productConfiguration": {
        "productId": "SKU-1001",
        "productName": "Trail Shoe",
        "configurationType": "size",
    },
    "richMediaInteraction": {
        "mediaId": "vid-42",
        "mediaName": "Shoe demo",
        "mediaCategory": "video",
        "url": "https://shop.example/v/42",
        "interactionType": "COMPLETE",
    },
    "onSiteSearch": {"searchTerm": "waterproof sandals", "numberOfResults": 0},
    "error": {"errorType": "user", "errorText": "Card was declined", "errorIdentifier": "PAY-402"},
    "browseAbandonment": {},
    "cartAbandonment": {},
}
_COMMON: Final = {
    "category": "Behavior",
    "name": "A signal",
    "effect": "positive",
    "signalTimestamp": "2025-05-01T10:00:00.000Z",
}


def discard(*fields: str) -> tuple[str, ...]:
    """The expected outcome: accepted, these fields reported missing."""
    return ("discard", *(f"signalContent.{f}" for f in fields))


def reject(path: str, category: str, code: str = INVALID_ATTRIBUTE_VALUE) -> tuple[str, ...]:
    """The expected outcome: refused for ``path`` with ``code`` and ``category``."""
    return ("reject", path, code, category)


def signal(signal_type: str, **changes: Any) -> dict[str, Any]:
    """The base signal of ``signal_type``; a change to None removes the field."""
    content = {"signalType": signal_type, **_COMMON, **BASE[signal_type], **changes}
    return {
        "appKey": APP,
        "identifiableAttributes": {"email": "jane@example.com"},
        "signalContent": {k: v for k, v in content.items() if v is not None},
    }


def _item(**changes: Any) -> list[dict[str, Any]]:
    item = {"productId": "SKU-1", "productName": "Shoe", "unitPrice": 120, "itemQuantity": 1}
    return [{k: v for k, v in {**item, **changes}.items() if v is not None}]


C = "signalContent."
CASES: Final[list[tuple[str, dict[str, Any], tuple[str, ...]]]] = [
    # addToCart: 4.1 (import list), 9
    ("addToCart", {}, ACCEPT),
    ("addToCart", {"category": None, "name": None, "effect": None}, ACCEPT),  # PREP-b: optional
    ("addToCart", {"itemQuantity": 2.0}, ACCEPT),  # a JSON number of integer value
    ("addToCart", {"productName": None}, discard("productName")),
    ("addToCart", {"itemQuantity": None, "unitPrice": None}, discard("itemQuantity", "unitPrice")),
    ("addToCart", {"quantity": 1, "itemQuantity": None}, discard("itemQuantity")),  # 9
    ("addToCart", {"unitPrice": "39.99"}, reject(C + "unitPrice", "TYPE")),
    ("addToCart", {"itemQuantity": 1.5}, reject(C + "itemQuantity", "TYPE")),
    ("addToCart", {"currency": "EURO"}, reject(C + "currency", "CURRENCY_FORMAT")),
    ("addToCart", {"currency": "eur"}, reject(C + "currency", "CURRENCY_FORMAT")),
    ("addToCart", {"productUrls": "https://x"}, reject(C + "productUrls", "TYPE")),
    ("addToCart", {"discount": "7"}, reject(C + "discount", "TYPE")),
    # order: 4.2, 9
    ("order", {}, ACCEPT),
    ("order", {"orderValue": None}, discard("orderValue")),
    ("order", {"orderedItems": None}, discard("orderedItems")),
    ("order", {"orderCurrency": "USD", "currency": None}, discard("currency")),  # 9
    ("order", {"name": None, "effect": None}, discard("name", "effect")),  # 4.2
    ("order", {"orderedItems": _item(productName=None)}, discard("orderedItems[0].productName")),
    ("order", {"orderedItems": _item(productCategory="Shoes")}, ACCEPT),
    (
        "order",
        {"orderedItems": _item(unitPrice="120")},
        reject(C + "orderedItems[0].unitPrice", "TYPE"),
    ),
    ("order", {"orderedItems": "SKU-1"}, reject(C + "orderedItems", "TYPE")),
    ("order", {"orderTax": "9.6"}, reject(C + "orderTax", "TYPE")),
    # identification: 4.3; identifierName free text (9)
    ("identification", {}, ACCEPT),
    ("identification", {"identifierName": "Email Address"}, ACCEPT),
    ("identification", {"identifierName": "Customer ID"}, ACCEPT),
    ("identification", {"identifierValue": None}, discard("identifierValue")),
    ("identification", {"identifierName": 5}, reject(C + "identifierName", "TYPE")),
    (
        "identification",
        {"identificationFromLogin": "yes"},
        reject(C + "identificationFromLogin", "TYPE"),
    ),
    # pageView: 9
    ("pageView", {}, ACCEPT),
    ("pageView", {"url": None}, discard("url")),
    ("pageView", {"pageCategory": "", "name": None}, discard("name", "pageCategory")),
    ("pageView", {"pageCategory": 3}, reject(C + "pageCategory", "TYPE")),
    ("pageView", {"name": "x" * 257}, reject(C + "name", "LENGTH")),
    ("pageView", {"name": "x" * 256}, ACCEPT),
    # productView: 9 over 4.5
    ("productView", {}, ACCEPT),
    ("productView", {"productDescription": None}, ACCEPT),  # optional in 9
    ("productView", {"price": "89.50", "discount": "10%"}, ACCEPT),  # 4.5: number or string
    ("productView", {"productUrls": None, "imageUrls": None}, discard("productUrls", "imageUrls")),
    ("productView", {"unitPrice": None}, discard("unitPrice")),
    ("productView", {"unitPrice": "89.5"}, reject(C + "unitPrice", "TYPE")),
    ("productView", {"imageUrls": [1]}, reject(C + "imageUrls", "TYPE")),
    # productConfiguration: 4.6, 9
    ("productConfiguration", {}, ACCEPT),
    ("productConfiguration", {"actionState": "added", "inventoryQuantity": 5}, ACCEPT),
    ("productConfiguration", {"configurationType": None}, discard("configurationType")),
    ("productConfiguration", {"unitPrice": "x"}, reject(C + "unitPrice", "TYPE")),
    # richMediaInteraction: 4.7 later version; interactionType free text (9)
    ("richMediaInteraction", {}, ACCEPT),
    ("richMediaInteraction", {"interactionType": "play"}, ACCEPT),
    ("richMediaInteraction", {"interactionType": "click"}, ACCEPT),
    ("richMediaInteraction", {"interactionType": None, "url": None}, ACCEPT),
    ("richMediaInteraction", {"mediaId": None}, discard("mediaId")),
    ("richMediaInteraction", {"interactionType": 3}, reject(C + "interactionType", "TYPE")),
    # onSiteSearch: 4.8, 9
    ("onSiteSearch", {"effect": "negative"}, ACCEPT),
    ("onSiteSearch", {"searchTerm": None}, discard("searchTerm")),
    ("onSiteSearch", {"numberOfResults": "0"}, reject(C + "numberOfResults", "TYPE")),
    # error: 4.9
    ("error", {}, ACCEPT),
    ("error", {"errorType": "application"}, ACCEPT),
    ("error", {"errorText": None}, discard("errorText")),
    ("error", {"errorType": "system"}, reject(C + "errorType", "ENUM_VALUE")),
    # browse / cart abandonment: 4.10, no field list: common fields only
    ("browseAbandonment", {}, ACCEPT),
    ("browseAbandonment", {"productId": 5, "anything": [1]}, ACCEPT),
    ("cartAbandonment", {}, ACCEPT),
    ("cartAbandonment", {"effect": "neutral"}, reject(C + "effect", "ENUM_VALUE")),
    # common fields: 3
    ("order", {"category": "behavior"}, reject(C + "category", "ENUM_VALUE")),
    ("pageView", {"signalTimestamp": "2025-05-01T10:00:00Z"}, ACCEPT),
    (
        "pageView",
        {"signalTimestamp": "2025-05-01 10:00:00"},
        reject(C + "signalTimestamp", "TIMESTAMP_FORMAT"),
    ),
    (
        "pageView",
        {"signalTimestamp": "2025-05-01T10:00:00.000+02:00"},
        reject(C + "signalTimestamp", "TIMESTAMP_FORMAT"),
    ),
    ("pageView", {"signalCustomAttributes": [{"name": "campaign", "value": "spring"}]}, ACCEPT),
    (
        "pageView",
        {"signalCustomAttributes": [{"name": "a", "value": 1}]},
        reject(C + "signalCustomAttributes", "TYPE"),
    ),
    ("pageView", {"loyaltyTier": "gold"}, ACCEPT),  # 8: unknown fields pass through
    (
        "pageView",
        {"signalType": "purchase"},
        reject(C + "signalType", "SIGNAL_TYPE", ATTRIBUTE_NOT_DEFINED),
    ),
    ("pageView", {"signalType": None}, reject(C + "signalType", "REQUIRED")),
]


def _outcome(obj: dict[str, Any], tier: str = "premium") -> tuple[str, ...]:
    verdict = check_signal(obj, tier=tier, app_keys={APP})
    if verdict.violations:
        first = verdict.violations[0]
        return ("reject", first.path, first.code, first.category)
    if verdict.missing:
        return ("discard", *verdict.missing)
    return ACCEPT


def test_every_importable_type_has_cases() -> None:
    """The table covers all 11 importable types with an accepted and a refused case each."""
    assert set(BASE) == IMPORTABLE_TYPES
    for signal_type in IMPORTABLE_TYPES:
        outcomes = {expected[0] for t, _, expected in CASES if t == signal_type}
        assert "accept" in outcomes, signal_type
        assert outcomes & {"reject", "discard"} or not BASE[signal_type], signal_type


@pytest.mark.parametrize(
    ("signal_type", "changes", "expected"),
    CASES,
    ids=[f"{t}-{'-'.join(c) or 'base'}-{e[0]}" for t, c, e in CASES],
)
def test_signal_content(
    signal_type: str, changes: dict[str, Any], expected: tuple[str, ...]
) -> None:
    """Each hand-written case is accepted, reported "may be discarded" or refused as written."""
    assert _outcome(signal(signal_type, **changes)) == expected


PHONE = "identifiableAttributes"
TOP_CASES: Final[list[tuple[dict[str, Any], tuple[str, ...]]]] = [
    ({"appKey": "other-app"}, reject("appKey", "APP_KEY")),
    ({"identifiableAttributes": {"contactKey": "AAUN-132417508"}}, ACCEPT),
    ({"identifiableAttributes": {"whatsapp": "+4915112345678"}}, ACCEPT),
    ({"identifiableAttributes": {"sms": "+12114115555"}}, ACCEPT),
    ({"identifiableAttributes": {"sms": "211-411-5555"}}, reject(f"{PHONE}.sms", "PHONE_FORMAT")),
    (
        {"identifiableAttributes": {"whatsapp": "4915112345678"}},
        reject(f"{PHONE}.whatsapp", "PHONE_FORMAT"),
    ),
    ({"identifiableAttributes": {"email": "jane@"}}, reject(f"{PHONE}.email", "EMAIL_FORMAT")),
    ({"identifiableAttributes": {}}, reject(PHONE, "IDENTITY")),
    ({"identifiableAttributes": {"contactKey": ""}}, reject(PHONE, "IDENTITY")),
    (
        {"identifiableAttributes": {"email": "jane@example.com", "contactKey": "K-1"}},
        reject(PHONE, "IDENTITY"),
    ),
    ({"signalContent": "pageView"}, reject("signalContent", "TYPE")),
]


@pytest.mark.parametrize(("changes", "expected"), TOP_CASES)
def test_mutation_arguments(changes: dict[str, Any], expected: tuple[str, ...]) -> None:
    """appKey, exactly one identifiable attribute in its format, an object as content (2.1, 2.2)."""
    assert _outcome({**signal("pageView"), **changes}) == expected


@pytest.mark.parametrize(
    ("tier", "signal_type", "expected"),
    [
        ("pro", "addToCart", ACCEPT),
        ("pro", "identification", ACCEPT),
        ("pro", "order", ACCEPT),
        ("pro", "pageView", reject(C + "signalType", "NOT_ENTITLED")),
        ("pro", "cartAbandonment", reject(C + "signalType", "NOT_ENTITLED")),
        ("premium", "cartAbandonment", ACCEPT),
        ("ultimate", "richMediaInteraction", ACCEPT),
    ],
)
def test_tiers(tier: str, signal_type: str, expected: tuple[str, ...]) -> None:
    """Table 2.4: pro imports three types, premium and ultimate all eleven."""
    assert _outcome(signal(signal_type), tier) == expected


def test_missing_fields_reads_stored_content() -> None:
    """The page's check of stored content names the absent required fields without a prefix."""
    assert missing_fields(signal("pageView", url=None)["signalContent"]) == ("url",)
    assert missing_fields({"signalType": "unknown"}) == ()


def test_may_be_discarded_is_answered_with_an_id_and_reported(client: Client) -> None:
    """A pageView without url is accepted and listed under may_be_discarded in /admin/stats."""
    bare = signal("pageView", url=None)
    bare["appKey"] = "sandbox-app"
    ids = client.ids([bare, {**signal("pageView"), "appKey": "sandbox-app"}])
    reported = client.stats()["may_be_discarded"]
    assert reported["total"] == 1
    assert reported["by_field"] == {"pageView.url": 1}
    assert reported["recent"] == [
        {"signalId": ids[0], "signalType": "pageView", "missing": ["url"]}
    ]
    assert client.stats()["signals"]["accepted"] == 2
    page = client.http.get("/").text
    assert "may be discarded by Connect" in page
    assert ids[0] in page
    _status, body = client.post("{ sandboxContacts { id } }")
    (contact,) = body["data"]["sandboxContacts"]
    detail = client.http.get(f"/contacts/{contact['id']}").text
    assert detail.count("may be discarded by Connect: no url") == 1

"""Write the event schemas (``schemas/*.avsc``): the shared envelope repeated in each record.

Run ``.venv/bin/python schemas/generate.py`` after editing this file; each ``.avsc`` is
self-contained so that it can be registered on its own. ``tests/unit/mapping/test_schemas.py``
checks that the files are what this script writes and agree with ``consumer/mapping/tables.py``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

__all__ = ["SCHEMAS", "render", "write_all"]

NAMESPACE = "io.connectsignals.events"
HERE = Path(__file__).resolve().parent

Field = dict[str, Any]


def _f(name: str, type_: Any, doc: str, **extra: Any) -> Field:
    return {"name": name, "type": type_, "doc": doc, **extra}


def _opt(name: str, type_: Any, doc: str) -> Field:
    return {"name": name, "type": ["null", type_], "default": None, "doc": doc}


def _strings(name: str, doc: str) -> Field:
    return {"name": name, "type": {"type": "array", "items": "string"}, "default": [], "doc": doc}


def _enum(name: str, symbols: list[str], doc: str, default: str) -> dict[str, Any]:
    return {"type": "enum", "name": name, "symbols": symbols, "default": default, "doc": doc}


ENVELOPE: list[Field] = [
    _f("eventId", "string", "Unique id of the event; sent as custom attribute eventId."),
    _f(
        "eventTime",
        {"type": "long", "logicalType": "timestamp-millis"},
        "When the behaviour happened (UTC epoch ms); becomes signalTimestamp.",
    ),
    _opt(
        "appKey",
        "string",
        "Connect application key; null means the topic's or the default app key from config.",
    ),
    _opt("contactKey", "string", "Connect contact key. Exactly one identity field is set."),
    _opt("email", "string", "Contact e-mail address. Exactly one identity field is set."),
    _opt("sms", "string", "SMS phone number in E.164. Exactly one identity field is set."),
    _opt("whatsapp", "string", "WhatsApp number in E.164. Exactly one identity field is set."),
    _opt("sessionId", "string", "Groups the contact's signals into a session (optional)."),
    _f("test", "boolean", "Marks a test signal.", default=False),
    _opt("name", "string", "Signal label (<= 256 chars); null means the type's default name."),
    _opt(
        "effect",
        "string",
        "positive or negative; null means the type's default (onSiteSearch: by results).",
    ),
    _f(
        "attributes",
        {"type": "map", "values": "string"},
        "Custom attributes; become signalCustomAttributes name/value pairs.",
        default={},
    ),
]

_PRICE = "in currency units (a double: what Connect receives, cheapest to decode)"


def _product(required: bool) -> list[Field]:
    make = _f if required else _opt
    return [
        make("productId", "string", "Product id (may equal the SKU)."),
        make("productName", "string", "Product name."),
        make("itemQuantity", "int", "Number of items."),
        make("unitPrice", "double", f"Price of one item {_PRICE}."),
    ]


_DISCOUNT = _opt("discount", "double", f"Discount {_PRICE}.")
_CATEGORY = _opt("productCategory", "string", "Category path, e.g. 'Shoes / Running'.")
_URLS = [_strings("productUrls", "Product page URLs."), _strings("imageUrls", "Image URLs.")]
_CART_URL = _opt("shoppingCartUrl", "string", "URL of the shopping cart.")
_CURRENCY = _f("currency", "string", "ISO 4217 currency code, e.g. EUR.")
_PAGE_CATEGORY = _opt("pageCategory", "string", "Category of the page.")
_PAGE = [_opt("url", "string", "URL of the page."), _PAGE_CATEGORY]

ORDERED_ITEM: dict[str, Any] = {
    "type": "record",
    "name": "OrderedItem",
    "doc": "One order line.",
    "fields": [*_product(True), _DISCOUNT, _CATEGORY, *_URLS],
}

#: Record name -> (doc, own fields after the envelope).
SCHEMAS: dict[str, tuple[str, list[Field]]] = {
    "AddToCartEvent": (
        "A product was added to the cart (signal addToCart, all tiers).",
        [_CURRENCY, *_product(True), _DISCOUNT, _CATEGORY, *_URLS, _CART_URL],
    ),
    "IdentificationEvent": (
        "The visitor identified themselves (signal identification, all tiers).",
        [
            _f(
                "identifierName",
                _enum(
                    "IdentifierName",
                    ["email", "sms", "whatsApp", "contactKey"],
                    "Kind of identifier.",
                    "email",
                ),
                "Which identifier was given.",
            ),
            _f("identifierValue", "string", "The identifier's value."),
            _opt("identificationFromLogin", "boolean", "True for an explicit login."),
        ],
    ),
    "OrderEvent": (
        "An order was placed (signal order, all tiers).",
        [
            _f("orderId", "string", "Order id."),
            _CURRENCY,
            _opt("orderDiscount", "double", f"Order discount {_PRICE}."),
            _opt("orderShippingHandling", "double", f"Shipping and handling {_PRICE}."),
            _opt("orderSubtotal", "double", f"Subtotal net of discount {_PRICE}."),
            _opt("orderTax", "double", f"Tax {_PRICE}."),
            _opt("orderValue", "double", f"Order total {_PRICE}."),
            _f(
                "orderedItems",
                {"type": "array", "items": ORDERED_ITEM},
                "The order lines.",
                default=[],
            ),
        ],
    ),
    "BrowseAbandonmentEvent": (
        "Products were browsed but none added to the cart (signal browseAbandonment).",
        [
            _opt("productId", "string", "Product id."),
            _opt("productName", "string", "Product name."),
            _CATEGORY,
            *_PAGE,
        ],
    ),
    "CartAbandonmentEvent": (
        "A cart was left without buying (signal cartAbandonment).",
        [
            _opt("currency", "string", "ISO 4217 currency code, e.g. EUR."),
            *_product(False),
            _CART_URL,
        ],
    ),
    "ErrorEvent": (
        "The visitor hit an error (signal error).",
        [
            _f("errorIdentifier", "string", "Error id, e.g. PAY-402."),
            _f("errorText", "string", "Error message."),
            _f(
                "errorType",
                _enum("ErrorType", ["application", "user"], "Who caused it.", "application"),
                "application or user.",
            ),
        ],
    ),
    "OnSiteSearchEvent": (
        "The visitor searched the site (signal onSiteSearch).",
        [
            _f("searchTerm", "string", "The search term."),
            _f("numberOfResults", "int", "Number of results; 0 makes the effect negative."),
        ],
    ),
    "PageViewEvent": ("A page was viewed (signal pageView).", _PAGE),
    "ProductConfigurationEvent": (
        "A product was configured: size, colour, reviews read (signal productConfiguration).",
        [
            _f("productId", "string", "Product id."),
            _f("productName", "string", "Product name."),
            _f("configurationType", "string", "What was configured, e.g. size."),
        ],
    ),
    "ProductViewEvent": (
        "A product page was viewed (signal productView).",
        [
            _f("productId", "string", "Product id."),
            _f("unitPrice", "double", f"Current price incl. discounts {_PRICE}."),
            _CURRENCY,
            _opt("productName", "string", "Product name."),
            _opt("productDescription", "string", "Product description."),
            _DISCOUNT,
            _CATEGORY,
            *_URLS,
            _PAGE_CATEGORY,
            _CART_URL,
            _opt("brandName", "string", "Brand."),
            _opt("sku", "string", "Stock keeping unit."),
            _opt("inventoryQuantity", "int", "Items in stock."),
            _opt("msrp", "double", f"Manufacturer's suggested retail price {_PRICE}."),
            _opt("productRating", "double", "Average rating."),
        ],
    ),
    "RichMediaInteractionEvent": (
        "The visitor interacted with rich media (signal richMediaInteraction).",
        [
            _f("mediaId", "string", "Media id."),
            _opt(
                "interactionType",
                _enum(
                    "InteractionType",
                    ["LOAD", "LAUNCH", "PAUSE", "CONTINUE", "COMPLETE", "STOP", "ENLARGE"],
                    "Kind of interaction.",
                    "LOAD",
                ),
                "What the visitor did.",
            ),
            _opt("mediaCategory", "string", "Media category, e.g. video."),
            _opt("mediaName", "string", "Media name."),
            _opt("url", "string", "URL of the media."),
            _opt("description", "string", "Description."),
        ],
    ),
}


def render(record: str) -> str:
    """The ``.avsc`` text of ``record``."""
    doc, own = SCHEMAS[record]
    schema = {
        "type": "record",
        "name": record,
        "namespace": NAMESPACE,
        "doc": doc,
        "fields": [*ENVELOPE, *own],
    }
    return json.dumps(schema, indent=2) + "\n"


def file_name(record: str) -> str:
    """``AddToCartEvent`` -> ``add_to_cart_event.avsc``."""
    snake = "".join(f"_{c.lower()}" if c.isupper() else c for c in record).lstrip("_")
    return f"{snake}.avsc"


def write_all(directory: Path = HERE) -> list[Path]:
    """Write every schema into ``directory``; return the paths."""
    paths = []
    for record in SCHEMAS:
        path = directory / file_name(record)
        path.write_text(render(record), encoding="utf-8")
        paths.append(path)
    return paths


if __name__ == "__main__":
    for written in write_all():
        print(written)

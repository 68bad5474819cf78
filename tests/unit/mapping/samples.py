"""One valid sample event per event record (as fastavro would decode it), for the mapping tests."""

from __future__ import annotations

from typing import Any

__all__ = ["ENVELOPE", "SAMPLES", "sample"]

#: Envelope values shared by every sample (eventTime as epoch ms: 2025-05-01T10:00:00.123Z).
ENVELOPE: dict[str, Any] = {
    "eventId": "evt-0001",
    "eventTime": 1746093600123,
    "appKey": None,
    "contactKey": None,
    "email": "jane@example.com",
    "sms": None,
    "whatsapp": None,
    "sessionId": "sess-42",
    "test": False,
    "name": None,
    "effect": None,
    "attributes": {"campaign": "spring"},
}

_PRODUCT = {"productId": "SKU-1001", "productName": "Trail Shoe"}

SAMPLES: dict[str, dict[str, Any]] = {
    "AddToCartEvent": {
        "currency": "EUR",
        **_PRODUCT,
        "itemQuantity": 2,
        "unitPrice": 89.5,
        "discount": 10.0,
        "productCategory": "Shoes / Running",
        "productUrls": ["https://shop.example/p/1001"],
        "imageUrls": [],
        "shoppingCartUrl": None,
    },
    "IdentificationEvent": {
        "identifierName": "email",
        "identifierValue": "jane@example.com",
        "identificationFromLogin": True,
    },
    "OrderEvent": {
        "orderId": "ORD-7788",
        "currency": "USD",
        "orderDiscount": 0.0,
        "orderShippingHandling": 5.0,
        "orderSubtotal": 120.0,
        "orderTax": 9.6,
        "orderValue": 134.6,
        "orderedItems": [
            {
                **_PRODUCT,
                "itemQuantity": 1,
                "unitPrice": 120.0,
                "discount": None,
                "productCategory": None,
                "productUrls": [],
                "imageUrls": [],
            }
        ],
    },
    "BrowseAbandonmentEvent": {
        **_PRODUCT,
        "productCategory": None,
        "url": "https://shop.example/p/1001",
        "pageCategory": "Shoes",
    },
    "CartAbandonmentEvent": {
        "currency": "GBP",
        **_PRODUCT,
        "itemQuantity": 1,
        "unitPrice": 89.5,
        "shoppingCartUrl": "https://shop.example/cart",
    },
    "ErrorEvent": {
        "errorIdentifier": "PAY-402",
        "errorText": "Card was declined",
        "errorType": "user",
    },
    "OnSiteSearchEvent": {"searchTerm": "waterproof sandals", "numberOfResults": 0},
    "PageViewEvent": {"url": "https://shop.example/help", "pageCategory": "support"},
    "ProductConfigurationEvent": {**_PRODUCT, "configurationType": "size"},
    "ProductViewEvent": {
        **_PRODUCT,
        "unitPrice": 89.5,
        "currency": "EUR",
        "productDescription": "Light trail runner",
        "discount": None,
        "productCategory": "Shoes / Running",
        "productUrls": [],
        "imageUrls": [],
        "pageCategory": None,
        "shoppingCartUrl": None,
        "brandName": "Acme",
        "sku": None,
        "inventoryQuantity": 12,
        "msrp": None,
        "productRating": 4.5,
    },
    "RichMediaInteractionEvent": {
        "mediaId": "vid-42",
        "interactionType": "COMPLETE",
        "mediaCategory": "video",
        "mediaName": "Shoe demo",
        "url": "https://shop.example/v/42",
        "description": None,
    },
}


def sample(record: str, **changes: Any) -> dict[str, Any]:
    """A fresh copy of the sample event of ``record`` with ``changes`` applied."""
    return {**ENVELOPE, **SAMPLES[record], **changes}

"""One declarative table per signal type: Avro record -> ``signalContent``.

Each :class:`EventTable` maps the fields of one of our event records (``schemas/*.avsc``) to
``signalContent`` keys. The envelope fields (:data:`ENVELOPE_FIELDS`) are handled by the mapper
itself; any other field of the event that the table does not name passes through to
``signalContent`` unchanged (reference section 8). Correcting a field name is a one-line change.

``required`` here means the mapper refuses the event (``MappingError`` naming the field) when the
value is null; types are checked afterwards by :mod:`consumer.signals.rules`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

__all__ = [
    "ENVELOPE_FIELDS",
    "EVENT_NAMESPACE",
    "EVENT_TABLES",
    "IDENTITY_FIELDS",
    "RECORD_SIGNAL_TYPES",
    "EventTable",
    "FieldMap",
    "table_for_record",
]

#: Namespace of our event records.
EVENT_NAMESPACE: Final = "io.connectsignals.events"

#: Event fields that carry the Connect input around ``signalContent`` (schemas/README.md).
IDENTITY_FIELDS: Final = ("contactKey", "email", "sms", "whatsapp")
ENVELOPE_FIELDS: Final = frozenset(
    {"eventId", "eventTime", "appKey", "sessionId", "test", "attributes", "name", "effect"}
    | set(IDENTITY_FIELDS)
)


@dataclass(frozen=True, slots=True)
class FieldMap:
    """One event field -> one ``signalContent`` key (``also``: extra keys given the same value)."""

    source: str
    target: str
    required: bool = False
    also: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class EventTable:
    """The mapping of one event record (short name) to one signal type."""

    record: str
    signal_type: str
    fields: tuple[FieldMap, ...]


def _req(name: str, *also: str) -> FieldMap:
    return FieldMap(name, name, True, also)


def _opt(name: str) -> FieldMap:
    return FieldMap(name, name, False)


def _opts(*names: str) -> tuple[FieldMap, ...]:
    return tuple(map(_opt, names))


_PRODUCT_OPTIONAL = ("discount", "productCategory", "productUrls", "imageUrls")

EVENT_TABLES: Final[tuple[EventTable, ...]] = (
    EventTable(
        "AddToCartEvent",
        "addToCart",
        (
            _req("currency"),
            _req("itemQuantity"),
            _req("productId"),
            _req("productName"),
            _req("unitPrice"),
            *_opts(*_PRODUCT_OPTIONAL),
            _opt("shoppingCartUrl"),
        ),
    ),
    EventTable(
        "IdentificationEvent",
        "identification",
        (_req("identifierName"), _req("identifierValue"), _opt("identificationFromLogin")),
    ),
    EventTable(
        "OrderEvent",
        "order",
        (
            _req("orderId"),
            _req("currency"),
            _opt("orderDiscount"),
            _opt("orderShippingHandling"),
            _opt("orderSubtotal"),
            _opt("orderTax"),
            _opt("orderValue"),
            _opt("orderedItems"),
        ),
    ),
    EventTable(
        "BrowseAbandonmentEvent",
        "browseAbandonment",
        _opts("productId", "productName", "productCategory", "url", "pageCategory"),
    ),
    EventTable(
        "CartAbandonmentEvent",
        "cartAbandonment",
        _opts(
            "currency", "productId", "productName", "itemQuantity", "unitPrice", "shoppingCartUrl"
        ),
    ),
    EventTable(
        "ErrorEvent",
        "error",
        (_req("errorIdentifier"), _req("errorText"), _req("errorType")),
    ),
    EventTable(
        "OnSiteSearchEvent",
        "onSiteSearch",
        (_req("searchTerm"), _req("numberOfResults")),
    ),
    EventTable("PageViewEvent", "pageView", (_opt("url"), _opt("pageCategory"))),
    EventTable(
        "ProductConfigurationEvent",
        "productConfiguration",
        (_req("productId"), _req("productName"), _req("configurationType")),
    ),
    EventTable(
        "ProductViewEvent",
        "productView",
        (
            _req("productId"),
            # decision (catalog): unitPrice is sent, and mirrored as the older name ``price``.
            _req("unitPrice", "price"),
            _req("currency"),
            _opt("productName"),
            _opt("productDescription"),
            *_opts(*_PRODUCT_OPTIONAL),
            _opt("pageCategory"),
            _opt("shoppingCartUrl"),
            _opt("brandName"),
            _opt("sku"),
            _opt("inventoryQuantity"),
            _opt("msrp"),
            _opt("productRating"),
        ),
    ),
    EventTable(
        "RichMediaInteractionEvent",
        "richMediaInteraction",
        (
            _req("mediaId"),
            *_opts("interactionType", "mediaCategory", "mediaName", "url", "description"),
        ),
    ),
)

_BY_RECORD: Final = {table.record: table for table in EVENT_TABLES}

#: Record short name -> signal type (the fixed table of schemas/README.md).
RECORD_SIGNAL_TYPES: Final = {table.record: table.signal_type for table in EVENT_TABLES}


def table_for_record(record_name: str) -> EventTable | None:
    """The table of ``record_name``: our full name, or a bare name without namespace."""
    namespace, _, short = record_name.rpartition(".")
    if namespace and namespace != EVENT_NAMESPACE:
        return None
    return _BY_RECORD.get(short)

"""The eleven importable Connect signal types: tier entitlement and ``signalContent`` field specs.

One declarative table per signal type (reference sections 2.4, 3 and 4). Each :class:`FieldSpec`
names a ``signalContent`` key, its kind and whether it is required or expected; fields not listed
pass through unchecked (reference section 8: "let unknown extra fields pass through unchanged").
Correcting an unverified field name is a one-line change here; the validation rules
(:mod:`consumer.signals.rules`), the sandbox and the mapper all read these tables.

Decisions where the reference is silent (one line each):

- ``name``: required where a WEB page lists it; optional for ``addToCart`` (the import list,
  PREP-b, does not require it) and for ``pageView`` / abandonment types (no field table found).
- ``effect``: required where a WEB page lists it (order, richMediaInteraction, onSiteSearch,
  error); optional elsewhere. The mapper always sends one.
- ``pageView``: ``name``, ``url`` and ``pageCategory`` are expected (section 9, the web library's
  schema): sent whenever the event has them, a signal without one is sent and counted.
- Expected fields (section 9; ``FieldSpec.expected``): Connect may discard a signal without one
  after an HTTP 200, so we never refuse it; ``rules.notices_of`` reports it and the pipeline
  counts ``signals_missing_expected_field_total{signal_type,field}``. productView: productName,
  productUrls, imageUrls; order: orderValue, orderedItems; the other section-9 fields were
  required already (addToCart, onSiteSearch, productConfiguration, order's orderId/currency).
- ``browseAbandonment`` / ``cartAbandonment``: no field table found; only optional fields, named
  and typed like the sibling product/cart signals, so nothing is rejected that Connect may accept.
- ``order.orderedItems`` items: schema not found; items use the add-to-cart product names, and
  the four fields add-to-cart requires (productId, productName, itemQuantity, unitPrice) are
  required, because an invalid item discards the whole order (Android page).
- ``productView`` price: ``unitPrice`` (the newer catalog name) is required; ``price`` (the older
  page's name) is optional and the mapper sends it with the same value, so both validators match.
- ``productView.productDescription``: optional (the older page required it; section 9 lists it
  as optional); ``productName`` is expected.
- ``richMediaInteraction.interactionType`` and ``identification.identifierName`` are open
  enumerations (``Kind.OPEN_ENUM``): Acoustic's own examples send values off the documented lists
  (``play``, ``click``; ``Email Address``, ``Customer ID``), so any non-empty string is accepted
  and one off the known list is counted (``signals_enum_value_unknown_total``).
- ``productConfiguration``: the optional fields section 9 lists are typed (unitPrice, currency,
  discount, inventoryQuantity, productCategory, productDescription, productUrls, imageUrls,
  actionState); productView's ``availability`` and ``productStatus`` stay untyped (no type given).
- ``category`` is required for every type (the WEB pages; PREP-b's "optional" is ignored) and the
  mapper always sends ``"Behavior"``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Final

__all__ = [
    "NAME_MAX_LENGTH",
    "ORDERED_ITEM_FIELDS",
    "SIGNAL_TYPES",
    "TIER_SIGNAL_TYPES",
    "FieldSpec",
    "Kind",
    "SignalTypeSpec",
    "entitled",
]

NAME_MAX_LENGTH: Final = 256


class Kind(StrEnum):
    """The value kinds a ``signalContent`` field may have."""

    STRING = "string"
    NUMBER = "number"  # int or float (never bool)
    INTEGER = "integer"  # int (never bool)
    BOOLEAN = "boolean"
    STRING_LIST = "string_list"
    OBJECT_LIST = "object_list"  # list of objects, items checked by FieldSpec.item_fields
    ATTRIBUTE_LIST = "attribute_list"  # [{name: str, value: str}, ...]
    ISO_CURRENCY = "iso_currency"  # an active ISO 4217 code
    ISO_TIMESTAMP = "iso_timestamp"  # ISO 8601 date-time with a UTC offset
    ENUM = "enum"  # a string out of FieldSpec.values
    OPEN_ENUM = "open_enum"  # any non-empty string; one off FieldSpec.values is counted


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One ``signalContent`` key: its kind, whether required or expected, values, length bound.

    ``required``: a signal without it is refused here (dead-lettered). ``expected``: Connect
    requires it (reference section 9) but may only discard the signal after an HTTP 200, so a
    signal without it is still sent, and counted (:mod:`consumer.signals.notices`).
    """

    name: str
    kind: Kind
    required: bool = False
    values: frozenset[str] = frozenset()
    max_length: int | None = None
    item_fields: tuple[FieldSpec, ...] = ()
    expected: bool = False


@dataclass(frozen=True, slots=True)
class SignalTypeSpec:
    """One signal type: its own fields (common ones added), mapper defaults, a short note."""

    signal_type: str
    fields: tuple[FieldSpec, ...]
    default_name: str
    default_effect: str = "positive"
    note: str = ""
    by_name: dict[str, FieldSpec] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self.by_name.update({spec.name: spec for spec in self.fields})

    @property
    def required(self) -> tuple[str, ...]:
        """Names of the required fields, in table order."""
        return tuple(spec.name for spec in self.fields if spec.required)

    @property
    def expected(self) -> tuple[str, ...]:
        """Names of the expected fields (sent when present, counted when missing), in order."""
        return tuple(spec.name for spec in self.fields if spec.expected)


S, N, INT, B = Kind.STRING, Kind.NUMBER, Kind.INTEGER, Kind.BOOLEAN
SL, CUR, TS = Kind.STRING_LIST, Kind.ISO_CURRENCY, Kind.ISO_TIMESTAMP


_f = FieldSpec


def _x(name: str, kind: Kind, **options: Any) -> FieldSpec:
    """An expected field (reference section 9): sent when present, counted when missing."""
    return _f(name, kind, expected=True, **options)


def _enum(name: str, values: tuple[str, ...], required: bool = False) -> FieldSpec:
    return FieldSpec(name, Kind.ENUM, required, values=frozenset(values))


def _open_enum(name: str, known: tuple[str, ...], required: bool = False) -> FieldSpec:
    return FieldSpec(name, Kind.OPEN_ENUM, required, values=frozenset(known))


def _common(
    *, name_required: bool, effect_required: bool, name_expected: bool = False
) -> tuple[FieldSpec, ...]:
    return (
        _f("signalType", S, True),
        _enum("category", ("Behavior",), True),
        _f(
            "name",
            S,
            name_required,
            max_length=NAME_MAX_LENGTH,
            expected=name_expected and not name_required,
        ),
        _enum("effect", ("positive", "negative"), effect_required),
        _f("signalTimestamp", TS),
        _f("signalCustomAttributes", Kind.ATTRIBUTE_LIST),
    )


#: ``order.orderedItems`` item fields (decision: the add-to-cart product names).
ORDERED_ITEM_FIELDS: Final = (
    _f("productId", S, True),
    _f("productName", S, True),
    _f("itemQuantity", INT, True),
    _f("unitPrice", N, True),
    _f("discount", N),
    _f("productCategory", S),
    _f("productUrls", SL),
    _f("imageUrls", SL),
)


def _type(
    signal_type: str,
    own: tuple[FieldSpec, ...],
    *,
    default_name: str,
    name_required: bool = True,
    name_expected: bool = False,
    effect_required: bool = False,
    default_effect: str = "positive",
    note: str = "",
) -> SignalTypeSpec:
    common = _common(
        name_required=name_required, effect_required=effect_required, name_expected=name_expected
    )
    return SignalTypeSpec(signal_type, common + own, default_name, default_effect, note)


_MEDIA_INTERACTIONS = ("LOAD", "LAUNCH", "PAUSE", "CONTINUE", "COMPLETE", "STOP", "ENLARGE")
#: Known interactionType values: the documented lists (upper and lower case) and the values
#: Acoustic's own examples send (section 9: play, pause, stop, click).
_KNOWN_INTERACTIONS = (
    *_MEDIA_INTERACTIONS,
    *(v.lower() for v in _MEDIA_INTERACTIONS),
    "play",
    "click",
)
#: Known identifierName values: section 4.3's list and the contact attribute names of the newest
#: SDK pages (section 9).
_KNOWN_IDENTIFIERS = (
    *("email", "sms", "whatsApp", "contactKey"),
    *("Email", "Email Address", "Customer ID"),
)

_TYPES: tuple[SignalTypeSpec, ...] = (
    _type(
        "addToCart",
        (
            _f("currency", CUR, True),
            _f("itemQuantity", INT, True),
            _f("productId", S, True),
            _f("productName", S, True),
            _f("unitPrice", N, True),
            _f("discount", N),
            _f("productCategory", S),
            _f("productUrls", SL),
            _f("imageUrls", SL),
            _f("shoppingCartUrl", S),
        ),
        default_name="Add to cart",
        name_required=False,
        note="PREP-b import list; itemQuantity (not the web library's quantity)",
    ),
    _type(
        "identification",
        (
            _open_enum("identifierName", _KNOWN_IDENTIFIERS, True),
            _f("identifierValue", S, True),
            _f("identificationFromLogin", B),
        ),
        default_name="Identification",
        note="WEB identification-signals-in-the-connect-sdk",
    ),
    _type(
        "order",
        (
            _f("orderId", S, True),
            _f("currency", CUR, True),
            _f("orderDiscount", N),
            _f("orderShippingHandling", N),
            _f("orderSubtotal", N),
            _f("orderTax", N),
            _x("orderValue", N),
            _x("orderedItems", Kind.OBJECT_LIST, item_fields=ORDERED_ITEM_FIELDS),
        ),
        default_name="Order",
        effect_required=True,
        note="WEB order-signals; currency (not orderCurrency)",
    ),
    _type(
        "browseAbandonment",
        (
            _f("productId", S),
            _f("productName", S),
            _f("productCategory", S),
            _f("url", S),
            _f("pageCategory", S),
        ),
        default_name="Browse abandonment",
        name_required=False,
        default_effect="negative",
        note="no field table found: optional fields only",
    ),
    _type(
        "cartAbandonment",
        (
            _f("currency", CUR),
            _f("productId", S),
            _f("productName", S),
            _f("itemQuantity", INT),
            _f("unitPrice", N),
            _f("shoppingCartUrl", S),
        ),
        default_name="Cart abandonment",
        name_required=False,
        default_effect="negative",
        note="no field table found: optional fields only",
    ),
    _type(
        "error",
        (
            _f("errorIdentifier", S, True),
            _f("errorText", S, True),
            _enum("errorType", ("application", "user"), True),
        ),
        default_name="Error",
        effect_required=True,
        default_effect="negative",
        note="WEB error-signals; field names from the IOS sample",
    ),
    _type(
        "onSiteSearch",
        (
            _f("searchTerm", S, True),
            _f("numberOfResults", INT, True),
        ),
        default_name="On-site search",
        effect_required=True,
        note="effect negative when numberOfResults == 0 (the mapper decides)",
    ),
    _type(
        "pageView",
        (
            _x("url", S),
            _x("pageCategory", S),
        ),
        default_name="Page view",
        name_required=False,
        name_expected=True,
        note="section 9: name, url and pageCategory expected (sent, counted when missing)",
    ),
    _type(
        "productConfiguration",
        (
            _f("productId", S, True),
            _f("productName", S, True),
            _f("configurationType", S, True),
            _f("unitPrice", N),
            _f("currency", CUR),
            _f("discount", N),
            _f("inventoryQuantity", INT),
            _f("productCategory", S),
            _f("productDescription", S),
            _f("productUrls", SL),
            _f("imageUrls", SL),
            _f("actionState", S),
        ),
        default_name="Product configuration",
        note="WEB product-configuration-signals; optional fields from section 9",
    ),
    _type(
        "productView",
        (
            _f("productId", S, True),
            _f("unitPrice", N, True),
            _f("currency", CUR, True),
            _f("price", N),
            _x("productName", S),
            _f("productDescription", S),
            _f("discount", N),
            _f("productCategory", S),
            _f("pageCategory", S),
            _x("productUrls", SL),
            _x("imageUrls", SL),
            _f("shoppingCartUrl", S),
            _f("brandName", S),
            _f("sku", S),
            _f("inventoryQuantity", INT),
            _f("msrp", N),
            _f("productRating", N),
        ),
        default_name="Product view",
        note="unitPrice required, price (older name) mirrored; section 9 names, URLs expected",
    ),
    _type(
        "richMediaInteraction",
        (
            _f("mediaId", S, True),
            _open_enum("interactionType", _KNOWN_INTERACTIONS),
            _f("mediaCategory", S),
            _f("mediaName", S),
            _f("url", S),
            _f("description", S),
        ),
        default_name="Rich media interaction",
        effect_required=True,
        note="later WEB version: only mediaId required",
    ),
)

#: Signal type string -> its spec (the eleven importable types, reference table 2.4).
SIGNAL_TYPES: Final[dict[str, SignalTypeSpec]] = {spec.signal_type: spec for spec in _TYPES}

_PRO: Final = frozenset({"addToCart", "identification", "order"})

#: Subscription tier -> the signal types it may import (reference table 2.4).
TIER_SIGNAL_TYPES: Final[dict[str, frozenset[str]]] = {
    "pro": _PRO,
    "premium": frozenset(SIGNAL_TYPES),
    "ultimate": frozenset(SIGNAL_TYPES),
}


def entitled(tier: str, signal_type: str) -> bool:
    """Whether ``tier`` may import ``signal_type`` (unknown tiers and types: no)."""
    allowed = TIER_SIGNAL_TYPES.get(tier)
    return allowed is not None and signal_type in allowed

"""The documented fields of each importable signal type, as the sandbox reads the reference.

Sections 3 (common fields), 4 (per type) and 9 (later evidence, which wins where it differs);
each table names its section. A :class:`Rule` says what JSON shape a present value must have
(and its enumeration or length limit); ``Spec.required`` lists the fields the documentation
calls required - a signal lacking one is accepted but "may be discarded by Connect"
(:mod:`connect_sandbox.validation`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Final

__all__ = ["IMPORTABLE_TYPES", "ITEM", "SPECS", "TIERS", "Kind", "Rule", "Spec"]


class Kind(StrEnum):
    """The JSON shape a documented field takes."""

    STRING = "a string"
    NUMBER = "a number"
    INTEGER = "an integer"
    NUMBER_OR_STRING = "a number or a string"
    BOOLEAN = "a boolean"
    CURRENCY = "an ISO 4217 code"
    TIMESTAMP = "an ISO-8601 UTC timestamp"
    STRINGS = "a list of strings"
    ATTRIBUTES = "a list of {name, value} string pairs"
    ITEMS = "a list of order lines"


_Problem = Callable[[Any], "tuple[str, str] | None"]


@dataclass(frozen=True, slots=True)
class Rule:
    """One documented ``signalContent`` field: its kind, enumeration and length limit.

    ``problem(value)`` is ``(category, reason)`` for a present value that breaks the rule, else
    None (compiled once: a valid signal costs one call per field).
    """

    kind: Kind
    values: frozenset[str] = frozenset()
    max_length: int | None = None
    problem: _Problem = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "problem", _compile(self))


@dataclass(frozen=True, slots=True)
class Spec:
    """One signal type: its documented fields and those documented as required."""

    fields: Mapping[str, Rule]
    required: tuple[str, ...]


_CURRENCY: Final = re.compile(r"[A-Z]{3}")
_TIMESTAMP: Final = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?(Z|[+-]00:?00)")


def _number(value: Any) -> bool:
    return type(value) in (int, float) and math.isfinite(value)


def _timestamp(value: Any) -> bool:
    if type(value) is not str or _TIMESTAMP.fullmatch(value) is None:
        return False
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


def _pairs(value: Any) -> bool:
    if type(value) is not list:
        return False
    for pair in value:
        if (
            type(pair) is not dict
            or len(pair) != 2
            or type(pair.get("name")) is not str
            or type(pair.get("value")) is not str
        ):
            return False
    return True


_KIND_CHECKS: Final[dict[Kind, Callable[[Any], bool]]] = {
    Kind.STRING: lambda v: type(v) is str,
    Kind.NUMBER: _number,
    Kind.INTEGER: lambda v: _number(v) and float(v).is_integer(),
    Kind.NUMBER_OR_STRING: lambda v: type(v) is str or _number(v),
    Kind.BOOLEAN: lambda v: type(v) is bool,
    Kind.CURRENCY: lambda v: type(v) is str and _CURRENCY.fullmatch(v) is not None,
    Kind.TIMESTAMP: _timestamp,
    Kind.STRINGS: lambda v: type(v) is list and all(type(s) is str for s in v),
    Kind.ATTRIBUTES: _pairs,
    Kind.ITEMS: lambda v: type(v) is list and all(type(i) is dict for i in v),
}
_KIND_CATEGORY: Final = {Kind.CURRENCY: "CURRENCY_FORMAT", Kind.TIMESTAMP: "TIMESTAMP_FORMAT"}


def _compile(rule: Rule) -> _Problem:
    ok = _KIND_CHECKS[rule.kind]
    wrong = (_KIND_CATEGORY.get(rule.kind, "TYPE"), f"{rule.kind.value} is expected")
    if rule.values:
        values = rule.values
        off = ("ENUM_VALUE", f"one of {', '.join(sorted(values))} is expected")
        return lambda v: wrong if not ok(v) else (off if v not in values else None)
    if rule.max_length is not None:
        limit = rule.max_length
        long = ("LENGTH", f"at most {limit} characters")
        return lambda v: wrong if not ok(v) else (long if len(v) > limit else None)
    if rule.kind is Kind.STRING:
        return lambda v: None if type(v) is str else wrong
    return lambda v: None if ok(v) else wrong


_S, _N, _I = Rule(Kind.STRING), Rule(Kind.NUMBER), Rule(Kind.INTEGER)
_NS, _CUR, _URLS = Rule(Kind.NUMBER_OR_STRING), Rule(Kind.CURRENCY), Rule(Kind.STRINGS)

#: Section 3: every type.
_COMMON: Final[dict[str, Rule]] = {
    "signalType": _S,
    "category": Rule(Kind.STRING, frozenset({"Behavior"})),
    "name": Rule(Kind.STRING, max_length=256),
    "effect": Rule(Kind.STRING, frozenset({"positive", "negative"})),
    "signalTimestamp": Rule(Kind.TIMESTAMP),
    "signalCustomAttributes": Rule(Kind.ATTRIBUTES),
}
_WEB: Final = ("category", "name")  # required by the web-library pages of section 4
#: The product fields addToCart (4.1), productView (4.5) and productConfiguration (4.6) share.
_PRODUCT: Final = {
    "productId": _S,
    "productName": _S,
    "productCategory": _S,
    "unitPrice": _N,
    "currency": _CUR,
    "productUrls": _URLS,
    "imageUrls": _URLS,
}


def _spec(required: tuple[str, ...], **fields: Rule) -> Spec:
    return Spec({**_COMMON, **fields}, required)


SPECS: Final[dict[str, Spec]] = {
    # 4.1 (PREP-b import list) and 9
    "addToCart": _spec(
        ("currency", "itemQuantity", "productId", "productName", "unitPrice"),
        **_PRODUCT,
        itemQuantity=_I,
        discount=_N,
        shoppingCartUrl=_S,
    ),
    # 4.2 and 9 (orderValue, orderedItems)
    "order": _spec(
        (*_WEB, "effect", "currency", "orderId", "orderValue", "orderedItems"),
        currency=_CUR,
        orderId=_S,
        orderDiscount=_N,
        orderShippingHandling=_N,
        orderSubtotal=_N,
        orderTax=_N,
        orderValue=_N,
        orderedItems=Rule(Kind.ITEMS),
    ),
    # 4.3; identifierName is free text (9)
    "identification": _spec(
        (*_WEB, "identifierName", "identifierValue"),
        identifierName=_S,
        identifierValue=_S,
        identificationFromLogin=Rule(Kind.BOOLEAN),
    ),
    # 9 (no field table in section 4)
    "pageView": _spec(("name", "url", "pageCategory"), url=_S, pageCategory=_S),
    # 9 (newer names) over 4.5 (older: price, productDescription required)
    "productView": _spec(
        (*_WEB, "productId", "productName", "unitPrice", "currency", "productUrls", "imageUrls"),
        **_PRODUCT,
        productDescription=_S,
        price=_NS,
        discount=_NS,
        pageCategory=_S,
        productUrl=_S,
        productImageUrl=_S,
        shoppingCartUrl=_S,
        brandName=_S,
        sku=_S,
    ),
    # 4.6 and 9
    "productConfiguration": _spec(
        (*_WEB, "configurationType", "productId", "productName"),
        **_PRODUCT,
        configurationType=_S,
        productDescription=_S,
        discount=_NS,
    ),
    # 4.7, later version; interactionType is free text (9)
    "richMediaInteraction": _spec(
        (*_WEB, "effect", "mediaId"),
        mediaId=_S,
        interactionType=_S,
        mediaCategory=_S,
        mediaName=_S,
        url=_S,
        description=_S,
    ),
    # 4.8 and 9
    "onSiteSearch": _spec(
        (*_WEB, "effect", "searchTerm", "numberOfResults"), searchTerm=_S, numberOfResults=_N
    ),
    # 4.9 (field names from the iOS sample)
    "error": _spec(
        (*_WEB, "effect", "errorIdentifier", "errorText", "errorType"),
        errorIdentifier=_S,
        errorText=_S,
        errorType=Rule(Kind.STRING, frozenset({"application", "user"})),
    ),
    # 4.10: field lists not found
    "browseAbandonment": _spec(()),
    "cartAbandonment": _spec(()),
}

#: 9: an order line.
ITEM: Final = Spec(
    {
        "productId": _S,
        "productName": _S,
        "unitPrice": _N,
        "itemQuantity": _I,
        "productCategory": _S,
    },
    ("productId", "productName", "unitPrice", "itemQuantity"),
)

IMPORTABLE_TYPES: Final = frozenset(SPECS)
#: 2.4: what each subscription tier may import.
TIERS: Final[dict[str, frozenset[str]]] = {
    "pro": frozenset({"addToCart", "identification", "order"}),
    "premium": IMPORTABLE_TYPES,
    "ultimate": IMPORTABLE_TYPES,
}

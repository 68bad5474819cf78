"""The sandbox's own check of ``createSignals`` inputs, written from the reference document.

Independent of the consumer (it reads nothing from ``consumer/signals``): a rule the consumer
got wrong is not repeated here, so a test sending the consumer's output to the sandbox can see
it. Source: ``connect-signals-reference.md`` sections 2 (mutation, identifiable attributes,
tiers), 3 (common fields), 4 (per type) and 9 (later evidence, which wins where it differs).

Decision table, per signal (first matching row per field; every field is looked at):

====================================================  =====================================
input                                                 outcome
====================================================  =====================================
``appKey`` empty / not a configured app key           reject ``INVALID_ATTRIBUTE_VALUE``
                                                      (``APP_KEY``)
not exactly one non-empty identifiable attribute      reject (``IDENTITY``)
``email`` not ``local@domain.tld``                    reject (``EMAIL_FORMAT``)
``sms`` / ``whatsapp`` not E.164 (``+`` and digits)   reject (``PHONE_FORMAT``)
``signalContent`` not an object, no ``signalType``    reject (``TYPE`` / ``REQUIRED``)
``signalType`` not one of the 11 importable types     reject ``ATTRIBUTE_NOT_DEFINED``
``signalType`` not in the configured tier (2.4)       reject (``NOT_ENTITLED``)
a known field of the wrong JSON type                  reject (``TYPE``)
``currency`` not three upper-case letters (ISO 4217)  reject (``CURRENCY_FORMAT``)
``signalTimestamp`` not ISO-8601 UTC                  reject (``TIMESTAMP_FORMAT``)
a documented enumeration value off its list           reject (``ENUM_VALUE``): ``category``
                                                      ``Behavior``; ``effect`` positive /
                                                      negative; ``errorType`` application /
                                                      user (``interactionType`` and
                                                      ``identifierName`` are free text, 9)
``name`` longer than 256 characters                   reject (``LENGTH``)
a documented required field missing, null or ``""``   accept; "may be discarded by Connect"
a field the type does not list                        accept, unchecked (section 8)
====================================================  =====================================

Only a value that is there and wrong is a rejection (like Connect's contact mutations, 9); a
missing required value is what the documentation says Connect discards *after* accepting the
signal (4.1, 4.9, 6, 9), so the sandbox accepts it and reports it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Final

import orjson

__all__ = [
    "ATTRIBUTE_NOT_DEFINED",
    "IMPORTABLE_TYPES",
    "INVALID_ATTRIBUTE_VALUE",
    "TIERS",
    "Verdict",
    "Violation",
    "check_signal",
    "missing_fields",
]

INVALID_ATTRIBUTE_VALUE: Final = "INVALID_ATTRIBUTE_VALUE"
ATTRIBUTE_NOT_DEFINED: Final = "ATTRIBUTE_NOT_DEFINED"


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


_EMAIL: Final = re.compile(r"[^@\s]+@[^@\s.]+(\.[^@\s.]+)+")
_E164: Final = re.compile(r"\+[1-9][0-9]{6,14}")
_CURRENCY: Final = re.compile(r"[A-Z]{3}")
_TIMESTAMP: Final = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?(Z|[+-]00:?00)")


def _absent(value: Any) -> bool:
    return value is None or value == ""


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


def _spec(required: tuple[str, ...], **fields: Rule) -> Spec:
    return Spec({**_COMMON, **fields}, required)


SPECS: Final[dict[str, Spec]] = {
    # 4.1 (PREP-b import list) and 9
    "addToCart": _spec(
        ("currency", "itemQuantity", "productId", "productName", "unitPrice"),
        currency=_CUR,
        itemQuantity=_I,
        productId=_S,
        productName=_S,
        unitPrice=_N,
        discount=_N,
        productCategory=_S,
        productUrls=_URLS,
        imageUrls=_URLS,
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
        productId=_S,
        productName=_S,
        productDescription=_S,
        unitPrice=_N,
        price=_NS,
        currency=_CUR,
        discount=_NS,
        productCategory=_S,
        pageCategory=_S,
        productUrls=_URLS,
        imageUrls=_URLS,
        productUrl=_S,
        productImageUrl=_S,
        shoppingCartUrl=_S,
        brandName=_S,
        sku=_S,
    ),
    # 4.6 and 9
    "productConfiguration": _spec(
        (*_WEB, "configurationType", "productId", "productName"),
        configurationType=_S,
        productId=_S,
        productName=_S,
        productDescription=_S,
        productCategory=_S,
        unitPrice=_N,
        currency=_CUR,
        discount=_NS,
        productUrls=_URLS,
        imageUrls=_URLS,
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
_ITEM: Final = Spec(
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
_IDENTITIES: Final = ("contactKey", "email", "sms", "whatsapp")


@dataclass(frozen=True, slots=True)
class Violation:
    """A value Connect would refuse: where, what, and the domain code and category."""

    path: str  # from the input root: ``signalContent.unitPrice``
    value: Any
    reason: str
    category: str
    code: str = INVALID_ATTRIBUTE_VALUE

    @property
    def field(self) -> str:
        """The field's name without the input root or list positions (``unitPrice``)."""
        return re.sub(r"\[\d+\]", "", self.path.removeprefix("signalContent."))

    def message(self) -> str:
        """Connect's wording (9): field and value, category, reason; no signal index."""
        shown = orjson.dumps(self.value).decode() if self.value is not None else "null"
        if len(shown) > 80:
            shown = shown[:77] + "..."
        if self.code == ATTRIBUTE_NOT_DEFINED:
            return f"Value {shown} of field {self.field} is not defined. Message: {self.reason}"
        return (
            f"Field {self.field} has invalid value: {shown}. Category: {self.category}. "
            f"Message: {self.reason}"
        )


@dataclass(frozen=True, slots=True)
class Verdict:
    """What the sandbox does with one signal: refuse it, or accept it (maybe with a warning)."""

    violations: tuple[Violation, ...] = ()
    #: documented required fields that are absent: Connect may discard the signal
    missing: tuple[str, ...] = ()


def _fields(
    content: Mapping[str, Any], spec: Spec, prefix: str, bad: list[Violation], missing: list[str]
) -> None:
    rules = spec.fields
    for name, value in content.items():
        rule = rules.get(name)
        if rule is None or value is None or value == "":
            continue
        problem = rule.problem(value)
        if problem is not None:
            bad.append(Violation(prefix + name, value, problem[1], problem[0]))
        elif rule.kind is Kind.ITEMS:
            for index, item in enumerate(value):
                _fields(item, _ITEM, f"{prefix}{name}[{index}].", bad, missing)
    for name in spec.required:
        value = content.get(name)
        if value is None or value == "":
            missing.append(prefix + name)


def _identity(attributes: Any) -> list[Violation]:
    path = "identifiableAttributes"
    if type(attributes) is not dict:
        return [Violation(path, attributes, "an object is expected", "TYPE")]
    given = [(k, v) for k, v in attributes.items() if v is not None and v != ""]
    if len(given) != 1 or given[0][0] not in _IDENTITIES:
        reason = f"exactly one of {', '.join(_IDENTITIES)} is expected"
        return [Violation(path, attributes, reason, "IDENTITY")]
    ((kind, value),) = given
    if type(value) is not str:
        return [Violation(f"{path}.{kind}", value, "a string is expected", "TYPE")]
    if kind == "email" and (len(value) > 254 or _EMAIL.fullmatch(value) is None):
        return [Violation(f"{path}.email", value, "an e-mail address is expected", "EMAIL_FORMAT")]
    if kind in ("sms", "whatsapp") and _E164.fullmatch(value) is None:
        reason = "an E.164 phone number (+ and 7 to 15 digits) is expected"
        return [Violation(f"{path}.{kind}", value, reason, "PHONE_FORMAT")]
    return []


def check_signal(obj: Mapping[str, Any], *, tier: str, app_keys: Collection[str]) -> Verdict:
    """Check one ``createSignals`` input object (already shaped by the GraphQL schema)."""
    bad: list[Violation] = []
    app_key = obj.get("appKey")
    if app_key not in app_keys:
        bad.append(Violation("appKey", app_key, "not an application of this account", "APP_KEY"))
    bad += _identity(obj.get("identifiableAttributes"))
    content = obj.get("signalContent")
    if type(content) is not dict:
        bad.append(Violation("signalContent", content, "an object is expected", "TYPE"))
        return Verdict(tuple(bad))
    signal_type = content.get("signalType")
    path = "signalContent.signalType"
    if _absent(signal_type):
        bad.append(Violation(path, signal_type, "the signal type is required", "REQUIRED"))
        return Verdict(tuple(bad))
    spec = SPECS.get(signal_type) if type(signal_type) is str else None
    if spec is None:
        reason = "not an importable signal type"
        bad.append(Violation(path, signal_type, reason, "SIGNAL_TYPE", ATTRIBUTE_NOT_DEFINED))
        return Verdict(tuple(bad))
    if signal_type not in TIERS[tier]:
        reason = f"the {tier} subscription does not import {signal_type} signals"
        bad.append(Violation(path, signal_type, reason, "NOT_ENTITLED"))
    missing: list[str] = []
    _fields(content, spec, "signalContent.", bad, missing)
    return Verdict(tuple(bad), tuple(missing))


def missing_fields(content: Mapping[str, Any]) -> tuple[str, ...]:
    """The documented required fields ``content`` lacks (for the page: "may be discarded")."""
    spec = SPECS.get(content.get("signalType"))  # type: ignore[arg-type]
    if spec is None:
        return ()
    missing: list[str] = []
    _fields(content, spec, "", [], missing)
    return tuple(missing)

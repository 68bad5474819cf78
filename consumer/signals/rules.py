"""Validation rules for ``createSignals`` inputs, shared by the consumer and the sandbox.

:func:`validate_input` checks one API-shaped input object (:meth:`Signal.as_input`) and returns
every broken rule as a :class:`Violation` whose ``field`` is a dotted path from the input root
(``appKey``, ``identifiableAttributes.email``, ``signalContent.unitPrice``,
``signalContent.orderedItems[0].productId``). :func:`validate_signal` raises instead.

Field specs come from :mod:`consumer.signals.catalog`; fields a type does not list pass through
unchecked. Everything is compiled once at import: a valid signal costs a few dict look-ups and
``type()`` checks per field (no regular expressions on the hot path except the e-mail syntax).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Collection, Mapping
from datetime import datetime
from typing import Any, Final

from consumer.errors import ConfigurationError, NotEntitledError, SignalValidationError
from consumer.signals.catalog import SIGNAL_TYPES, TIER_SIGNAL_TYPES, FieldSpec, Kind
from consumer.signals.model import IDENTITY_KINDS, Signal, Violation
from consumer.signals.notices import NoticeCounts, notices_of

__all__ = [
    "IDENTITY_RULES",
    "ISO_4217_CODES",
    "NOT_ENTITLED",
    "is_e164",
    "is_email",
    "is_iso_timestamp",
    "validate_input",
    "validate_signal",
]

#: Active ISO 4217 codes (incl. fund and supranational codes; not XTS/XXX, not withdrawn ones
#: such as HRK or SLL). ANG stays while it is being replaced by XCG (2025).
_CODES: Final = """
    AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BOV BRL BSD BTN
    BWP BYN BZD CAD CDF CHE CHF CHW CLF CLP CNY COP COU CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN
    ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD
    JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT
    MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG
    QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT
    TND TOP TRY TTD TWD TZS UAH UGX USD USN UYI UYU UYW UZS VED VES VND VUV WST XAF XAG XAU XBA
    XBB XBC XBD XCD XCG XDR XOF XPD XPF XPT XSU XUA YER ZAR ZMW ZWG
"""
ISO_4217_CODES: Final = frozenset(_CODES.split())

#: Prefix of the reason of the entitlement violation (``validate_signal`` keys on it).
NOT_ENTITLED: Final = "not entitled"

_TOP_KEYS: Final = frozenset(
    {"appKey", "identifiableAttributes", "sessionId", "signalContent", "test"}
)
_IDENTITY_KINDS: Final = frozenset(IDENTITY_KINDS)
#: The rule of each identity's value (besides non-empty): ``email`` (:func:`is_email`), ``e164``
#: (:func:`is_e164`) or ``any``. The native fast path gets this table in its plan.
IDENTITY_RULES: Final[Mapping[str, str]] = {
    "contactKey": "any",
    "email": "email",
    "sms": "e164",
    "whatsapp": "e164",
}
_IDENTITY_REASON: Final = "exactly one of contactKey, email, sms, whatsapp is required"
_EMAIL: Final = re.compile(r"[^@\s]+@[^@\s.]+(?:\.[^@\s.]+)+")
_DIGITS: Final = frozenset("0123456789")

# A checker looks at one non-null value and appends violations for ``path``.
_Checker = Callable[[Any, str, list[Violation]], None]


# --- scalar predicates (public: the mapper and sandbox reuse them) -------------------------


def is_email(value: str) -> bool:
    """Plausible e-mail syntax: ``local@domain.tld``, no spaces, at most 254 characters."""
    return len(value) <= 254 and _EMAIL.fullmatch(value) is not None


def is_e164(value: str) -> bool:
    """E.164: ``+`` then 7 to 15 ASCII digits, the first not 0 (``^\\+[1-9]\\d{6,14}$``)."""
    return (
        8 <= len(value) <= 16
        and value[0] == "+"
        and value[1] != "0"
        and _DIGITS.issuperset(value[1:])
    )


def is_iso_timestamp(value: str) -> bool:
    """ISO 8601 date and time with a UTC offset (``2025-05-01T10:00:00.000Z``)."""
    if len(value) < 16 or value[10] not in "Tt":
        return False
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return False
    return parsed.tzinfo is not None


# --- compiled field checkers ---------------------------------------------------------------


def _string(required: bool, max_length: int | None) -> _Checker:
    reason = "must be a non-empty string" if required else "must be a string"

    def check(value: Any, path: str, out: list[Violation]) -> None:
        if type(value) is not str or (required and not value):
            out.append(Violation(path, reason))
        elif max_length is not None and len(value) > max_length:
            out.append(Violation(path, f"must be at most {max_length} characters"))

    return check


def _number(value: Any, path: str, out: list[Violation]) -> None:
    kind = type(value)
    if kind is int:
        return
    if kind is not float or not math.isfinite(value):
        out.append(Violation(path, "must be a number"))


def _integer(value: Any, path: str, out: list[Violation]) -> None:
    if type(value) is not int:
        out.append(Violation(path, "must be an integer"))


def _boolean(value: Any, path: str, out: list[Violation]) -> None:
    if type(value) is not bool:
        out.append(Violation(path, "must be a boolean"))


def _currency(value: Any, path: str, out: list[Violation]) -> None:
    if type(value) is not str or value not in ISO_4217_CODES:
        out.append(Violation(path, "must be an active ISO 4217 currency code (e.g. USD)"))


def _timestamp(value: Any, path: str, out: list[Violation]) -> None:
    if type(value) is not str or not is_iso_timestamp(value):
        out.append(Violation(path, "must be an ISO 8601 timestamp with offset (…T10:00:00.000Z)"))


def _enum(values: frozenset[str]) -> _Checker:
    reason = "must be one of " + ", ".join(sorted(values))

    def check(value: Any, path: str, out: list[Violation]) -> None:
        if type(value) is not str or value not in values:
            out.append(Violation(path, reason))

    return check


def _string_list(value: Any, path: str, out: list[Violation]) -> None:
    if type(value) is not list and not isinstance(value, tuple):
        out.append(Violation(path, "must be a list of strings"))
        return
    for index, item in enumerate(value):
        if type(item) is not str:
            out.append(Violation(f"{path}[{index}]", "must be a string"))


def _attribute_list(value: Any, path: str, out: list[Violation]) -> None:
    if type(value) is not list and not isinstance(value, tuple):
        out.append(Violation(path, "must be a list of {name, value} objects"))
        return
    for index, item in enumerate(value):
        if type(item) is not dict and not isinstance(item, Mapping):
            out.append(Violation(f"{path}[{index}]", "must be a {name, value} object"))
            continue
        name = item.get("name")
        if type(name) is not str or not name:
            out.append(Violation(f"{path}[{index}].name", "must be a non-empty string"))
        if type(item.get("value")) is not str:
            out.append(Violation(f"{path}[{index}].value", "must be a string"))


def _object_list(item_fields: tuple[FieldSpec, ...]) -> _Checker:
    checks = {spec.name: _compile(spec) for spec in item_fields}
    required = tuple(spec.name for spec in item_fields if spec.required)

    def check(value: Any, path: str, out: list[Violation]) -> None:
        if type(value) is not list and not isinstance(value, tuple):
            out.append(Violation(path, "must be a list of objects"))
            return
        for index, item in enumerate(value):
            if type(item) is not dict and not isinstance(item, Mapping):
                out.append(Violation(f"{path}[{index}]", "must be an object"))
                continue
            _check_fields(item, checks, required, f"{path}[{index}].", out)

    return check


def _compile(spec: FieldSpec) -> _Checker:
    match spec.kind:
        case Kind.STRING:
            return _string(spec.required, spec.max_length)
        case Kind.NUMBER:
            return _number
        case Kind.INTEGER:
            return _integer
        case Kind.BOOLEAN:
            return _boolean
        case Kind.ISO_CURRENCY:
            return _currency
        case Kind.ISO_TIMESTAMP:
            return _timestamp
        case Kind.ENUM:
            return _enum(spec.values)
        case Kind.OPEN_ENUM:  # any non-empty string; notices_of counts values off the list
            return _string(True, None)
        case Kind.STRING_LIST:
            return _string_list
        case Kind.ATTRIBUTE_LIST:
            return _attribute_list
        case Kind.OBJECT_LIST:
            return _object_list(spec.item_fields)
    raise AssertionError(f"unhandled kind {spec.kind}")  # pragma: no cover


def _check_fields(
    obj: Mapping[str, Any],
    checks: Mapping[str, _Checker],
    required: tuple[str, ...],
    prefix: str,
    out: list[Violation],
) -> None:
    for key, value in obj.items():
        if value is not None:
            check = checks.get(key)
            if check is not None:
                check(value, prefix + key, out)
    out.extend(Violation(prefix + name, "required") for name in required if obj.get(name) is None)


_CONTENT: Final = "signalContent."

# Per signal type, compiled once: (checker and its dotted path) by key, required paths by key.
_COMPILED: Final[dict[str, tuple[dict[str, tuple[_Checker, str]], tuple[tuple[str, str], ...]]]] = {
    name: (
        {f.name: (_compile(f), _CONTENT + f.name) for f in spec.fields},
        tuple((field, _CONTENT + field) for field in spec.required),
    )
    for name, spec in SIGNAL_TYPES.items()
}


def _check_content_fields(
    content: Mapping[str, Any],
    checks: Mapping[str, tuple[_Checker, str]],
    required: tuple[tuple[str, str], ...],
    out: list[Violation],
) -> None:
    """:func:`_check_fields` for ``signalContent`` with the paths made in advance (hot path)."""
    entry_of = checks.get
    for key, value in content.items():
        if value is not None:
            entry = entry_of(key)
            if entry is not None:
                entry[0](value, entry[1], out)
    for name, path in required:
        if content.get(name) is None:
            out.append(Violation(path, "required"))


# --- the input object ----------------------------------------------------------------------


def _check_identity(ids: Any, out: list[Violation]) -> None:
    if type(ids) is not dict and not isinstance(ids, Mapping):
        out.append(Violation("identifiableAttributes", _IDENTITY_REASON))
        return
    if len(ids) == 1:
        ((kind, value),) = ids.items()
    else:
        present = [(k, v) for k, v in ids.items() if v is not None]
        if len(present) != 1:
            out.append(
                Violation("identifiableAttributes", f"{_IDENTITY_REASON} (got {len(present)})")
            )
            return
        ((kind, value),) = present
    if kind not in _IDENTITY_KINDS:
        out.append(Violation("identifiableAttributes", f"{_IDENTITY_REASON} (got {kind!r})"))
    elif type(value) is not str or not value:
        out.append(Violation(f"identifiableAttributes.{kind}", "must be a non-empty string"))
    elif IDENTITY_RULES[kind] == "email":
        if not is_email(value):
            out.append(Violation("identifiableAttributes.email", "not a valid e-mail address"))
    elif IDENTITY_RULES[kind] == "e164" and not is_e164(value):
        out.append(
            Violation(f"identifiableAttributes.{kind}", "must be an E.164 number (+4915112345678)")
        )


def _check_content(content: Any, allowed: frozenset[str], tier: str, out: list[Violation]) -> None:
    if type(content) is not dict and not isinstance(content, Mapping):
        out.append(Violation("signalContent", "required: an object"))
        return
    signal_type = content.get("signalType")
    if type(signal_type) is not str or not signal_type:
        out.append(Violation("signalContent.signalType", "required: a signal type string"))
        return
    compiled = _COMPILED.get(signal_type)
    if compiled is None:
        out.append(Violation("signalContent.signalType", f"unknown signal type {signal_type!r}"))
        return
    if signal_type not in allowed:
        out.append(
            Violation(
                "signalContent.signalType",
                f"{NOT_ENTITLED}: the {tier} tier cannot import {signal_type} signals",
            )
        )
    _check_content_fields(content, compiled[0], compiled[1], out)


def validate_input(
    obj: Mapping[str, Any], *, tier: str, known_app_keys: Collection[str] | None = None
) -> list[Violation]:
    """Every rule ``obj`` (one ``createSignals`` input object) breaks; empty when valid.

    ``tier`` is ``pro``, ``premium`` or ``ultimate`` (anything else: ConfigurationError);
    ``known_app_keys``, when given, is the set of app keys that exist.
    """
    allowed = TIER_SIGNAL_TYPES.get(tier)
    if allowed is None:
        raise ConfigurationError(f"unknown subscription tier {tier!r}", setting="SIGNALS_TIER")
    if type(obj) is not dict and not isinstance(
        obj, Mapping
    ):  # callers may hand over any parsed JSON
        return [Violation("input", "the input must be an object")]  # type: ignore[unreachable]
    out: list[Violation] = []
    app_key = obj.get("appKey")
    if type(app_key) is not str or not app_key:
        out.append(Violation("appKey", "required: a non-empty string"))
    elif known_app_keys is not None and app_key not in known_app_keys:
        out.append(Violation("appKey", "unknown app key"))
    _check_identity(obj.get("identifiableAttributes"), out)
    session_id = obj.get("sessionId")
    if session_id is not None and type(session_id) is not str:
        out.append(Violation("sessionId", "must be a string"))
    _check_content(obj.get("signalContent"), allowed, tier, out)
    test = obj.get("test")
    if test is not None and type(test) is not bool:
        out.append(Violation("test", "must be a boolean"))
    if not _TOP_KEYS.issuperset(obj):
        out.extend(Violation(str(key), "unknown field") for key in obj if key not in _TOP_KEYS)
    return out


def validate_signal(signal: Signal, *, tier: str, notices: NoticeCounts | None = None) -> None:
    """Raise NotEntitledError or SignalValidationError when ``signal`` breaks a rule.

    A valid signal's notices (:func:`notices_of`) are counted in ``notices`` when given.
    """
    obj = signal.as_input()
    violations = validate_input(obj, tier=tier)
    if not violations:
        if notices is not None:
            found = notices_of(obj)
            if found:
                notices.add(found)
        return
    for violation in violations:
        if violation.reason.startswith(NOT_ENTITLED):
            raise NotEntitledError(violation.reason, field=violation.field)
    first = violations[0]
    message = "; ".join(str(v) for v in violations)
    raise SignalValidationError(message, field=first.field)

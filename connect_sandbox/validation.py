"""The sandbox's own check of ``createSignals`` inputs, written from the reference document.

Independent of the consumer (it reads nothing from ``consumer/signals``): a rule the consumer
got wrong is not repeated here, so a test sending the consumer's output to the sandbox can see
it. Source: ``connect-signals-reference.md`` sections 2 (mutation, identifiable attributes,
tiers), 3 (common fields), 4 (per type) and 9 (later evidence, which wins where it differs);
the per-type field tables are in :mod:`connect_sandbox.fields`.

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

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any, Final

import orjson

from connect_sandbox.fields import IMPORTABLE_TYPES, ITEM, SPECS, TIERS, Kind, Spec

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


_EMAIL: Final = re.compile(r"[^@\s]+@[^@\s.]+(\.[^@\s.]+)+")
_E164: Final = re.compile(r"\+[1-9][0-9]{6,14}")
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
                _fields(item, ITEM, f"{prefix}{name}[{index}].", bad, missing)
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
    if signal_type is None or signal_type == "":
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

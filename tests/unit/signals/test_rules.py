"""Validation rules shared by the consumer and the sandbox."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from consumer.errors import ConfigurationError, NotEntitledError, SignalValidationError
from consumer.signals.catalog import SIGNAL_TYPES, Kind
from consumer.signals.model import IDENTITY_KINDS, Signal
from consumer.signals.notices import ENUM_VALUE_UNKNOWN, MISSING_EXPECTED_FIELD, Notice, notices_of
from consumer.signals.rules import IDENTITY_RULES, ISO_4217_CODES, validate_input, validate_signal

GOLDEN = Path(__file__).resolve().parents[2] / "golden"
_IMPLIED = {"signalType"}


def _golden(signal_type: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((GOLDEN / f"{signal_type}.json").read_text())["input"]
    return data


def _with_content(signal_type: str, **changes: Any) -> dict[str, Any]:
    obj = _golden(signal_type)
    obj["signalContent"] = {**obj["signalContent"], **changes}
    return obj


def _fields(obj: dict[str, Any], tier: str = "premium") -> list[str]:
    return [v.field for v in validate_input(obj, tier=tier)]


@pytest.mark.parametrize("signal_type", sorted(SIGNAL_TYPES))
def test_golden_inputs_are_valid(signal_type: str) -> None:
    """The golden input of every type passes every rule."""
    assert validate_input(_golden(signal_type), tier="ultimate") == []


_REQUIRED = [
    (t, name) for t, spec in SIGNAL_TYPES.items() for name in spec.required if name not in _IMPLIED
]


@pytest.mark.parametrize(("signal_type", "name"), _REQUIRED)
def test_missing_required_field_is_named(signal_type: str, name: str) -> None:
    """Removing a required signalContent field is reported at signalContent.<field>."""
    obj = _golden(signal_type)
    obj["signalContent"] = dict(obj["signalContent"])
    obj["signalContent"].pop(name, None)
    assert _fields(obj) == [f"signalContent.{name}"]


_WRONG = {
    Kind.STRING: 12, Kind.NUMBER: "12", Kind.INTEGER: 1.5, Kind.BOOLEAN: "yes",
    Kind.ISO_CURRENCY: "EURO", Kind.ENUM: "sideways", Kind.OPEN_ENUM: "", Kind.STRING_LIST: "x",
    Kind.ISO_TIMESTAMP: "2025-05-01", Kind.OBJECT_LIST: [1], Kind.ATTRIBUTE_LIST: [{"name": 1}],
}  # fmt: skip


@pytest.mark.parametrize(("signal_type", "name"), _REQUIRED)
def test_mistyped_required_field_is_named(signal_type: str, name: str) -> None:
    """A required field of the wrong kind is reported at its path."""
    kind = SIGNAL_TYPES[signal_type].by_name[name].kind
    fields = _fields(_with_content(signal_type, **{name: _WRONG[kind]}))
    assert fields
    assert fields[0].startswith(f"signalContent.{name}")


def test_ordered_item_fields_are_checked() -> None:
    """An order line missing productId is reported with its index."""
    obj = _with_content("order", orderedItems=[{"productName": "x", "itemQuantity": 1,
                                                 "unitPrice": 1.0}])  # fmt: skip
    assert _fields(obj) == ["signalContent.orderedItems[0].productId"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"appKey": ""}, "appKey"),
        ({"appKey": None}, "appKey"),
        ({"identifiableAttributes": {}}, "identifiableAttributes"),
        ({"identifiableAttributes": {"email": "a@b.io", "sms": "+491511234567"}},
         "identifiableAttributes"),
        ({"identifiableAttributes": {"fax": "1"}}, "identifiableAttributes"),
        ({"identifiableAttributes": {"email": "not-an-email"}}, "identifiableAttributes.email"),
        ({"identifiableAttributes": {"sms": "0151 1234567"}}, "identifiableAttributes.sms"),
        ({"identifiableAttributes": {"whatsapp": "+0123456789"}},
         "identifiableAttributes.whatsapp"),
        ({"identifiableAttributes": {"contactKey": ""}}, "identifiableAttributes.contactKey"),
        ({"sessionId": 5}, "sessionId"),
        ({"test": "true"}, "test"),
        ({"signalContent": None}, "signalContent"),
        ({"extra": 1}, "extra"),
    ],
)  # fmt: skip
def test_input_level_rules(change: dict[str, Any], field: str) -> None:
    """Each input-level rule reports its own dotted field."""
    assert _fields({**_golden("pageView"), **change}) == [field]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"category": "Commerce"}, "signalContent.category"),
        ({"effect": "neutral"}, "signalContent.effect"),
        ({"name": "x" * 257}, "signalContent.name"),
        ({"signalTimestamp": "2025-05-01T10:00:00"}, "signalContent.signalTimestamp"),
        ({"signalType": "purchase"}, "signalContent.signalType"),
        ({"signalCustomAttributes": [{"name": "a", "value": 1}]},
         "signalContent.signalCustomAttributes[0].value"),
    ],
)  # fmt: skip
def test_common_content_rules(change: dict[str, Any], field: str) -> None:
    """Common signalContent rules report the offending field."""
    assert _fields(_with_content("pageView", **change)) == [field]


def test_known_app_keys() -> None:
    """An app key outside known_app_keys is reported; a known one passes."""
    obj = _golden("pageView")
    assert validate_input(obj, tier="premium", known_app_keys={"other"})[0].field == "appKey"
    assert validate_input(obj, tier="premium", known_app_keys={"app-default"}) == []


def test_unknown_extra_content_fields_pass() -> None:
    """Fields a type does not list pass through unchecked."""
    assert _fields(_with_content("pageView", referrer={"any": ["thing"]})) == []


def test_currency_list() -> None:
    """The currency list holds active codes and no withdrawn or test ones."""
    assert {"USD", "EUR", "GBP", "JPY", "CHF"} <= ISO_4217_CODES
    assert not {"DEM", "HRK", "XTS", "XXX", "usd"} & ISO_4217_CODES


def test_not_entitled_type_for_tier() -> None:
    """A pageView is refused for pro with an entitlement violation, accepted for premium."""
    violations = validate_input(_golden("pageView"), tier="pro")
    assert [v.field for v in violations] == ["signalContent.signalType"]
    assert "not entitled" in violations[0].reason


def _signal(content: dict[str, Any]) -> Signal:
    return Signal("app", "email", "jane@example.com", content)


def test_validate_signal_raises_not_entitled() -> None:
    """validate_signal raises NotEntitledError for a type outside the tier."""
    with pytest.raises(NotEntitledError) as err:
        validate_signal(_signal(_golden("pageView")["signalContent"]), tier="pro")
    assert err.value.field == "signalContent.signalType"


def test_validate_signal_raises_first_field_and_all_reasons() -> None:
    """validate_signal names the first violation's field and lists every reason."""
    content = {**_golden("addToCart")["signalContent"], "currency": "EURO", "unitPrice": "1"}
    with pytest.raises(SignalValidationError) as err:
        validate_signal(_signal(content), tier="pro")
    assert err.value.field == "signalContent.currency"
    assert "signalContent.unitPrice" in str(err.value)
    assert not isinstance(err.value, NotEntitledError)


def test_validate_signal_accepts_valid_signal() -> None:
    """A valid signal passes validate_signal silently."""
    validate_signal(_signal(_golden("order")["signalContent"]), tier="pro")


def test_unknown_tier_is_a_configuration_error() -> None:
    """An unknown tier is a configuration error naming SIGNALS_TIER."""
    with pytest.raises(ConfigurationError) as err:
        validate_input(_golden("order"), tier="gold")
    assert err.value.setting == "SIGNALS_TIER"


# --- section 9: enumerations Acoustic contradicts, fields Connect may discard without ----------


@pytest.mark.parametrize(
    ("signal_type", "name", "value"),
    [
        ("identification", "identifierName", "Email Address"),
        ("identification", "identifierName", "Customer ID"),
        ("identification", "identifierName", "loyaltyNumber"),
        ("richMediaInteraction", "interactionType", "play"),
        ("richMediaInteraction", "interactionType", "click"),
        ("richMediaInteraction", "interactionType", "scroll"),
    ],
)
def test_contradicted_enumerations_accept_any_non_empty_string(
    signal_type: str, name: str, value: str
) -> None:
    """identifierName and interactionType take any non-empty string (Acoustic's own examples)."""
    assert _fields(_with_content(signal_type, **{name: value})) == []
    assert _fields(_with_content(signal_type, **{name: ""})) == [f"signalContent.{name}"]


@pytest.mark.parametrize(
    ("signal_type", "name", "value", "unknown"),
    [
        ("identification", "identifierName", "email", False),
        ("identification", "identifierName", "Email Address", False),
        ("identification", "identifierName", "loyaltyNumber", True),
        ("richMediaInteraction", "interactionType", "COMPLETE", False),
        ("richMediaInteraction", "interactionType", "play", False),
        ("richMediaInteraction", "interactionType", "scroll", True),
    ],
)
def test_values_off_the_known_list_are_noticed(
    signal_type: str, name: str, value: str, unknown: bool
) -> None:
    """A value outside the known list is a notice (counted), not a violation."""
    found = notices_of(_with_content(signal_type, **{name: value}))
    assert (Notice(ENUM_VALUE_UNKNOWN, signal_type, name) in found) is unknown


_EXPECTED = [
    ("pageView", "url"),
    ("pageView", "pageCategory"),
    ("productView", "productName"),
    ("productView", "productUrls"),
    ("productView", "imageUrls"),
    ("order", "orderValue"),
    ("order", "orderedItems"),
]


@pytest.mark.parametrize(("signal_type", "name"), _EXPECTED)
def test_a_missing_expected_field_is_noticed_and_still_valid(signal_type: str, name: str) -> None:
    """A field section 9 says Connect requires is counted when missing, never refused."""
    obj = _with_content(signal_type, productUrls=["u"], imageUrls=["i"])
    if signal_type != "productView":
        obj = _golden(signal_type)
    assert Notice(MISSING_EXPECTED_FIELD, signal_type, name) not in notices_of(obj)
    obj["signalContent"] = {k: v for k, v in obj["signalContent"].items() if k != name}
    assert validate_input(obj, tier="premium") == []
    assert notices_of(obj) == (Notice(MISSING_EXPECTED_FIELD, signal_type, name),)


def test_notices_of_an_input_that_is_not_a_signal_are_empty() -> None:
    """Inputs without a known signal type give no notices (validation reports them)."""
    assert notices_of({"signalContent": {"signalType": "purchase"}}) == ()
    assert notices_of({"signalContent": None}) == ()


def test_every_identity_kind_has_a_rule() -> None:
    """IDENTITY_RULES (also the native plan's) names a rule for each identity kind."""
    assert set(IDENTITY_RULES) == set(IDENTITY_KINDS)
    assert set(IDENTITY_RULES.values()) <= {"any", "email", "e164"}


def test_product_configuration_types_the_optional_fields_section_9_lists() -> None:
    """productConfiguration's optional unitPrice, currency and URLs are type-checked."""
    ok = {"unitPrice": 89.5, "currency": "EUR", "productUrls": ["u"], "actionState": "added"}
    assert _fields(_with_content("productConfiguration", **ok)) == []
    bad = {"unitPrice": "89.5", "currency": "euro", "imageUrls": "i"}
    assert _fields(_with_content("productConfiguration", **bad)) == [
        "signalContent.unitPrice", "signalContent.currency", "signalContent.imageUrls",
    ]  # fmt: skip

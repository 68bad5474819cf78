"""Translator end to end over fakes: Avro frame -> decode -> map -> validate -> Signal."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from consumer.errors import (
    DecodeError,
    MappingError,
    NotEntitledError,
    PermanentError,
    RegistryUnavailable,
    SignalValidationError,
    UnknownSchemaError,
)
from consumer.mapping.custom import CustomMappings
from consumer.mapping.tables import RECORD_SIGNAL_TYPES
from consumer.translate import Translator
from tests.unit.avro.fakes import Message, RegistryStub, frame, our_schemas, settings
from tests.unit.mapping.samples import sample
from tests.unit.pipeline.fakes import FakeMessage

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests" / "golden"
SCHEMAS = our_schemas()
IDS = {name: index for index, name in enumerate(sorted(SCHEMAS), start=1)}
SHOP = json.loads((ROOT / "examples" / "mappings" / "ecommerce_event.avsc").read_text())
SHOP_ID = 50


def registry_stub() -> RegistryStub:
    """A registry with our eleven schemas (ids 1..11) and the example ShopEvent (id 50)."""
    schemas: dict[int, Any] = {IDS[name]: schema for name, schema in SCHEMAS.items()}
    schemas[SHOP_ID] = SHOP
    return RegistryStub(schemas, subjects={SHOP_ID: ["shop-value"]})


def translator(stub: RegistryStub | None = None, **over: Any) -> Translator:
    """A Translator on the stub registry, with no custom mappings unless configured."""
    config = settings(**over)
    custom = None if config.mapping_files else CustomMappings()
    return Translator(config, registry=(stub or registry_stub()).registry(), custom=custom)


def cart_message(**changes: Any) -> FakeMessage:
    """A framed AddToCartEvent sample with ``changes``."""
    event = sample("AddToCartEvent", **changes)
    return Message(frame(IDS["AddToCartEvent"], SCHEMAS["AddToCartEvent"], event))


@pytest.mark.parametrize("signal_type", sorted(RECORD_SIGNAL_TYPES.values()))
def test_golden_event_translates_to_the_stored_input(signal_type: str) -> None:
    """Each golden event, Avro-encoded and framed, translates to exactly its stored input."""
    golden = json.loads((GOLDEN / f"{signal_type}.json").read_text())
    record = golden["record"]
    msg = Message(frame(IDS[record], SCHEMAS[record], golden["event"]), _topic="behavior")
    signal = translator(default_app_key="app-default").translate(msg)
    assert signal.as_input() == golden["input"]


def test_translate_event_returns_the_decoded_event_too() -> None:
    """translate_event gives the decoded event next to the signal (for dry runs)."""
    event, signal = translator().translate_event(cart_message())
    assert event.schema_id == IDS["AddToCartEvent"]
    assert event.record_name == "io.connectsignals.events.AddToCartEvent"
    assert signal.signal_type == "addToCart"
    assert signal.app_key == "app-key-1"


def test_topic_app_key_is_used() -> None:
    """The message's topic picks the configured app key."""
    translate = translator(topic_app_keys={"carts": "app-carts"}).translate
    msg = cart_message()
    msg._topic = "carts"
    assert translate(msg).app_key == "app-carts"


def test_undecodable_value_is_a_decode_error_with_raw() -> None:
    """Bytes that are not framed raise DecodeError carrying the message and no schema id."""
    msg = Message(b"\x05garbage")
    with pytest.raises(DecodeError) as raised:
        translator().translate(msg)
    assert raised.value.raw is msg
    assert raised.value.schema_id is None
    assert raised.value.code == "undecodable"


def test_malformed_body_error_carries_the_schema_id() -> None:
    """A truncated body raises DecodeError carrying the frame's schema id."""
    value = cart_message().value()
    assert value is not None
    msg = Message(value[:12])
    with pytest.raises(DecodeError) as raised:
        translator().translate(msg)
    assert raised.value.schema_id == IDS["AddToCartEvent"]
    assert raised.value.raw is msg


def test_unknown_schema_is_permanent_with_raw() -> None:
    """An unknown schema id raises UnknownSchemaError with the message and the id."""
    value = cart_message().value()
    assert value is not None
    msg = Message(b"\x00\x00\x00\x00\x63" + value[5:])
    with pytest.raises(UnknownSchemaError) as raised:
        translator().translate(msg)
    assert (raised.value.raw, raised.value.schema_id) == (msg, 99)


def test_mapping_error_names_the_field_and_carries_raw_and_schema_id() -> None:
    """An event without any identity raises MappingError naming identifiableAttributes."""
    msg = cart_message(email=None)
    with pytest.raises(MappingError) as raised:
        translator().translate(msg)
    assert raised.value.field == "identifiableAttributes"
    assert raised.value.raw is msg
    assert raised.value.schema_id == IDS["AddToCartEvent"]


def test_missing_app_key_is_a_mapping_error() -> None:
    """Without an app key in the event or the configuration the event cannot be mapped."""
    with pytest.raises(MappingError) as raised:
        translator(default_app_key=None).translate(cart_message())
    assert raised.value.field == "appKey"


def test_invalid_signal_is_a_validation_error_with_field_and_reason() -> None:
    """A currency that is not ISO 4217 raises SignalValidationError naming the field."""
    msg = cart_message(currency="EURO")
    with pytest.raises(SignalValidationError) as raised:
        translator().translate(msg)
    assert raised.value.field == "signalContent.currency"
    assert raised.value.reason
    assert raised.value.raw is msg
    assert raised.value.schema_id == IDS["AddToCartEvent"]


def test_type_outside_the_tier_is_not_entitled() -> None:
    """A page view under the pro tier raises NotEntitledError before any API call."""
    event = sample("PageViewEvent")
    msg = Message(frame(IDS["PageViewEvent"], SCHEMAS["PageViewEvent"], event))
    with pytest.raises(NotEntitledError) as raised:
        translator(tier="pro").translate(msg)
    assert raised.value.code == "not_entitled"
    assert raised.value.raw is msg


def test_registry_outage_is_retryable() -> None:
    """A registry that cannot be reached raises RegistryUnavailable, not a PermanentError."""
    stub = registry_stub()
    stub.status = 503
    with pytest.raises(RegistryUnavailable) as raised:
        translator(stub).translate(cart_message())
    assert not isinstance(raised.value, PermanentError)


def shop_event() -> dict[str, Any]:
    """A ShopEvent (example custom schema) for a cart add."""
    return {
        "id": "shop-1",
        "occurredAt": 1_750_000_000_000,
        "action": "CART_ADD",
        "customer": {"customerId": "C-77", "email": None},
        "currency": "eur",
        "product": {"sku": "SKU-9", "title": "Socks", "priceCents": 1299},
        "quantity": 3,
    }


def test_custom_mapping_files_from_the_settings_are_used() -> None:
    """A record that is not ours translates through SIGNALS_MAPPING_FILES (the example)."""
    tr = translator(mapping_files=[str(ROOT / "examples" / "mappings")])
    signal = tr.translate(Message(frame(SHOP_ID, SHOP, shop_event())))
    assert signal.signal_type == "addToCart"
    assert signal.identity_kind == "contactKey"
    assert signal.content["unitPrice"] == 12.99
    assert signal.content["currency"] == "EUR"


def test_custom_mapping_by_subject(tmp_path: Path) -> None:
    """A mapping that matches by subject gets the subject from the registry."""
    text = (ROOT / "examples" / "mappings" / "ecommerce.yaml").read_text()
    text = text.replace("record: com.example.shop.ShopEvent", "subject: shop-value")
    (tmp_path / "shop.yaml").write_text(text)
    stub = registry_stub()
    tr = translator(stub, mapping_files=[str(tmp_path)])
    signal = tr.translate(Message(frame(SHOP_ID, SHOP, shop_event()), _topic="shop"))
    assert signal.signal_type == "addToCart"
    assert f"/schemas/ids/{SHOP_ID}/subjects" in stub.calls


def test_subjects_are_not_fetched_without_subject_mappings() -> None:
    """Without custom mappings by subject the registry's subjects are never asked for."""
    stub = registry_stub()
    translator(stub).translate(cart_message())
    assert all(not call.endswith("/subjects") for call in stub.calls)


def test_close_closes_an_owned_registry() -> None:
    """close() closes the registry client the translator created itself."""
    tr = Translator(settings(), custom=CustomMappings())
    registry = tr._decoder._registry
    assert not registry._http.is_closed
    tr.close()
    assert registry._http.is_closed

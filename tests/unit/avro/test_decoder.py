"""Decoder: real fastavro frames for every schema, evolution, framing and malformed bodies."""

from __future__ import annotations

import copy
import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastavro._read_py import schemaless_reader as python_reader

from consumer.avro.decoder import Decoder
from consumer.avro.schemas import ReaderSchemas
from consumer.errors import (
    DecodeError,
    IncompatibleSchemaError,
    PermanentError,
    RegistryUnavailable,
    UnknownSchemaError,
)
from tests.unit.mapping.samples import SAMPLES, sample

from .fakes import SCHEMAS_DIR, Message, RegistryStub, body, frame, our_schemas, settings

SCHEMAS = our_schemas()
IDS = {name: index for index, name in enumerate(sorted(SCHEMAS), start=1)}
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
CART = SCHEMAS["AddToCartEvent"]
CART_ID = IDS["AddToCartEvent"]
SHOP = json.loads(
    (SCHEMAS_DIR.parent / "examples" / "mappings" / "ecommerce_event.avsc").read_text()
)


def decoded(record: dict[str, Any]) -> dict[str, Any]:
    """``record`` as the decoder returns it (eventTime as an aware datetime)."""
    return {**record, "eventTime": EPOCH + timedelta(milliseconds=record["eventTime"])}


def stub_with(**extra: Any) -> RegistryStub:
    """A registry holding every schema of schemas/ (ids 1..11) plus ``extra`` ("id_N": schema)."""
    schemas: dict[int, Any] = {IDS[name]: schema for name, schema in SCHEMAS.items()}
    schemas.update({int(key.removeprefix("id_")): value for key, value in extra.items()})
    return RegistryStub(schemas)


def decoder(stub: RegistryStub | None = None, **kwargs: Any) -> Decoder:
    """A Decoder on the stub registry and our reader schemas."""
    return Decoder(settings(), (stub or stub_with()).registry(), **kwargs)


def older_cart() -> dict[str, Any]:
    """AddToCartEvent as an older producer wrote it: without discount, images and cart URL."""
    schema = copy.deepcopy(CART)
    gone = {"discount", "imageUrls", "shoppingCartUrl"}
    schema["fields"] = [f for f in schema["fields"] if f["name"] not in gone]
    return schema


@pytest.mark.parametrize("record", sorted(SAMPLES))
def test_every_event_schema_decodes_a_real_frame(record: str) -> None:
    """A frame fastavro wrote with each schema of schemas/ decodes to the same record."""
    event = sample(record)
    value = frame(IDS[record], SCHEMAS[record], event)
    result = decoder().decode(Message(value))
    assert result.schema_id == IDS[record]
    assert result.record_name == f"io.connectsignals.events.{record}"
    assert result.data == decoded(event)


def test_plan_is_made_once_per_schema_id() -> None:
    """Many messages of one schema id cost one registry request."""
    stub = stub_with()
    dec = decoder(stub)
    for n in range(5):
        event = sample("AddToCartEvent", eventId=f"e-{n}")
        assert dec.decode(Message(frame(CART_ID, CART, event))).data["eventId"] == f"e-{n}"
    assert stub.calls == [f"/schemas/ids/{CART_ID}", f"/schemas/ids/{CART_ID}/subjects"]


def test_older_writer_is_resolved_to_the_newer_reader() -> None:
    """Fields an older writer lacks get the reader schema's defaults."""
    event = {k: v for k, v in sample("AddToCartEvent").items() if k in {"eventId", "eventTime"}}
    event.update(email="a@example.com", currency="EUR", productId="P", productName="N")
    event.update(itemQuantity=1, unitPrice=2.5)
    dec = decoder(stub_with(id_40=older_cart()))
    result = dec.decode(Message(frame(40, older_cart(), event)))
    assert result.record_name == "io.connectsignals.events.AddToCartEvent"
    assert result.data["discount"] is None
    assert result.data["imageUrls"] == []
    assert result.data["shoppingCartUrl"] is None
    assert result.data["unitPrice"] == 2.5
    assert set(result.data) == {f["name"] for f in CART["fields"]}


def test_writer_with_a_promoted_type_is_resolved() -> None:
    """A writer's float unitPrice is promoted to the reader's double."""
    writer = copy.deepcopy(CART)
    for field in writer["fields"]:
        if field["name"] == "unitPrice":
            field["type"] = "float"
    dec = decoder(stub_with(id_41=writer))
    result = dec.decode(Message(frame(41, writer, sample("AddToCartEvent", unitPrice=2.5))))
    assert result.data["unitPrice"] == 2.5
    assert type(result.data["unitPrice"]) is float


def test_newer_writer_fields_pass_through() -> None:
    """Fields only a newer writer has reach the decoded data (the mapper passes them on)."""
    writer = copy.deepcopy(CART)
    writer["fields"].append(
        {"name": "loyaltyTier", "type": ["null", "string"], "default": None, "doc": "new"}
    )
    dec = decoder(stub_with(id_42=writer))
    result = dec.decode(Message(frame(42, writer, sample("AddToCartEvent", loyaltyTier="gold"))))
    assert result.data["loyaltyTier"] == "gold"
    assert result.data["productId"] == "SKU-1001"


def test_newer_and_reordered_writer_keeps_extras_through_resolution() -> None:
    """A writer that reorders fields and adds one is resolved, its extra field kept."""
    writer = copy.deepcopy(CART)
    writer["fields"].reverse()
    writer["fields"].insert(3, {"name": "channel", "type": "string", "doc": "new"})
    dec = decoder(stub_with(id_43=writer))
    result = dec.decode(Message(frame(43, writer, sample("AddToCartEvent", channel="web"))))
    assert result.data["channel"] == "web"
    assert set(result.data) == {f["name"] for f in CART["fields"]} | {"channel"}
    assert result.data["productId"] == "SKU-1001"


def test_writer_missing_a_required_reader_field_is_incompatible() -> None:
    """A writer without a field the reader needs (no default) raises IncompatibleSchemaError."""
    writer = copy.deepcopy(CART)
    writer["fields"] = [f for f in writer["fields"] if f["name"] != "currency"]
    event = {k: v for k, v in sample("AddToCartEvent").items() if k != "currency"}
    msg = Message(frame(44, writer, event))
    with pytest.raises(IncompatibleSchemaError) as raised:
        decoder(stub_with(id_44=writer)).decode(msg)
    assert raised.value.schema_id == 44
    assert raised.value.raw is msg
    assert "currency" in raised.value.reason


def test_record_that_is_not_ours_is_read_with_the_writer_schema() -> None:
    """A record without a reader schema of ours is decoded with the writer schema alone."""
    event = {
        "id": "x-1",
        "occurredAt": 1_750_000_000_000,
        "action": "CART_ADD",
        "customer": {"customerId": "c-9", "email": None},
        "currency": "eur",
    }
    result = decoder(stub_with(id_50=SHOP)).decode(Message(frame(50, SHOP, event)))
    assert result.record_name == "com.example.shop.ShopEvent"
    assert result.data["customer"] == {"customerId": "c-9", "email": None}
    assert result.data["action"] == "CART_ADD"


def test_reader_is_found_by_alias(tmp_path: Path) -> None:
    """A writer record renamed since is matched to the reader that lists its old name."""
    reader = copy.deepcopy(CART)
    reader["name"] = "CartAdded"
    reader["aliases"] = ["AddToCartEvent"]
    (tmp_path / "cart.avsc").write_text(json.dumps(reader))
    dec = decoder(readers=ReaderSchemas.load(tmp_path))
    result = dec.decode(Message(frame(CART_ID, CART, sample("AddToCartEvent"))))
    assert result.record_name == "io.connectsignals.events.CartAdded"
    assert result.data["productId"] == "SKU-1001"


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (None, "null (a tombstone)"),
        (b"", "0 byte(s), shorter than the 5-byte"),
        (b"\x00\x00\x01", "3 byte(s), shorter than the 5-byte"),
        (b"\x01\x00\x00\x00\x01\x02", "magic byte is 0x01, expected 0x00"),
        (b'{"eventId": "e1"}', "looks like JSON"),
        (b"Obj\x01\x00\x00", "object container file"),
    ],
    ids=["null", "empty", "short", "magic", "json", "container"],
)
def test_bad_frame_is_a_decode_error_with_a_precise_reason(
    value: bytes | None, reason: str
) -> None:
    """Values that are not Confluent-framed raise DecodeError saying exactly why."""
    stub = stub_with()
    msg = Message(value)
    with pytest.raises(DecodeError, match=reason.replace("(", r"\(").replace(")", r"\)")) as err:
        decoder(stub).decode(msg)
    assert err.value.raw is msg
    assert err.value.schema_id is None
    assert stub.calls == []


def test_every_truncation_of_a_valid_frame_is_a_decode_error() -> None:
    """Each proper prefix of a valid frame's body raises DecodeError naming the schema."""
    value = frame(CART_ID, CART, sample("AddToCartEvent"))
    dec = decoder()
    for end in range(5, len(value)):
        with pytest.raises(DecodeError) as raised:
            dec.decode(Message(value[:end]))
        assert raised.value.schema_id == CART_ID
        assert "AddToCartEvent" in raised.value.reason


def test_trailing_bytes_are_a_decode_error() -> None:
    """Bytes left after the record mean the frame was not written with that schema."""
    value = frame(CART_ID, CART, sample("AddToCartEvent")) + b"\x00\x00"
    with pytest.raises(DecodeError, match="2 byte"):
        decoder().decode(Message(value))


def test_huge_declared_length_fails_fast() -> None:
    """A string length far beyond the payload fails at once, without allocating it."""
    varint = bytearray()
    n = (2**62) << 1  # zig-zag encoding of the length 2**62
    while n >= 0x80:
        varint.append((n & 0x7F) | 0x80)
        n >>= 7
    varint.append(n)
    value = b"\x00" + CART_ID.to_bytes(4, "big") + bytes(varint) + b"abc"
    started = time.perf_counter()
    with pytest.raises(DecodeError):
        decoder().decode(Message(value))
    assert time.perf_counter() - started < 0.5


def test_unknown_schema_id_carries_raw_and_id() -> None:
    """An id the registry does not know raises UnknownSchemaError with raw and schema id."""
    msg = Message(b"\x00\x00\x00\x03\xe7" + body(CART, sample("AddToCartEvent")))
    with pytest.raises(UnknownSchemaError) as raised:
        decoder().decode(msg)
    assert raised.value.schema_id == 999
    assert raised.value.raw is msg


def test_registry_outage_is_retryable_not_permanent() -> None:
    """A registry 503 surfaces as RegistryUnavailable, never as a PermanentError."""
    stub = stub_with()
    stub.status = 503
    with pytest.raises(RegistryUnavailable) as raised:
        decoder(stub).decode(Message(frame(CART_ID, CART, sample("AddToCartEvent"))))
    assert not isinstance(raised.value, PermanentError)


def test_non_record_writer_schema_is_incompatible() -> None:
    """A top-level writer schema that is not a record cannot be an event."""
    value = frame(60, "string", "hello")
    dec = decoder(stub_with(id_60='"string"'))
    for _ in range(2):
        with pytest.raises(IncompatibleSchemaError, match="not a record"):
            dec.decode(Message(value))


def test_deeply_nested_recursive_payload_is_a_decode_error_not_a_crash() -> None:
    """A recursive schema with a forged 200k-deep payload fails cleanly (no C stack overflow)."""
    node = {
        "type": "record",
        "name": "Node",
        "fields": [{"name": "next", "type": ["null", "Node"]}],
    }
    value = b"\x00" + (61).to_bytes(4, "big") + b"\x02" * 200_000 + b"\x00"
    dec = decoder(stub_with(id_61=node))
    with pytest.raises(DecodeError, match="RecursionError"):
        dec.decode(Message(value))
    shallow = b"\x00" + (61).to_bytes(4, "big") + b"\x02\x02\x00"
    assert dec.decode(Message(shallow)).data == {"next": {"next": {"next": None}}}


def test_array_of_zero_width_items_is_refused() -> None:
    """A writer schema whose array items take zero bytes is refused (a count could loop)."""
    schema = {
        "type": "record",
        "name": "Nulls",
        "fields": [{"name": "items", "type": {"type": "array", "items": "null"}}],
    }
    value = b"\x00" + (62).to_bytes(4, "big") + b"\xfe\xff\xff\xff\xff\xff\xff\xff\x7f"
    started = time.perf_counter()
    with pytest.raises(IncompatibleSchemaError, match="zero-width"):
        decoder(stub_with(id_62=schema)).decode(Message(value))
    assert time.perf_counter() - started < 0.5


def test_subject_prefers_the_topic_value_subject() -> None:
    """The subject is ``<topic>-value`` when the id is registered there."""
    stub = stub_with()
    stub.subjects[CART_ID] = ["other-value", "clicks-value"]
    dec = decoder(stub)
    msg = Message(frame(CART_ID, CART, sample("AddToCartEvent")), _topic="clicks")
    assert dec.decode(msg).subject == "clicks-value"
    assert dec.decode(msg).subject == "clicks-value"
    assert stub.calls.count(f"/schemas/ids/{CART_ID}/subjects") == 1


def test_subject_falls_back_to_the_only_subject() -> None:
    """An id registered under exactly one other subject gets that subject."""
    stub = stub_with()
    stub.subjects[CART_ID] = ["carts"]
    msg = Message(frame(CART_ID, CART, sample("AddToCartEvent")), _topic="clicks")
    assert decoder(stub).decode(msg).subject == "carts"


def test_subjects_are_not_asked_for_when_not_needed() -> None:
    """With resolve_subjects=False no subject request is made and the subject is None."""
    stub = stub_with()
    stub.subjects[CART_ID] = ["clicks-value"]
    dec = decoder(stub, resolve_subjects=False)
    msg = Message(frame(CART_ID, CART, sample("AddToCartEvent")), _topic="clicks")
    assert dec.decode(msg).subject is None
    assert stub.calls == [f"/schemas/ids/{CART_ID}"]


def test_default_reader_schemas_are_the_repository_schemas() -> None:
    """Without SIGNALS_SCHEMAS_DIR the reader schemas are the ones in schemas/."""
    dec = Decoder(settings(schemas_dir=None), stub_with().registry())
    assert dec.readers.names() == sorted(f"io.connectsignals.events.{name}" for name in SCHEMAS)


def test_deep_schema_is_read_by_the_python_reader() -> None:
    """A schema nested deeper than the compiled reader is trusted with still decodes."""
    depth = 100
    nested: Any = "int"
    for _ in range(depth):
        nested = {"type": "array", "items": nested}
    schema = {"type": "record", "name": "Deep", "fields": [{"name": "v", "type": nested}]}
    value: Any = 7
    for _ in range(depth):
        value = [value]
    dec = decoder(stub_with(id_63=schema))
    assert dec.decode(Message(frame(63, schema, {"v": value}))).data == {"v": value}
    assert dec._plans[63].read is python_reader

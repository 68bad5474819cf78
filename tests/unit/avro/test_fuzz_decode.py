"""Fuzzing the translator: arbitrary bytes give a Signal or a PermanentError, never anything else.

Random bytes, random schema ids, bit-flipped and truncated valid frames go through the whole
Translator (decode -> map -> validate) against a fake registry holding our eleven schemas, an
older writer (resolution path), the example ShopEvent (custom mapping path) and a recursive
schema (pure-Python reader path). Each input must be translated or refused with a typed,
explained PermanentError carrying the message, in bounded time.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from datetime import timedelta
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st

from consumer.errors import PermanentError
from consumer.signals.model import Signal
from consumer.translate import Translator
from tests.unit.avro.fakes import Message, RegistryStub, frame, our_schemas, settings
from tests.unit.mapping.samples import SAMPLES, sample
from tests.unit.pipeline.fakes import FakeMessage

ROOT = Path(__file__).resolve().parents[3]
SCHEMAS = our_schemas()
IDS = {name: index for index, name in enumerate(sorted(SCHEMAS), start=1)}
SHOP = json.loads((ROOT / "examples" / "mappings" / "ecommerce_event.avsc").read_text())
NODE = {"type": "record", "name": "Node", "fields": [{"name": "next", "type": ["null", "Node"]}]}
OLDER_ID, SHOP_ID, NODE_ID = 40, 50, 61
KNOWN_IDS = [*IDS.values(), OLDER_ID, SHOP_ID, NODE_ID]

FUZZ = hyp_settings(
    max_examples=300,
    deadline=timedelta(milliseconds=500),
    suppress_health_check=[HealthCheck.too_slow],
)


def _older_cart() -> dict[str, Any]:
    schema = copy.deepcopy(SCHEMAS["AddToCartEvent"])
    schema["fields"] = [f for f in schema["fields"] if f["name"] != "discount"]
    return schema


@cache
def translator() -> Translator:
    """One translator for the whole module (plans and caches build up as in production)."""
    schemas: dict[int, Any] = {IDS[name]: schema for name, schema in SCHEMAS.items()}
    schemas.update({OLDER_ID: _older_cart(), SHOP_ID: SHOP, NODE_ID: NODE})
    config = settings(mapping_files=[str(ROOT / "examples" / "mappings")])
    return Translator(config, registry=RegistryStub(schemas).registry())


@pytest.fixture(scope="module", autouse=True)
def _warm() -> Iterator[None]:
    """Build the translator and frames before the timed examples; close it afterwards."""
    translator()
    valid_frames()
    yield
    translator().close()
    translator.cache_clear()


@cache
def valid_frames() -> list[bytes]:
    """One valid frame per event schema (the samples)."""
    return [frame(IDS[name], SCHEMAS[name], sample(name)) for name in sorted(SAMPLES)]


def outcome(msg: FakeMessage) -> Signal | PermanentError:
    """The translated signal, or the PermanentError raised (anything else propagates)."""
    try:
        return translator().translate(msg)
    except PermanentError as exc:
        return exc


def check(value: bytes) -> None:
    """``value`` translates to a Signal, or fails with an explained PermanentError."""
    msg = Message(value)
    result = outcome(msg)
    if isinstance(result, PermanentError):
        assert result.reason.strip(), f"{type(result).__name__} without a reason"
        assert result.raw is msg
    else:
        assert isinstance(result, Signal)


@FUZZ
@given(st.binary(max_size=512))
def test_random_bytes(value: bytes) -> None:
    """Arbitrary bytes are translated or refused with a reason."""
    check(value)


@FUZZ
@given(st.sampled_from(KNOWN_IDS), st.binary(max_size=512))
def test_random_bodies_under_known_schema_ids(schema_id: int, body: bytes) -> None:
    """A correct header in front of random bytes is translated or refused with a reason."""
    check(b"\x00" + schema_id.to_bytes(4, "big") + body)


@FUZZ
@given(st.integers(min_value=0, max_value=2**32 - 1), st.integers(min_value=0, max_value=10))
def test_random_schema_ids(schema_id: int, which: int) -> None:
    """A valid body under any schema id is translated or refused with a reason."""
    body = valid_frames()[which][5:]
    check(b"\x00" + schema_id.to_bytes(4, "big") + body)


@FUZZ
@given(st.integers(min_value=0, max_value=10), st.data())
def test_bit_flipped_frames(which: int, data: st.DataObject) -> None:
    """Valid frames with a few flipped bits are translated or refused with a reason."""
    value = bytearray(valid_frames()[which])
    flips = data.draw(st.lists(st.integers(0, len(value) * 8 - 1), min_size=1, max_size=8))
    for bit in flips:
        value[bit // 8] ^= 1 << (bit % 8)
    check(bytes(value))


@FUZZ
@given(st.integers(min_value=0, max_value=10), st.data())
def test_truncated_and_extended_frames(which: int, data: st.DataObject) -> None:
    """Valid frames cut short or with bytes appended are refused with a reason."""
    value = valid_frames()[which]
    cut = data.draw(st.integers(0, len(value) - 1))
    tail = data.draw(st.binary(min_size=1, max_size=16))
    for broken in (value[:cut], value + tail):
        result = outcome(Message(broken))
        assert isinstance(result, PermanentError), f"{len(broken)} of {len(value)} bytes passed"
        assert result.reason.strip()

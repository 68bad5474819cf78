"""The native fast path against the Python path, which stays the reference.

Every event here is Avro-encoded and framed, then given to both paths. The contract
(``consumer/native.py``): when the native side returns a literal, the Python path translates the
event to the same values (same types, same order of keys) and counts the same notices (signals
Connect may discard); when the Python path refuses an event, the native side returns None. The
native side may also return None for valid events it is not sure about, but never for the sample
events of our schemas.
"""

from __future__ import annotations

import copy
import dataclasses
from typing import Any

import fastavro
import orjson
import pytest

from consumer.errors import ConfigurationError
from consumer.mapping.custom import load_mappings
from consumer.native import FastPath, Unsupported, build_plan, load_native, notices_in
from consumer.native_guard import fingerprint
from consumer.signals.notices import ENUM_VALUE_UNKNOWN, MISSING_EXPECTED_FIELD, Notice
from tests.unit.avro.fakes import Message, frame, settings
from tests.unit.mapping.samples import SAMPLES, sample
from tests.unit.native_cases import (
    BYTES_ID,
    DASH_ID,
    DASHED,
    DATE_ID,
    EXTRA,
    EXTRA_ID,
    IDS,
    NODE_ID,
    OLDER_ID,
    ROOT,
    SCHEMAS,
    SHOP_ID,
    assert_agree,
    counted,
    fast_literal,
    python_literal,
    translator,
)

# --- the samples: always on the fast path, byte for byte ------------------------------------


#: What the samples lack of the fields Connect expects (reference section 9).
COMPLETE = {"ProductViewEvent": {"productUrls": ["https://p.example/1"], "imageUrls": ["i"]}}


@pytest.mark.parametrize("record", sorted(SAMPLES))
def test_samples_take_the_fast_path_and_write_the_same_literal(record: str) -> None:
    """The sample event of every schema gets a native literal identical to the Python one."""
    tr = translator()
    event = sample(record, **COMPLETE.get(record, {}))
    msg = Message(frame(IDS[record], SCHEMAS[record], event), _topic="behavior")
    fast = fast_literal(tr, msg)
    assert fast is not None
    assert fast == python_literal(tr, msg)


@pytest.mark.parametrize(
    "changes",
    [
        {"appKey": "app-own", "test": True, "name": "Cart add", "effect": "negative"},
        {"email": None, "sms": "+4915112345678", "sessionId": None, "attributes": {}},
        {"email": None, "contactKey": "c-1", "attributes": {"eventId": "x", "k": 'v\n"q"'}},
        {"productName": 'Shoe "Trail" \\ 😀 \u2028 \x01', "unitPrice": 1e16, "discount": -0.0},
        {"productUrls": [], "imageUrls": ["a", "null"], "eventTime": 0},
    ],
)
def test_envelope_variants_write_the_same_literal(changes: dict[str, Any]) -> None:
    """App key, test flag, name/effect, other identities, escapes and floats match Python's."""
    tr = translator()
    value = frame(
        IDS["AddToCartEvent"], SCHEMAS["AddToCartEvent"], sample("AddToCartEvent", **changes)
    )
    assert assert_agree(tr, value) is not None


def test_default_effect_of_a_search_follows_its_number_of_results() -> None:
    """onSiteSearch without an effect is negative at 0 results and positive otherwise."""
    tr = translator()
    for results, effect in [(0, "negative"), (3, "positive")]:
        event = sample("OnSiteSearchEvent", numberOfResults=results)
        fast = assert_agree(
            tr, frame(IDS["OnSiteSearchEvent"], SCHEMAS["OnSiteSearchEvent"], event)
        )
        assert fast is not None
        assert f'effect:"{effect}"' in fast


def test_pass_through_fields_of_every_shape_match() -> None:
    """Records, enums, maps, floats and lists with nulls pass through as Python writes them."""
    tr = translator()
    event = sample(
        "AddToCartEvent",
        extraInfo={"note": None, "tags": [], "level": "HI"},
        counts={"a": 1, "b": None},
        ratio=0.1,
        flags=[True, None],
    )
    fast = assert_agree(tr, frame(EXTRA_ID, EXTRA, event))
    assert fast is not None
    assert "extraInfo:{level:" in fast


# --- refusals: the Python path decides --------------------------------------------------------


@pytest.mark.parametrize(
    ("record", "changes", "notice"),
    [
        ("ProductViewEvent", {}, (MISSING_EXPECTED_FIELD, "productView", "productUrls")),
        ("PageViewEvent", {"url": None}, (MISSING_EXPECTED_FIELD, "pageView", "url")),
        ("OrderEvent", {"orderValue": None}, (MISSING_EXPECTED_FIELD, "order", "orderValue")),
        ("OrderEvent", {"orderedItems": []}, (MISSING_EXPECTED_FIELD, "order", "orderedItems")),
    ],
)
def test_signals_connect_may_discard_take_the_fast_path_which_counts_them_as_python_does(
    record: str, changes: dict[str, Any], notice: tuple[Any, str, str]
) -> None:
    """A missing expected field: the Python path's literal, and the same notice counted once."""
    tr = translator()
    msg = Message(frame(IDS[record], SCHEMAS[record], sample(record, **changes)))
    reference, python_notices = counted(tr, lambda: python_literal(tr, msg))
    assert reference is not None
    assert python_notices[Notice(*notice)] == 1
    fast, fast_notices = counted(tr, lambda: tr.fast_path.literal(msg) if tr.fast_path else None)
    assert fast == reference
    assert fast_notices == python_notices


@pytest.mark.parametrize(
    ("value", "known"),
    [("play", True), ("click", True), ("COMPLETE", True), ("scroll", False), ("", None)],
)
def test_values_off_an_open_enumeration_list_are_sent_and_reported(
    value: str, known: bool | None
) -> None:
    """A writer whose interactionType is a string: off-list values are reported, "" refused."""
    # our schemas keep it an Avro enum, so this writer is planned by hand (no reader schema)
    variant = copy.deepcopy(SCHEMAS["RichMediaInteractionEvent"])
    for field in variant["fields"]:
        if field["name"] == "interactionType":
            field["type"] = ["null", "string"]
    base = translator()._decoder._plan(IDS["RichMediaInteractionEvent"])
    plan = dataclasses.replace(base, writer=fastavro.parse_schema(variant), reader=None)
    native = load_native(settings())
    assert native is not None
    fast = native.FastPath()
    native_plan = build_plan(plan, settings())
    fast.add_plan(90, orjson.dumps(native_plan).decode())
    event = sample("RichMediaInteractionEvent", interactionType=value)
    out = fast.literal(frame(90, variant, event), "app")
    if known is None:  # the Python rules refuse an empty open-enum value
        assert out is None
        return
    literal, mask = out
    assert f'interactionType:"{value}"' in literal
    table = notices_in(native_plan)
    found = {n for i, n in enumerate(table) if mask >> i & 1}
    off_list = Notice(ENUM_VALUE_UNKNOWN, native_plan["signal_type"], "interactionType")
    assert found == (set() if known else {off_list})


@pytest.mark.parametrize(
    "changes",
    [
        {"email": None},
        {"email": "not-an-email"},
        {"email": "jane@example.com", "contactKey": "c-1"},
        {"currency": "EURO"},
        {"eventId": ""},
        {"productName": ""},
        {"attributes": {"campaign": ""}, "name": "x" * 257},
        {"unitPrice": float("nan")},
        {"sms": "+0151", "email": None},
    ],
)
def test_events_the_python_path_refuses_are_left_to_it(changes: dict[str, Any]) -> None:
    """Every event the Python path refuses gets None from the native side."""
    tr = translator()
    value = frame(
        IDS["AddToCartEvent"], SCHEMAS["AddToCartEvent"], sample("AddToCartEvent", **changes)
    )
    msg = Message(value)
    assert python_literal(tr, msg) is None
    assert fast_literal(tr, msg) is None


@pytest.mark.parametrize("utm", ["newsletter", None])
def test_a_field_name_that_is_not_a_graphql_name_is_left_to_the_python_path(
    utm: str | None,
) -> None:
    """A schema with a pass-through field named ``utm-source`` is not planned: Python decides."""
    tr = translator()
    msg = Message(frame(DASH_ID, DASHED, sample("PageViewEvent", **{"utm-source": utm})))
    if utm is not None:
        assert python_literal(tr, msg) is None  # not a GraphQL name: dead-lettered
    assert fast_literal(tr, msg) is None
    with pytest.raises(Unsupported, match="not a GraphQL name"):
        build_plan(tr._decoder._plan(DASH_ID), settings())


def test_malformed_frames_are_left_to_the_python_path() -> None:
    """Truncated bodies, trailing bytes, unknown ids and unframed values get None."""
    tr = translator()
    good = frame(IDS["PageViewEvent"], SCHEMAS["PageViewEvent"], sample("PageViewEvent"))
    assert fast_literal(tr, Message(good)) is not None
    for bad in [good[:-3], good + b"\x00", good[:1] + (999).to_bytes(4, "big") + good[5:], b"{}"]:
        assert fast_literal(tr, Message(bad)) is None


@pytest.mark.parametrize(
    ("schema_id", "reason"),
    [
        (OLDER_ID, "resolved to our reader schema"),
        (NODE_ID, "recursive"),
        (BYTES_ID, "type 'bytes'"),
        (DATE_ID, "logical type 'date'"),
    ],
)
def test_schemas_it_cannot_read_exactly_stay_on_python(schema_id: int, reason: str) -> None:
    """Resolution, recursion, bytes and logical types other than eventTime's are not planned."""
    decoder_plan = translator()._decoder._plan(schema_id)  # fetched from the stub, planned
    with pytest.raises(Unsupported, match=reason):
        build_plan(decoder_plan, settings())


def test_a_type_outside_the_tier_and_custom_mappings_stay_on_python() -> None:
    """Types the tier cannot import and records with a custom mapping are not planned."""
    tr = translator()
    cart = tr._decoder._plan(IDS["AddToCartEvent"])
    with pytest.raises(Unsupported, match="not entitled"):
        build_plan(tr._decoder._plan(IDS["ProductViewEvent"]), settings(tier="pro"))
    assert build_plan(cart, settings(tier="pro"))["signal_type"] == "addToCart"
    shop = tr._decoder._plan(SHOP_ID)  # the example ShopEvent, mapped by examples/mappings
    custom = load_mappings([str(ROOT / "examples" / "mappings")])
    with pytest.raises(Unsupported, match="custom mapping"):
        build_plan(shop, settings(), custom)


def test_the_extension_mirrors_the_current_rules() -> None:
    """The installed extension was built against today's Python rules (else: rebuild native/)."""
    native = load_native(settings())
    assert native is not None
    assert fingerprint() == native.RULES_FINGERPRINT


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"fingerprint": "sha256:other"}, "fingerprint"),
        ({"surprise": 1}, "unknown field"),
        ({"category": None}, "not a fast-path plan"),
        ({"content_tail": [["timestamp", "signalTimestamp"]]}, "fixed content keys"),
        ({"attribute_keys": ["name", "a-b"]}, "not a GraphQL name"),
    ],
)
def test_plans_the_extension_cannot_run_exactly_are_refused(
    change: dict[str, Any], reason: str
) -> None:
    """Another fingerprint, an unknown plan key or a broken shape: add_plan raises ValueError."""
    plan = build_plan(translator()._decoder._plan(IDS["PageViewEvent"]), settings())
    native = load_native(settings())
    assert native is not None
    with pytest.raises(ValueError, match=reason):
        native.FastPath().add_plan(1, orjson.dumps({**plan, **change}).decode())


def test_fast_path_setting() -> None:
    """``off`` keeps to Python; ``native`` without the package stops with the setting's name."""
    assert load_native(settings(fast_path="off")) is None
    assert load_native(settings(fast_path="auto")) is not None  # make test installs it
    assert isinstance(translator().fast_path, FastPath)


def test_native_setting_without_the_package_names_the_setting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """SIGNALS_FAST_PATH=native without signals-native raises a ConfigurationError naming it."""

    def missing(name: str) -> Any:
        raise ImportError(name)

    monkeypatch.setattr("consumer.native.importlib.import_module", missing)
    assert load_native(settings(fast_path="auto")) is None
    with pytest.raises(ConfigurationError, match="SIGNALS_FAST_PATH") as info:
        load_native(settings(fast_path="native"))
    assert info.value.setting == "SIGNALS_FAST_PATH"

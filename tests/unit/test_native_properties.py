"""Generated events and corrupted frames: the native fast path never disagrees with Python.

The contract and the cases are those of tests/unit/test_native.py (tests/unit/native_cases.py).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from hypothesis import HealthCheck, given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st

from tests.unit.avro.fakes import frame
from tests.unit.mapping.samples import SAMPLES, sample
from tests.unit.native_cases import EXTRA, EXTRA_ID, IDS, SCHEMAS, assert_agree, translator

PROPERTY = hyp_settings(
    max_examples=400,
    deadline=timedelta(milliseconds=500),
    suppress_health_check=[HealthCheck.too_slow],
)


_SPECIAL = st.sampled_from(
    [
        *("", "null", ":x", 'a"b', "a\\b", "\x00\x1f", "é", "😀", "a@b.co", "+4915112345678"),
        *("EUR", "2025-05-01T10:00:00.000Z", "2025-02-30T10:00:00Z", "positive", "Behavior", "  "),
    ]
)
_TEXT = st.one_of(_SPECIAL, st.text(st.characters(exclude_categories=["Cs"]), max_size=12))


def _strategy(schema: Any, named: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Values of an Avro type, edge cases included (no NaN: fastavro writes it, both refuse)."""
    if isinstance(schema, list):
        return st.one_of(*(_strategy(branch, named) for branch in schema))
    if isinstance(schema, str):
        simple: dict[str, st.SearchStrategy[Any]] = {
            "null": st.none(),
            "boolean": st.booleans(),
            "int": st.one_of(st.sampled_from([0, 1, -1]), st.integers(-(2**31), 2**31 - 1)),
            "long": st.one_of(st.sampled_from([0, -1]), st.integers(-(2**63), 2**63 - 1)),
            "float": st.floats(width=32, allow_nan=False),
            "double": st.one_of(st.sampled_from([0.0, -0.0, 1e16]), st.floats(allow_nan=False)),
            "string": _TEXT,
        }
        return simple[schema] if schema in simple else named[schema]
    kind = schema["type"]
    if schema.get("logicalType") == "timestamp-millis":
        edges = [-30_610_224_000_001, -30_610_224_000_000, -62_135_596_800_000, -1, 0]
        edges += [951_782_400_000, 253_402_300_799_999, 253_402_300_800_000]
        return st.one_of(st.sampled_from(edges), st.integers(-(2**45), 2**48))
    if kind == "record":
        fields = {f["name"]: _strategy(f["type"], named) for f in schema["fields"]}
        named[schema["name"]] = out = st.fixed_dictionaries(fields)
        return out
    if kind == "enum":
        return st.sampled_from(schema["symbols"])
    if kind == "array":
        return st.lists(_strategy(schema["items"], named), max_size=3)
    if kind == "map":
        keys = st.one_of(st.sampled_from(["eventId", "a", "b-c", "_x"]), _TEXT)
        return st.dictionaries(keys, _strategy(schema["values"], named), max_size=3)
    return _strategy(kind, named)


@st.composite
def events(draw: st.DrawFn) -> tuple[int, dict[str, Any], dict[str, Any]]:
    """A schema id, its schema and an event: the sample with up to three fields set to any value."""
    schema_id, schema, base = draw(
        st.sampled_from(
            [(IDS[r], SCHEMAS[r], sample(r)) for r in sorted(SAMPLES)]
            + [
                (
                    EXTRA_ID,
                    EXTRA,
                    sample("AddToCartEvent", extraInfo=None, counts={}, ratio=1.5, flags=[]),
                )
            ]
        )
    )
    names = [field["name"] for field in schema["fields"]]
    changed = draw(st.sets(st.sampled_from(names), max_size=3))
    named: dict[str, Any] = {}
    event = {}
    for field in schema["fields"]:
        anything = _strategy(field["type"], named)  # also registers named types in order
        name = field["name"]
        event[name] = draw(anything) if name in changed or name not in base else base[name]
    return schema_id, schema, event


@PROPERTY
@given(events())
def test_native_never_disagrees_with_python(
    case: tuple[int, dict[str, Any], dict[str, Any]],
) -> None:
    """For generated events of every schema, a native literal has the Python path's values."""
    schema_id, schema, event = case
    assert_agree(translator(), frame(schema_id, schema, event))


@PROPERTY
@given(st.sampled_from(sorted(SAMPLES)), st.data())
def test_corrupted_frames_never_disagree(record: str, data: st.DataObject) -> None:
    """Bit flips and truncations of valid frames give None or the Python path's values."""
    value = bytearray(frame(IDS[record], SCHEMAS[record], sample(record)))
    for _ in range(data.draw(st.integers(1, 3))):
        at = data.draw(st.integers(5, len(value) - 1))
        value[at] ^= 1 << data.draw(st.integers(0, 7))
    cut = data.draw(st.integers(5, len(value)))
    assert_agree(translator(), bytes(value[:cut]))

"""Property tests: valid events map to valid signals; a broken required field is named."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from consumer.config import Settings
from consumer.errors import PermanentError
from consumer.mapping import DecodedEvent, Mapper
from consumer.mapping.tables import EVENT_NAMESPACE, EVENT_TABLES
from consumer.signals.catalog import SIGNAL_TYPES, Kind
from consumer.signals.rules import validate_input, validate_signal
from tests.unit.mapping.samples import SAMPLES, sample

MAPPER = Mapper(Settings(default_app_key="app-default"))
RECORDS = sorted(SAMPLES)
TEXT = st.text(min_size=1, max_size=40)
_KIND_VALUES: dict[Kind, st.SearchStrategy[Any]] = {
    Kind.STRING: TEXT,
    Kind.NUMBER: st.floats(min_value=0, max_value=1e9, allow_nan=False),
    Kind.INTEGER: st.integers(min_value=0, max_value=2**31 - 1),
    Kind.BOOLEAN: st.booleans(),
    Kind.ISO_CURRENCY: st.sampled_from(["EUR", "USD", "GBP", "JPY"]),
    Kind.STRING_LIST: st.lists(TEXT, max_size=3),
}
IDENTITIES = st.one_of(
    st.builds(lambda k: {"contactKey": k}, TEXT),
    st.builds(
        lambda u: {"email": f"{u}@example.com"},
        st.from_regex(r"[a-z0-9.]{1,20}", fullmatch=True).filter(
            lambda s: not s.startswith(".") and ".." not in s and not s.endswith(".")
        ),
    ),
    st.builds(lambda n: {"sms": f"+{n}"}, st.integers(min_value=10**7, max_value=10**14)),
    st.builds(lambda n: {"whatsapp": f"+{n}"}, st.integers(min_value=10**7, max_value=10**14)),
)


@st.composite
def events(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    """A valid event of a random record with randomised simple fields and identity."""
    record = draw(st.sampled_from(RECORDS))
    table = next(t for t in EVENT_TABLES if t.record == record)
    spec = SIGNAL_TYPES[table.signal_type]
    data = sample(record, **{"email": None, **draw(IDENTITIES)})
    for fmap in table.fields:
        field_spec = spec.by_name.get(fmap.target)
        if field_spec is not None and field_spec.kind in _KIND_VALUES:
            strategy = _KIND_VALUES[field_spec.kind]
            if not fmap.required:
                strategy = st.none() | strategy
            data[fmap.source] = draw(strategy)
    data["eventId"] = draw(TEXT)
    data["eventTime"] = draw(st.integers(min_value=0, max_value=4_102_444_800_000))
    data["attributes"] = draw(st.dictionaries(TEXT, st.text(max_size=10), max_size=3))
    data["name"] = draw(st.none() | st.text(min_size=1, max_size=256))
    return record, data


@settings(max_examples=300, deadline=None)
@given(events())
def test_valid_events_map_to_valid_signals(case: tuple[str, dict[str, Any]]) -> None:
    """Every valid generated event maps to a signal that validate_input accepts."""
    record, data = case
    signal = MAPPER.map(DecodedEvent(1, f"{EVENT_NAMESPACE}.{record}", None, data), topic="t")
    assert validate_input(signal.as_input(), tier="ultimate") == []


def _map_and_validate(event: DecodedEvent) -> None:
    validate_signal(MAPPER.map(event, topic="t"), tier="ultimate")


_REQUIRED = [(t.record, f.source) for t in EVENT_TABLES for f in t.fields if f.required]
_REQUIRED += [(r, name) for r in RECORDS for name in ("eventId", "eventTime")]
_BROKEN = st.sampled_from([None, {"a": 1}, [1, 2], {}])  # wrong for every scalar kind


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(_REQUIRED), _BROKEN)
def test_broken_required_field_is_named(target: tuple[str, str], broken: Any) -> None:
    """An event with a broken required field yields a permanent error naming that field."""
    record, field = target
    data = sample(record, **{field: broken})
    event = DecodedEvent(1, f"{EVENT_NAMESPACE}.{record}", None, data)
    with pytest.raises(PermanentError) as err:
        _map_and_validate(event)
    assert err.value.field is not None
    assert err.value.field.split(".")[-1].startswith(field)

"""Error texts stay bounded whatever an event holds (issue 14, item 2)."""

from __future__ import annotations

import pytest

from consumer.errors import MappingError, PermanentError, SignalValidationError
from consumer.signals.graphql_literal import encode_input, encode_value
from consumer.signals.model import Signal
from consumer.signals.rules import validate_signal
from consumer.text import ERROR_TEXT_MAX

HUGE_KEY = "k" * 200_000 + "-"


def test_a_huge_map_key_gives_a_short_literal_error() -> None:
    """A 200 kB map key that is not a GraphQL name is named by an excerpt, not in full."""
    with pytest.raises(ValueError, match="is not a GraphQL name") as caught:
        encode_value({HUGE_KEY: 1})
    assert len(str(caught.value)) <= 300
    with pytest.raises(ValueError, match="200001 characters") as caught:
        encode_input({"signalContent": {HUGE_KEY: "x"}})
    assert len(str(caught.value)) <= 300


def test_many_violations_give_a_bounded_validation_error() -> None:
    """20,000 broken list items make one SignalValidationError of at most ERROR_TEXT_MAX."""
    items = [{"name": 1, "value": 2}] * 20_000
    signal = Signal(
        "app",
        "contactKey",
        "c-1",
        {"signalType": "addToCart", "signalCustomAttributes": items},
    )
    with pytest.raises(SignalValidationError) as caught:
        validate_signal(signal, tier="ultimate")
    assert len(str(caught.value)) <= ERROR_TEXT_MAX + 40
    assert len(caught.value.reason) <= ERROR_TEXT_MAX + 40


@pytest.mark.parametrize("cls", [PermanentError, MappingError, SignalValidationError])
def test_every_permanent_error_bounds_its_message(cls: type[PermanentError]) -> None:
    """Whatever text a permanent failure is built with, it carries at most ERROR_TEXT_MAX."""
    err = cls("no signal type for value " + repr("v" * 1_000_000))
    assert len(str(err)) <= ERROR_TEXT_MAX + 40
    assert str(err).startswith("no signal type for value 'vvv")
    assert err.reason == str(err)

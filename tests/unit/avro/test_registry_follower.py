"""A registry follower that does not know a just-registered schema yet (issue 14, item 15).

Confluent followers serve schemas from their copy of the ``_schemas`` topic: right after a
producer registered a schema, a follower can answer 404/40403 for it. The id is asked for again
over ``SIGNALS_SCHEMA_NOT_FOUND_RETRY_S`` (retryable) before it is unknown (dead-lettered).
"""

from __future__ import annotations

import pytest

from consumer.errors import RegistryUnavailable, UnknownSchemaError

from .fakes import Clock, RegistryStub, our_schemas, settings

CART = our_schemas()["AddToCartEvent"]


def test_a_schema_the_follower_learns_within_the_window_is_fetched() -> None:
    """40403 for a new id is retryable at first; once the follower has it, it is returned."""
    clock = Clock()
    stub = RegistryStub({})
    registry = stub.registry(settings(schema_not_found_retry_s=5), clock=clock)
    with pytest.raises(RegistryUnavailable) as first:
        registry.get(9)
    assert first.value.retry_after_s is not None
    assert 0 < first.value.retry_after_s <= 1.0
    clock.now += 2
    with pytest.raises(RegistryUnavailable):
        registry.get(9)
    stub.schemas[9] = CART  # the follower caught up
    clock.now += 1
    assert registry.get(9).schema_id == 9
    assert stub.calls == ["/schemas/ids/9"] * 3


def test_an_id_still_missing_after_the_window_is_unknown_and_remembered() -> None:
    """After the window the id is unknown (permanent) and negative-cached as before."""
    clock = Clock()
    stub = RegistryStub({})
    registry = stub.registry(
        settings(schema_not_found_retry_s=5, schema_negative_cache_s=60), clock=clock
    )
    with pytest.raises(RegistryUnavailable):
        registry.get(9)
    clock.now += 5
    with pytest.raises(UnknownSchemaError):
        registry.get(9)
    clock.now += 30
    with pytest.raises(UnknownSchemaError):
        registry.get(9)
    assert stub.calls == ["/schemas/ids/9"] * 2


def test_a_zero_window_makes_a_missing_id_unknown_at_once() -> None:
    """schema_not_found_retry_s=0: the first 40403 is permanent (the old behaviour)."""
    stub = RegistryStub({})
    with pytest.raises(UnknownSchemaError):
        stub.registry(settings(schema_not_found_retry_s=0)).get(9)

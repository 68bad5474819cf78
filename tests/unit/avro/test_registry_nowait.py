"""Schema fetches off the poll thread: ``get(schema_id, wait=False)`` never waits on the network.

The registry here is an httpx.MockTransport stub that does not answer until the test lets it
(a registry that accepts connections and never answers); no timed assertion: the stub holds its
answer until released, so a call that waited for it could not return before the release.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from consumer.avro.registry import SchemaRegistry, WriterSchema
from consumer.errors import RegistryUnavailable, SchemaPending, UnknownSchemaError

from .fakes import RegistryStub, our_schemas

CART = our_schemas()["AddToCartEvent"]


@dataclass
class HangingStub(RegistryStub):
    """Answers nothing until ``release`` is set (then as the stub; at most 10 s)."""

    release: threading.Event = field(default_factory=threading.Event)
    answered: threading.Event = field(default_factory=threading.Event)

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.release.wait(10)
        try:
            return super().handle(request)
        finally:
            self.answered.set()


def settle(registry: SchemaRegistry, schema_id: int) -> WriterSchema | Exception:
    """Ask without waiting until the background fetch has ended; its schema or its error."""
    for _ in range(1000):
        try:
            return registry.get(schema_id, wait=False)
        except SchemaPending:
            threading.Event().wait(0.01)
        except Exception as exc:
            return exc
    raise AssertionError("the background fetch never ended")


def test_a_registry_that_does_not_answer_leaves_the_caller_free() -> None:
    """Without waiting, a schema not cached is SchemaPending at once (retryable, with a
    readiness check); once the registry answers it is returned, fetched only once."""
    stub = HangingStub({7: CART})
    registry = stub.registry()
    with pytest.raises(SchemaPending) as first:
        registry.get(7, wait=False)
    assert isinstance(first.value, RegistryUnavailable)
    assert first.value.schema_id == 7
    assert not stub.answered.is_set()
    assert not first.value.ready()
    with pytest.raises(SchemaPending):
        registry.get(7, wait=False)  # the same fetch, not a second one
    stub.release.set()
    found = settle(registry, 7)
    assert isinstance(found, WriterSchema)
    assert first.value.ready()
    assert stub.calls == ["/schemas/ids/7"]
    assert registry.get(7, wait=False) is found
    registry.close()


def test_an_unknown_id_in_the_negative_cache_is_answered_without_a_fetch() -> None:
    """What the caches know (an id the registry does not have) is answered on the spot."""
    stub = HangingStub({})
    stub.release.set()
    registry = stub.registry()
    assert isinstance(settle(registry, 9), UnknownSchemaError)
    with pytest.raises(UnknownSchemaError):
        registry.get(9, wait=False)
    assert stub.calls == ["/schemas/ids/9"]
    registry.close()


def test_a_failed_background_fetch_is_reported_once_then_tried_again() -> None:
    """A 503 from the background fetch surfaces as RegistryUnavailable; the next call fetches
    again (the outage is not cached)."""
    stub = HangingStub({7: CART}, status=503)
    stub.release.set()
    registry = stub.registry()
    outcome: Any = settle(registry, 7)
    assert type(outcome) is RegistryUnavailable
    stub.status = None
    assert isinstance(settle(registry, 7), WriterSchema)
    assert len(stub.calls) == 2
    registry.close()


def test_subjects_are_fetched_in_the_background_too() -> None:
    """Without waiting, a schema's subjects (asked when custom mappings match by subject) are
    SchemaPending until the registry answers, then returned and cached."""
    stub = HangingStub({7: CART}, subjects={7: ["events-value"]})
    registry = stub.registry()
    with pytest.raises(SchemaPending):
        registry.subjects(7, wait=False)
    assert not stub.answered.is_set()
    stub.release.set()
    for _ in range(1000):
        try:
            found = registry.subjects(7, wait=False)
            break
        except SchemaPending:
            threading.Event().wait(0.01)
    assert found == ("events-value",)
    assert registry.subjects(7, wait=False) == ("events-value",)
    assert stub.calls == ["/schemas/ids/7/subjects"]
    registry.close()

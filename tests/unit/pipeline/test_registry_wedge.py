"""The engine with a real Translator over a schema registry that does not answer: the records
of partitions whose schema is not cached pause those partitions, and none of them holds the
caller; they resume (sought back) when the schema arrives.

No timed assertion: the registry stub holds its answer until the test releases it, so an
``on_message`` that waited for it could not return first. On the real broker:
tests/integration/test_pipeline_wedge.py.
"""

from __future__ import annotations

import threading

from consumer.mapping.custom import CustomMappings
from consumer.translate import Translator
from tests.unit.avro.fakes import frame, our_schemas
from tests.unit.avro.fakes import settings as avro_settings
from tests.unit.avro.test_registry_nowait import HangingStub
from tests.unit.mapping.samples import sample

from .fakes import Clock, FakeMessage, ScriptedSender, make_engine

CART = our_schemas()["AddToCartEvent"]
TPS = [("t", p) for p in range(4)]


def cart(tp: tuple[str, int], offset: int) -> FakeMessage:
    """A framed AddToCartEvent (schema id 7) at ``tp``/``offset``."""
    return FakeMessage(tp[0], tp[1], offset, frame(7, CART, sample("AddToCartEvent")))


def test_partitions_waiting_for_a_schema_pause_without_holding_the_loop() -> None:
    """Records of four partitions with an uncached schema: each on_message returns while the
    registry has not answered, the four partitions are paused; when the schema arrives they are
    sought back and resumed, and their records are delivered and committed."""
    stub = HangingStub({7: CART})
    translator = Translator(
        avro_settings(), registry=stub.registry(), custom=CustomMappings(), wait_for_registry=False
    )
    clock = Clock()
    sender = ScriptedSender()
    engine, calls = make_engine(sender, clock=clock, translate=translator.translate)
    engine.on_assign(TPS)
    for tp in TPS:
        assert engine.on_message(cart(tp, 0)) is False  # handed back: sought back to it later
    assert not stub.answered.is_set()  # every call above returned before the registry answered
    assert engine.pauses.paused() == set(TPS)
    stub.release.set()
    for _ in range(1000):  # the fetch ends on its own thread; no time moves on the engine clock
        engine.run_due()
        if not engine.awaiting:
            break
        threading.Event().wait(0.01)
    assert engine.awaiting == {}
    assert all(("seek:0", [tp]) in calls for tp in TPS)
    assert engine.pauses.paused() == set()
    for tp in TPS:
        assert engine.on_message(cart(tp, 0))
    engine.dispatch()
    engine.handle_outcomes(timeout_s=2.0)
    assert engine.tracker.commit_positions() == dict.fromkeys(TPS, 1)
    assert stub.calls == ["/schemas/ids/7"]
    translator.close()

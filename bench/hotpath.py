"""In-process cost of the consumer's per-event path, stage by stage (no Kafka, no HTTP).

Uses the benchmark's serialized events (:mod:`bench.workload`, schemas registered in the local
registry) wrapped in message objects with confluent-kafka's ``Message`` API, and times, in
microseconds of this process's CPU per event:

* ``fastavro`` - ``fastavro.schemaless_reader`` on the body alone (the decode floor);
* ``decode`` - :class:`consumer.avro.Decoder` (framing, plan look-up, fastavro, checks);
* ``translate`` - decode + map + validate (:class:`consumer.translate.Translator`);
* ``map``, ``validate``, ``encode`` (only) - each step alone, on already decoded events,
  mapped signals and their input objects;
* ``translate+encode`` - plus the GraphQL literal (``encode_input``);
* ``engine`` - :meth:`Engine.on_message` and ``step()`` with a send function that accepts at
  once: tracking, metrics, batching, outcomes, everything but librdkafka and the HTTP call;
* ``native (fast path only)`` - :class:`consumer.native.FastPath` alone: value -> literal in
  Rust (``signals-native``; both native stages are left out when it is not installed);
* ``engine + native`` - the engine stage with the fast path tried first, as ``run`` does.

``python bench/hotpath.py`` prints the table; ``--profile`` also writes a pyinstrument profile
of the engine stage (with the fast path when installed) to ``bench/out/hotpath-profile.txt``
(and ``.html``).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import fastavro  # noqa: E402
from pydantic import SecretStr  # noqa: E402

from bench.workload import Template, build_templates  # noqa: E402
from consumer.config import Settings  # noqa: E402
from consumer.pipeline.engine import Engine  # noqa: E402
from consumer.signals.graphql_literal import encode_input  # noqa: E402
from consumer.types import KafkaMessage  # noqa: E402

__all__ = [
    "BenchMessage",
    "NoProducer",
    "build_engine",
    "drive",
    "main",
    "measure_stages",
    "messages",
    "settings_for",
]

OUT = ROOT / "bench" / "out"


@dataclass(slots=True)
class BenchMessage:
    """A consumed record with confluent-kafka's ``Message`` accessors."""

    _topic: str
    _partition: int
    _offset: int
    _value: bytes
    _key: bytes
    _timestamp: tuple[int, int]

    def topic(self) -> str:
        return self._topic

    def partition(self) -> int:
        return self._partition

    def offset(self) -> int:
        return self._offset

    def key(self) -> bytes:
        return self._key

    def value(self) -> bytes:
        return self._value

    def headers(self) -> None:
        return None

    def timestamp(self) -> tuple[int, int]:
        return self._timestamp

    def error(self) -> None:
        return None


def messages(
    templates: Sequence[Template], count: int, topic: str, partitions: int = 16
) -> list[BenchMessage]:
    """``count`` unique messages spread over ``partitions`` (offsets ascending per partition)."""
    now_ms = int(time.time() * 1000)
    out = []
    for n in range(count):
        value = templates[n % len(templates)].render(n, now_ms)
        out.append(
            BenchMessage(topic, n % partitions, n // partitions, value, b"k%d" % n, (1, now_ms))
        )
    return out


def settings_for(registry_url: str, topic: str) -> Settings:
    """The benchmark's consumer settings (premium tier, a default app key, no metrics port)."""
    return Settings(
        topics=[topic],
        connect_api_key=SecretStr("bench"),
        default_app_key="bench-app",
        schema_registry_url=registry_url,
        metrics_port=0,
        tier="premium",
    )


def _cpu_us(fn: Callable[[], Any], events: int) -> float:
    started = time.process_time()
    fn()
    return (time.process_time() - started) / events * 1e6


def _accept(literals: Sequence[str]) -> list[str]:
    return ["id"] * len(literals)


def build_engine(
    settings: Settings,
    translate: Callable[[KafkaMessage], Any],
    *,
    fast: Callable[[KafkaMessage], str | None] | None = None,
    send: Callable[[Sequence[str]], list[str]] = _accept,
    partitions: int = 16,
) -> Engine:
    """An engine on no Kafka (pauses and seeks do nothing) with ``partitions`` assigned."""
    engine = Engine(
        settings,
        translate=translate,
        encode=encode_input,
        send=send,
        dlq_producer=NoProducer(),
        pause=lambda tps: None,
        resume=lambda tps: None,
        seek=lambda tp, offset: True,
        delay=lambda attempt, after: 0.1,
        fast=fast,
    )
    engine.on_assign([(settings.topics[0], p) for p in range(partitions)])
    engine.joined = True
    return engine


def drive(engine: Engine, msgs: Sequence[KafkaMessage]) -> None:
    """Every message through ``on_message`` (a ``step()`` each 500), then drain until settled."""
    for i, msg in enumerate(msgs):
        engine.on_message(msg)
        if i % 500 == 499:
            engine.step()
    engine.start_drain()
    while not engine.settled():
        engine.handle_outcomes(timeout_s=0.005)
        engine.dispatch()
    engine.pool.shutdown()


class NoProducer:
    """A dead-letter producer for runs where nothing may be dead-lettered."""

    def produce(self, *args: Any, **kwargs: Any) -> None:
        raise AssertionError("nothing is dead-lettered in the hot-path benchmark")

    def poll(self, timeout: float = 0) -> int:
        return 0

    def flush(self, timeout: float = 0) -> int:
        return 0


def measure_stages(
    registry_url: str, count: int, *, profile: bool = False, repeat: int = 3
) -> dict[str, float]:
    """us/event of each stage (best of ``repeat``); the engine stage profiled when asked."""
    from consumer.avro.decoder import Decoder
    from consumer.translate import Translator

    topic = f"bench-hotpath-{uuid.uuid4().hex[:6]}"
    templates = build_templates(registry_url, topic)
    msgs = messages(templates, count, topic)
    settings = settings_for(registry_url, topic)
    decoder = Decoder(settings, resolve_subjects=False)
    translator = Translator(settings)
    for msg in msgs[: len(templates)]:  # plans, caches
        translator.translate(msg)
        decoder.decode(msg)
    plans = {
        int.from_bytes(t.value[1:5], "big"): decoder._plans[int.from_bytes(t.value[1:5], "big")]
        for t in templates
    }
    bodies = [
        (BytesIO(m.value()[5:]), plans[int.from_bytes(m.value()[1:5], "big")].writer) for m in msgs
    ]

    def floor() -> None:
        read = fastavro.schemaless_reader
        for buf, writer in bodies:
            buf.seek(0)
            read(buf, writer, None)

    def decode() -> None:
        for msg in msgs:
            decoder.decode(msg)

    from consumer.mapping.custom import CustomMappings
    from consumer.mapping.mapper import Mapper
    from consumer.signals.rules import validate_signal

    mapper = Mapper(settings, custom=CustomMappings())
    events = [decoder.decode(msg) for msg in msgs]
    signals = [mapper.map(event, topic=topic) for event in events]
    inputs = [signal.as_input() for signal in signals]

    def map_only() -> None:
        for event in events:
            mapper.map(event, topic=topic)

    def validate_only() -> None:
        for signal in signals:
            validate_signal(signal, tier="premium")

    def encode_only() -> None:
        for signal_input in inputs:
            encode_input(signal_input)

    def translate() -> None:
        for msg in msgs:
            translator.translate(msg)

    def translate_encode() -> None:
        for msg in msgs:
            encode_input(translator.translate(msg).as_input())

    fast = translator.fast_path.literal if translator.fast_path is not None else None
    if fast is not None:
        for msg in msgs[: len(templates)]:  # plans the schemas on the native side
            fast(msg)

    def native() -> None:
        assert fast is not None
        for msg in msgs:
            fast(msg)

    def engine_run() -> None:
        drive(build_engine(settings, translator.translate), msgs)

    def engine_native() -> None:
        drive(build_engine(settings, translator.translate, fast=fast), msgs)

    stages = {
        "fastavro": floor,
        "decode": decode,
        "map (only)": map_only,
        "validate (only)": validate_only,
        "encode (only)": encode_only,
        "translate": translate,
        "translate+encode": translate_encode,
        "engine": engine_run,
        "native (fast path only)": native,
        "engine + native": engine_native,
    }
    if fast is None:  # signals-native is not installed
        del stages["native (fast path only)"], stages["engine + native"]
    results = {name: min(_cpu_us(fn, count) for _ in range(repeat)) for name, fn in stages.items()}
    if profile:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.0002)
        profiler.start()
        (engine_native if fast is not None else engine_run)()
        profiler.stop()
        OUT.mkdir(parents=True, exist_ok=True)
        (OUT / "hotpath-profile.txt").write_text(profiler.output_text(unicode=True, color=False))
        (OUT / "hotpath-profile.html").write_text(profiler.output_html())
    translator.close()
    decoder.close()
    return results


def main(argv: Sequence[str] | None = None) -> int:
    """Print the per-stage table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--events", type=int, default=int(os.environ.get("HOTPATH_EVENTS", "50000"))
    )
    parser.add_argument("--profile", action="store_true")
    parser.add_argument(
        "--registry", default=os.environ.get("SCHEMA_REGISTRY_URL", "http://localhost:8081")
    )
    args = parser.parse_args(argv)
    from consumer.logs import configure_logging

    configure_logging("warning", "console")
    results = measure_stages(args.registry, args.events, profile=args.profile)
    print(f"{'stage':<20} us/event (CPU, best of 3, {args.events:,} events)")
    for name, value in results.items():
        print(f"{name:<20} {value:8.2f}")
    if args.profile:
        print(f"profile: {(OUT / 'hotpath-profile.txt').relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

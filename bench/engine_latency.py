"""The engine alone against a slow API: events/s with ``send`` sleeping, no Kafka, no sandbox.

Every message is handed to :meth:`Engine.on_message` up front (64 partitions, the benchmark's
events through the fast path when installed), and ``send`` sleeps ``--latency-ms`` per mutation
in the engine's worker threads. The result is what batching, per-partition ordering and the
in-flight limit allow by themselves, to compare with (e) of ``make bench``, where the sandbox
answers the requests. ``python bench/engine_latency.py [--events N] [--in-flight K]``.
"""

from __future__ import annotations

import argparse
import sys
import time
import uuid
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.hotpath import build_engine, drive, messages, settings_for  # noqa: E402
from bench.workload import build_templates  # noqa: E402
from consumer.translate import Translator  # noqa: E402
from dev import stack as devstack  # noqa: E402

__all__ = ["main", "run"]


def run(registry_url: str, events: int, in_flight: int, latency_s: float) -> float:
    """Events/s (wall) through the engine with a send that takes ``latency_s``."""
    topic = f"bench-latency-{uuid.uuid4().hex[:6]}"
    msgs = messages(build_templates(registry_url, topic), events, topic, partitions=64)
    settings = settings_for(registry_url, topic).model_copy(
        update={"max_in_flight_mutations": in_flight}
    )
    translator = Translator(settings)

    def send(literals: Sequence[str]) -> list[str]:
        time.sleep(latency_s)
        return ["id"] * len(literals)

    fast = translator.fast_path.literal if translator.fast_path is not None else None
    engine = build_engine(settings, translator.translate, fast=fast, send=send, partitions=64)
    started = time.monotonic()
    drive(engine, msgs)
    elapsed = time.monotonic() - started
    translator.close()
    return events / elapsed


def main(argv: Sequence[str] | None = None) -> int:
    """Print events/s for the given latency and in-flight limit."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--in-flight", type=int, default=16)
    parser.add_argument("--latency-ms", type=float, default=200.0)
    args = parser.parse_args(argv)
    rate = run(devstack.registry_url(), args.events, args.in_flight, args.latency_ms / 1000)
    ideal = 500 * args.in_flight / (args.latency_ms / 1000)
    print(
        f"engine, {args.in_flight} in flight, {args.latency_ms:.0f} ms per mutation: "
        f"{rate:,.0f} events/s (ideal {ideal:,.0f})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

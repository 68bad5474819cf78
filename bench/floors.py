"""Floor (f): librdkafka consume-only CPU per event, in a process of its own.

``python bench/floors.py --topic T --count N`` assigns every partition of ``T`` from the
beginning with the consumer's own librdkafka settings
(:func:`consumer.kafka_config.consumer_config`) and calls ``Consumer.consume(500)`` until
``N`` messages arrived, touching each value as the pipeline does. It prints one JSON line:
the CPU seconds of the whole process (librdkafka's threads included) from the first message
to the last, and the count. The fastavro decode floor is measured in-process by
:mod:`bench.hotpath`.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition  # noqa: E402
from pydantic import SecretStr  # noqa: E402

from consumer.config import Settings  # noqa: E402
from consumer.kafka_config import consumer_config  # noqa: E402

__all__ = ["consume_only", "main"]


def consume_only(
    bootstrap: str, topic: str, count: int, timeout_s: float = 300
) -> dict[str, float]:
    """CPU seconds of consuming ``count`` messages of ``topic`` (from the first one on)."""
    settings = Settings(
        kafka_bootstrap_servers=bootstrap,
        topics=[topic],
        connect_api_key=SecretStr("x"),
        metrics_port=0,
    )
    consumer = Consumer(consumer_config(settings, group_id="bench-floor", extra={"log_level": 0}))
    partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
    consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in partitions])
    seen = 0
    size = 0
    cpu_first = wall_first = 0.0
    deadline = time.monotonic() + timeout_s
    try:
        while seen < count and time.monotonic() < deadline:
            for msg in consumer.consume(num_messages=500, timeout=0.1):
                if msg.error() is not None:
                    continue
                if seen == 0:
                    cpu_first, wall_first = time.process_time(), time.monotonic()
                value = msg.value()
                size += len(value) if value else 0
                seen += 1
        cpu = time.process_time() - cpu_first
        wall = time.monotonic() - wall_first
    finally:
        consumer.close()
    return {"events": seen, "cpu_s": cpu, "wall_s": wall, "bytes": size}


def main(argv: Sequence[str] | None = None) -> int:
    """Print the consume-only figures as one JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bootstrap", default="localhost:9092")
    parser.add_argument("--topic", required=True)
    parser.add_argument("--count", type=int, required=True)
    args = parser.parse_args(argv)
    print(json.dumps(consume_only(args.bootstrap, args.topic, args.count)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

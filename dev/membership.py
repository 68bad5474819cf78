"""How long a stopped member's partitions stay unconsumed: static vs dynamic group membership.

``python dev/membership.py [--bootstrap localhost:9092] [--partitions 4]`` (the local broker).

Two consumers built from :func:`consumer.kafka_config.consumer_config` (cooperative-sticky, the
default ``SIGNALS_KAFKA_SESSION_TIMEOUT_MS``) join one fresh group on a fresh topic and share its
partitions; then one closes, as a pod does on a scale-down or a rollout, and the script times how
long until the other owns every partition. With dynamic membership ``close()`` leaves the group
at once; with static membership (``group.instance.id``) it does not, and the broker waits for
the session timeout. docs/deploy.md, "Membership", has the figures.
"""

from __future__ import annotations

import argparse
import sys
import time
import uuid
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make ``consumer`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from confluent_kafka import Consumer
from confluent_kafka.admin import AdminClient
from confluent_kafka.cimpl import NewTopic

from consumer.config import Settings
from consumer.kafka_config import consumer_config

__all__ = ["measure_move"]


def _member(bootstrap: str, group: str, instance: str | None) -> Any:
    settings = Settings(
        kafka_bootstrap_servers=bootstrap, kafka_group_id=group, kafka_group_instance_id=instance
    )
    conf = consumer_config(settings)
    conf.pop("logger", None)  # librdkafka's own lines are not the point here
    return Consumer(conf)


def _owned(consumer: Any) -> set[int]:
    return {tp.partition for tp in consumer.assignment()}


def measure_move(
    bootstrap: str, *, static: bool, partitions: int = 4, timeout_s: float = 120
) -> float:
    """Seconds from one member's ``close()`` until the other owns all ``partitions``."""
    topic = f"membership-{uuid.uuid4().hex[:10]}"
    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic(topic, partitions, 1)])[topic].result(30)
    group = f"g-{topic}"
    stay = _member(bootstrap, group, "member-a" if static else None)
    leave = _member(bootstrap, group, "member-b" if static else None)
    try:
        for member in (stay, leave):
            member.subscribe([topic])
        deadline = time.monotonic() + timeout_s
        while not (
            _owned(stay) and _owned(leave) and len(_owned(stay) | _owned(leave)) == partitions
        ):
            if time.monotonic() > deadline:
                raise TimeoutError("the two members never shared the partitions")
            stay.poll(0.05)
            leave.poll(0.05)
        start = time.monotonic()
        leave.close()
        while len(_owned(stay)) < partitions:
            if time.monotonic() - start > timeout_s:
                raise TimeoutError("the partitions never moved")
            stay.poll(0.05)
        return time.monotonic() - start
    finally:
        stay.close()
        admin.delete_topics([topic])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bootstrap", default="localhost:9092")
    parser.add_argument("--partitions", type=int, default=4)
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    for static in (False, True):
        for _ in range(args.runs):
            seconds = measure_move(args.bootstrap, static=static, partitions=args.partitions)
            kind = "static (group.instance.id)" if static else "dynamic"
            print(f"{kind:28} partitions moved after {seconds:5.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

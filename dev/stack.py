"""The local stack: Apache Kafka (KRaft, one combined broker+controller) and a schema registry.

``python dev/stack.py up|down|status`` (``make stack-up`` / ``stack-down`` / ``stack-status``).

* Kafka: the official jars (``org.apache.kafka:kafka_2.13``, see ``dev/kafka/pom.xml``) are
  resolved by Maven into ``.cache/kafka/libs``; storage is formatted once (standalone KRaft
  controller) under ``.cache/kafka/data``; the broker runs as ``java -cp 'libs/*' kafka.Kafka``
  with a small heap, logging to ``.cache/kafka/logs/server.log``.
* Schema registry: ``dev/registry`` (Confluent REST API, Avro) persisted to
  ``.cache/registry/registry.json``, logging to ``.cache/registry/registry.log``.

Ports: ``KAFKA_PORT`` (9092), ``KAFKA_CONTROLLER_PORT`` (9093), ``SCHEMA_REGISTRY_PORT`` (8081);
heap: ``KAFKA_HEAP`` (512m). Each service has a PID file; ``down`` sends SIGTERM, waits, then
SIGKILL. ``up`` and ``down`` are idempotent; ``status`` exits 0 only if everything is up.

Importable for tests: :func:`start_kafka`, :func:`stop_kafka`, :func:`start_registry`,
:func:`stop_registry`, :func:`kafka_bootstrap`, :func:`registry_url`, :func:`up`, :func:`down`.
"""

from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make ``dev.*`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dev.stack_kafka import (
    kafka_bootstrap,
    kafka_running,
    start_kafka,
    stop_kafka,
)
from dev.stack_proc import Service, StackError
from dev.stack_registry import registry_running, registry_url, start_registry, stop_registry

__all__ = [
    "StackError",
    "down",
    "kafka_bootstrap",
    "kafka_running",
    "main",
    "registry_running",
    "registry_url",
    "start_kafka",
    "start_registry",
    "status",
    "stop_kafka",
    "stop_registry",
    "up",
]


def up() -> None:
    """Start whatever is not running (Kafka first, then the registry)."""
    start_kafka()
    start_registry()


def down() -> None:
    """Stop whatever is running (registry first, then Kafka)."""
    stop_registry()
    stop_kafka()


def status() -> list[Service]:
    """Each service's state (name, running, pid, address)."""
    return [kafka_running(), registry_running()]


def main(argv: list[str] | None = None) -> int:
    """CLI entry point; returns the exit code."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1 or args[0] not in {"up", "down", "status"}:
        print("usage: dev/stack.py up|down|status", file=sys.stderr)
        return 2
    try:
        if args[0] == "up":
            up()
        elif args[0] == "down":
            down()
        else:
            services = status()
            for svc in services:
                state = "up" if svc.running else "down"
                pid = svc.pid if svc.pid is not None else "-"
                print(f"{svc.name:<16} {state:<5} pid={pid:<8} {svc.address}")
            return 0 if all(s.running for s in services) else 1
    except StackError as exc:
        print(f"stack: error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The benchmark's runs against the local stack and a sandbox subprocess in benchmark mode.

Every run reads a pre-produced (or live-produced) topic with a new consumer group, so one
backlog serves several runs. Throughput is taken at the sandbox (``--record-latency``): the
signals accepted between the first and the last accepted mutation, over that time.
"""

from __future__ import annotations

import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.measure import (
    Child,
    ProcessFigures,
    consumer_env,
    create_topics,
    process_cpu_s,
    run_child,
)
from bench.peer import run_peer
from bench.workload import RateProducer, Template
from tests.fixtures.sandbox import SandboxHandle

__all__ = [
    "BIG_RUNS",
    "IN_FLIGHT",
    "IN_FLIGHT_PARTITIONS",
    "Ctx",
    "Drain",
    "Latency",
    "broker_lost",
    "drain",
    "floor_consume",
    "latency_run",
    "peer_drain",
]

CONSUMER = (sys.executable, "-m", "consumer", "run")
PARTITIONS = 16
#: (e): max_in_flight_mutations levels with 200 ms API latency, and the partitions of its topic
IN_FLIGHT = (1, 2, 4, 8, 16)
IN_FLIGHT_PARTITIONS = 64
#: (d): run name -> (label, settings): the defaults, then each memory bound changed alone
BIG_RUNS: dict[str, tuple[str, dict[str, int]]] = {
    "defaults": ("defaults", {}),
    "buffered-x2": ("max_buffered_events x2 (40,000)", {"max_buffered_events": 40_000}),
    "prefetch-x4": (
        "kafka_queued_max_kbytes x4 (16,384)",
        {"kafka_queued_max_kbytes": 16_384},
    ),
    "backoff-1000": (
        "kafka_fetch_queue_backoff_ms 1,000 (librdkafka's default)",
        {"kafka_fetch_queue_backoff_ms": 1_000},
    ),
}


@dataclass
class Ctx:
    """What every run needs: the stack, the sandbox, the templates, where logs go."""

    bootstrap: str
    registry_url: str
    sandbox: SandboxHandle
    templates: list[Template]
    out: Path
    run_id: str
    topics: list[str] = field(default_factory=list)

    @property
    def dlq_topic(self) -> str:
        """The dead-letter topic of every consumer run (stays empty)."""
        return f"bench-dlq-{self.run_id}"

    def topic(self, name: str, partitions: int = PARTITIONS) -> str:
        """Create a fresh topic (deleted at the end of the benchmark)."""
        topic = f"bench-{name}-{self.run_id}"
        create_topics(self.bootstrap, [topic], partitions)
        self.topics.append(topic)
        return topic

    def env(self, topic: str, **settings: Any) -> dict[str, str]:
        """The consumer's environment for ``topic`` (a new group)."""
        return consumer_env(
            bootstrap=self.bootstrap,
            registry_url=self.registry_url,
            topic=topic,
            sandbox_url=self.sandbox.url,
            api_key=self.sandbox.api_key,
            app_key=self.sandbox.app_key,
            dlq_topic=self.dlq_topic,
            **settings,
        )


@dataclass(frozen=True, slots=True)
class Drain:
    """One consumer (or peer) run over a backlog."""

    name: str
    process: ProcessFigures
    accepted: int
    events_per_s: float | None
    sandbox_cpu_s: float

    @property
    def ok(self) -> bool:
        """The process exited 0."""
        return self.process.exit_code == 0

    @property
    def disturbed(self) -> bool:
        """The broker went away during the run (another engineer's restart test)."""
        return broker_lost(self.process.log)


def broker_lost(log: Path) -> bool:
    """True when a librdkafka log line in ``log`` says the broker refused or dropped us."""
    text = log.read_text(errors="replace")
    return "Connect to ipv4" in text or "Disconnected: connection closed" in text


def _window_rate(latency: dict[str, Any]) -> float | None:
    first, last = latency.get("first_accept_ms"), latency.get("last_accept_ms")
    if first is None or last is None or last <= first:
        return None
    accepted = int(latency["signals"]) - int(latency["first_mutation_signals"])
    return accepted / ((int(last) - int(first)) / 1000)


def _sandbox_cpu(ctx: Ctx) -> float:
    pid = ctx.sandbox.pid
    return process_cpu_s(pid) if pid is not None else 0.0


def drain(
    ctx: Ctx,
    name: str,
    topic: str,
    *,
    max_events: int | None = None,
    timeout_s: float = 900,
    **settings: Any,
) -> Drain:
    """``signals-consumer run --until-idle 2`` (or ``--max-events``) over ``topic``."""
    command = [*CONSUMER, "--until-idle", "2"]
    if max_events is not None:
        command += ["--max-events", str(max_events)]
    env = ctx.env(topic, **settings)
    return _measured(ctx, name, lambda: run_child(command, env, ctx.out / f"{name}.log", timeout_s))


def _measured(ctx: Ctx, name: str, run: Callable[[], ProcessFigures]) -> Drain:
    """``run()`` against a reset sandbox, with what the sandbox saw and spent meanwhile."""
    ctx.sandbox.reset()
    cpu_before = _sandbox_cpu(ctx)
    figures = run()
    stats = ctx.sandbox.stats()
    return Drain(
        name,
        figures,
        stats["signals"]["accepted"],
        _window_rate(stats["latency"]),
        _sandbox_cpu(ctx) - cpu_before,
    )


def peer_drain(ctx: Ctx, name: str, topic: str, python: Path, timeout_s: float = 1800) -> Drain:
    """The peer over ``topic`` until idle."""
    from bench.peer import peer_env

    env = peer_env(
        bootstrap=ctx.bootstrap,
        registry_url=ctx.registry_url,
        topic=topic,
        group=f"bench-peer-{uuid.uuid4().hex[:10]}",
        sandbox_url=ctx.sandbox.url,
        api_key=ctx.sandbox.api_key,
        app_key=ctx.sandbox.app_key,
    )
    return _measured(ctx, name, lambda: run_peer(python, env, ctx.out / f"{name}.log", timeout_s))


@dataclass(frozen=True, slots=True)
class Latency:
    """One fixed-rate run: event time -> acceptance at the sandbox."""

    rate_per_s: float
    produced: int
    accepted: int
    p50_ms: float | None
    p90_ms: float | None
    p99_ms: float | None
    max_ms: float | None
    producer_behind_max: int
    disturbed: bool = False


def _wait_for(check: Any, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        time.sleep(0.1)


def latency_run(ctx: Ctx, rate_per_s: float, seconds: float) -> Latency:
    """A live consumer; a producer at ``rate_per_s`` with eventTime = now for ``seconds``."""
    topic = ctx.topic(f"lat{int(rate_per_s)}")
    child = Child(CONSUMER, ctx.env(topic), ctx.out / f"latency-{int(rate_per_s)}.log")
    try:
        _wait_for(lambda: child.log_has("partitions_assigned"), 60, "the consumer's assignment")
        warm = RateProducer(ctx.bootstrap, topic, ctx.templates, 1000, 0.3, first=10**9)
        warm.start()
        warm.join()
        _wait_for(
            lambda: ctx.sandbox.stats()["signals"]["accepted"] >= warm.produced, 60, "warm-up"
        )
        ctx.sandbox.reset()
        producer = RateProducer(ctx.bootstrap, topic, ctx.templates, rate_per_s, seconds)
        producer.start()
        producer.join()
        _wait_for(
            lambda: ctx.sandbox.stats()["signals"]["accepted"] >= producer.produced,
            120,
            "every produced event to be accepted",
        )
    finally:
        figures = child.stop()
    if figures.exit_code != 0:
        raise RuntimeError(f"latency consumer exited {figures.exit_code}; see {figures.log}")
    stats = ctx.sandbox.stats()
    lat = stats["latency"]
    return Latency(
        rate_per_s,
        producer.produced,
        stats["signals"]["accepted"],
        lat["p50_ms"],
        lat["p90_ms"],
        lat["p99_ms"],
        lat["max_ms"],
        producer.behind_max,
        broker_lost(figures.log),
    )


def floor_consume(ctx: Ctx, topic: str, count: int) -> dict[str, float]:
    """librdkafka consume-only figures (bench/floors.py in a process of its own)."""
    import json

    log = ctx.out / "floor-consume.log"
    command = [sys.executable, "bench/floors.py", "--bootstrap", ctx.bootstrap]
    command += ["--topic", topic, "--count", str(count)]
    figures = run_child(command, ctx.env(topic), log, 600)
    if figures.exit_code != 0:
        raise RuntimeError(f"floors.py exited {figures.exit_code}; see {log}")
    line = log.read_text().strip().splitlines()[-1]
    result: dict[str, float] = json.loads(line)
    return result

"""Zero loss and zero wedge under faults: consumers, the real broker, registry and sandbox, chaos.

``make faults`` runs it with 200,000 events (``FAULT_EVENTS``); ``make test`` at 20,000. The
schedule is tests/faults/schedule.py, the hostile events tests/faults/hostile.py. The figures go
to the test output, and to docs/reliability.md only under ``make faults``
(``PUBLISH_FIGURES=1``): ``make test`` leaves tracked files alone.
"""

from __future__ import annotations

import os
import re
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from confluent_kafka.admin import AdminClient

from tests.faults.accounting import (
    accepted_event_ids,
    committed_vs_end,
    duplicates_between,
    read_dead_letters,
    wait_committed_to_end,
)
from tests.faults.events import Expected, Workload
from tests.faults.hostile import COMPACT_KINDS, DELIVERED, HOSTILE_KINDS
from tests.faults.procs import ConsumerProcess
from tests.faults.proxy import BlackHoleProxy
from tests.faults.report import HostileRecord, Report
from tests.faults.schedule import BACKGROUND, FaultRun, Progress, Sizes
from tests.faults.watch import HealthWatch
from tests.fixtures.sandbox import SandboxHandle
from tests.fixtures.stack import StackControl

pytestmark = [pytest.mark.integration, pytest.mark.slow]

EVENTS = int(os.environ.get("FAULT_EVENTS", "20000"))
PARTITIONS = 12
CONSUMERS = 3
MAX_BUFFERED = 2000
BATCH = 250
IN_FLIGHT = 4
DRAIN_S = 25.0
SIZES = Sizes(EVENTS, DRAIN_S)
#: every partition's committed offset reaches its end within this long after the quiet point
#: (the last fault over and the last record produced): the backlog of the Connect outage drains
STALL_BOUND_S = 180.0
#: no consumer goes longer between two polls of Kafka (rebalance callbacks included: a revoke
#: finishes in-flight mutations, 2 s read timeout each); well under the liveness budget and
#: under one schema-registry timeout (10 s), so a registry wait on the loop would show
POLL_GAP_BOUND_S = 10.0


@pytest.fixture
def fault_sandbox(tmp_path: Path) -> Iterator[SandboxHandle]:
    """A sandbox of its own (premium tier; the consumers run as pro), Connect's error dialect."""
    handle = SandboxHandle(
        tmp_path / "sandbox.db", tmp_path / "sandbox.log", error_dialect="realistic"
    )
    handle.start()
    try:
        yield handle
    finally:
        handle.stop()


@pytest.fixture
def registry_proxy(schema_registry_url: str) -> Iterator[BlackHoleProxy]:
    """The consumers' way to the registry, which the schedule turns into a black hole."""
    proxy = BlackHoleProxy(schema_registry_url)
    try:
        yield proxy
    finally:
        proxy.close()


def _consumer_env(
    bootstrap: str, registry: str, sandbox: SandboxHandle, topic: str
) -> dict[str, str]:
    return {
        "SIGNALS_KAFKA_BOOTSTRAP_SERVERS": bootstrap,
        "SIGNALS_SCHEMA_REGISTRY_URL": registry,
        "SIGNALS_TOPICS": topic,
        "SIGNALS_DLQ_TOPIC": f"{topic}.dlq",
        "SIGNALS_KAFKA_GROUP_ID": f"faults-{topic}",
        "SIGNALS_KAFKA_SESSION_TIMEOUT_MS": "10000",
        "SIGNALS_CONNECT_URL": sandbox.url,
        "SIGNALS_CONNECT_API_KEY": sandbox.api_key,
        "SIGNALS_DEFAULT_APP_KEY": sandbox.app_key,
        "SIGNALS_TIER": "pro",
        "SIGNALS_LINGER_MS": "100",
        "SIGNALS_BATCH_MAX_SIGNALS": str(BATCH),
        "SIGNALS_MAX_IN_FLIGHT_MUTATIONS": str(IN_FLIGHT),
        "SIGNALS_MAX_BUFFERED_EVENTS": str(MAX_BUFFERED),
        "SIGNALS_HTTP_READ_TIMEOUT_S": "2",
        "SIGNALS_RETRY_INITIAL_BACKOFF_MS": "200",
        "SIGNALS_RETRY_MAX_BACKOFF_MS": "3000",
        "SIGNALS_DRAIN_TIMEOUT_S": str(DRAIN_S),
        "SIGNALS_HEALTH_PROGRESS_TIMEOUT_S": str(SIZES.progress_timeout_s),
        "SIGNALS_LOG_FORMAT": "json",
        "SIGNALS_LOG_LEVEL": "info",
    }


def _hostile(
    expected: Expected,
    accepted: Counter[str],
    dead: dict[tuple[int, int], str],
    letters: dict[tuple[int, int], tuple[int, bool]],
) -> list[HostileRecord]:
    """What each hostile record ended as: ``delivered``, its dead-letter code (+ ``compact``)."""
    records = []
    for kind, outcome in HOSTILE_KINDS.items():
        seen: Counter[str] = Counter()
        for p, o, eid in expected.hostile.get(kind, []):
            if (p, o) in dead:
                compact = letters.get((p, o), (0, False))[1]
                seen[dead[(p, o)] + (" (compact)" if compact else "")] += 1
            else:
                seen[DELIVERED if accepted.get(eid) else "lost"] += 1
        want = outcome + (" (compact)" if kind in COMPACT_KINDS else "")
        observed = ", ".join(f"{n} {what}" for what, n in sorted(seen.items()))
        records.append(HostileRecord(kind, sum(seen.values()), want, observed))
    return records


def test_every_event_is_accepted_or_dead_lettered_under_faults(
    kafka_bootstrap: str,
    kafka_admin: AdminClient,
    make_topic: Callable[..., str],
    stack_control: StackControl,
    fault_sandbox: SandboxHandle,
    registry_proxy: BlackHoleProxy,
    schema_registry_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Under kills, restarts, rebalances in a 429 storm, broker/registry/API outages, a hanging
    registry, odd API answers and hostile events: nothing lost, nothing wedged, no restart."""
    started = time.monotonic()
    topic = make_topic(PARTITIONS)
    make_topic(3, name=f"{topic}.dlq")
    sandbox = fault_sandbox
    sandbox.set_faults(**BACKGROUND)
    env = _consumer_env(kafka_bootstrap, registry_proxy.url, sandbox, topic)
    consumers = [ConsumerProcess(f"c{i}", env, tmp_path) for i in range(CONSUMERS)]
    extra = ConsumerProcess(f"c{CONSUMERS}", env, tmp_path)
    for c in consumers:
        c.start()
    progress = Progress(sandbox)
    watch = HealthWatch([*consumers, extra])
    workload = Workload(
        kafka_bootstrap, schema_registry_url, topic, EVENTS, EVENTS / SIZES.window_s
    )
    workload.start()
    report = Report(events=EVENTS, partitions=PARTITIONS, consumers=CONSUMERS)
    report.background = ", ".join(f"{k}={v}" for k, v in BACKGROUND.items())
    report.stall_bound_s, report.poll_gap_bound_s = STALL_BOUND_S, POLL_GAP_BOUND_S
    run = FaultRun(
        consumers, extra, sandbox, stack_control, registry_proxy, progress, watch, report,
        SIZES, workload.done,
    )  # fmt: skip
    group = f"faults-{topic}"
    try:
        last_fault = run.run()
        workload.join(SIZES.window_s + 600)
        assert workload.done.is_set(), f"the producer did not finish: {workload.error!r}"
        assert not workload.expected.failed, workload.expected.failed[:5]
        expected = workload.expected
        sandbox.set_faults()  # the tail drains without background faults
        quiet = max(last_fault, workload.finished_at)
        reached = wait_committed_to_end(
            kafka_bootstrap, group, topic, PARTITIONS, quiet, STALL_BOUND_S
        )
        report.drain_after_last_fault_s = time.monotonic() - last_fault
        times = [t for t in reached.values() if t is not None]
        report.slowest_partition_s = max(times) if len(times) == PARTITIONS else None
        report.stalled_partitions = sum(1 for t in reached.values() if t is None)
    finally:
        progress.close()
        codes = [c.terminate() if c.alive else None for c in [*consumers, extra]]
        watch.close()
    assert all(code in (0, None) for code in codes), codes

    accepted = accepted_event_ids(sandbox.db_path)
    letters: dict[tuple[int, int], tuple[int, bool]] = {}
    dead, dead_records = read_dead_letters(kafka_bootstrap, f"{topic}.dlq", letters=letters)
    ends = committed_vs_end(kafka_bootstrap, group, topic, PARTITIONS)
    report.accepted_unique = len(set(accepted) & expected.good)
    report.accepted_total = sum(accepted.values())
    report.dead_by_reason = dict(Counter(dead.values()))
    report.lost = len(expected.good - set(accepted)) + len(set(expected.poison) - set(dead))
    report.wrongly_dead = len(set(dead) - set(expected.poison))
    report.duplicates = sum(n - 1 for n in accepted.values() if n > 1) + (dead_records - len(dead))
    # in flight at each disruption, plus the wrong-count answer's batch and the null id's signal
    report.duplicate_bound = run.disruptive * MAX_BUFFERED + BATCH + 1
    report.uncommitted_partitions = sum(1 for c, e in ends.values() if c < e)
    report.hostile = _hostile(expected, accepted, dead, letters)
    outage = report.outage
    outage.duplicates = duplicates_between(sandbox.db_path, run.outage_started_ms, 2**62)
    outage.duplicate_bound = CONSUMERS * IN_FLIGHT * BATCH
    gaps = {f"{n}.{s}": g for (n, s), g in watch.poll_gaps.items()}
    for c in [*consumers, extra]:
        for start, gap in enumerate(c.poll_gaps(), 1):  # clean stops (a kill has none)
            key = f"{c.name}.{start}"
            gaps[key] = max(gaps.get(key, 0.0), gap)
    if gaps:
        where = max(gaps, key=lambda k: gaps[k])
        report.poll_gap_worst_s, report.poll_gap_where = gaps[where], f"process {where}"
    live = [p for p in watch.failures("/healthz") if p.reason != "starting"]
    report.liveness_failures, report.liveness_probes = len(live), watch.count("/healthz")
    report.wall_s = time.monotonic() - started
    with capsys.disabled():  # the figures belong in the test output even when it passes
        print("\n" + report.markdown(), flush=True)
        print(f"liveness failures: {live[:10]}", flush=True)
        print(f"exit codes after SIGTERM: {run.stops}", flush=True)
    report.write(f"{EVENTS:,} events")

    assert expected.produced == EVENTS
    assert not (set(accepted) & expected.poison_ids), "a poison event was accepted"
    assert report.lost == 0, "events lost"
    assert {k: dead[k] for k in expected.poison if k in dead} == expected.poison, "wrong reasons"
    assert report.wrongly_dead == 0
    assert report.uncommitted_partitions == 0, ends
    assert report.stalled_partitions == 0, reached
    assert report.duplicates <= report.duplicate_bound
    assert all(f.recover_s is not None for f in report.faults), report.faults
    bad_stops = [(f, c, code) for f, c, code in run.stops if code != 0]
    assert not bad_stops, f"SIGTERM must end in exit 0 after the drain: {bad_stops}"
    for h in report.hostile:
        assert h.observed == f"{h.count} {h.expected}", h
    assert sum(h.count for h in report.hostile) == sum(len(v) for v in expected.hostile.values())
    assert outage.liveness_probes > 0
    assert report.liveness_failures == 0, live[:10]  # no wedge, no stalled loop, whole run
    assert outage.liveness_failures == 0, watch.failures("/healthz", run.outage_started)
    assert outage.restarts == 0
    assert outage.duplicates <= outage.duplicate_bound
    assert report.poll_gap_worst_s <= POLL_GAP_BOUND_S, gaps
    assert gaps, "no consumer reported its poll gap"
    for c in [*consumers, extra]:  # the real run's logs: no API key, no unmasked e-mail address
        logs = c.logs()
        assert sandbox.api_key not in logs
        assert re.search(r"user\d+@example\.com", logs) is None

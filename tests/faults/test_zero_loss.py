"""Zero loss under faults: three consumers, the real broker, registry and sandbox, and chaos.

``make faults`` runs it with 200,000 events (``FAULT_EVENTS``); ``make test`` at 20,000.
The figures go to the test output, and to docs/reliability.md only under ``make faults``
(``PUBLISH_FIGURES=1``): ``make test`` leaves tracked files alone.
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from confluent_kafka.admin import AdminClient

from tests.faults.accounting import accepted_event_ids, committed_vs_end, read_dead_letters
from tests.faults.events import Workload
from tests.faults.procs import ConsumerProcess
from tests.faults.report import FaultRecord, Report
from tests.fixtures.sandbox import SandboxHandle
from tests.fixtures.stack import StackControl

pytestmark = [pytest.mark.integration, pytest.mark.slow]

EVENTS = int(os.environ.get("FAULT_EVENTS", "20000"))
PARTITIONS = 12
CONSUMERS = 3
BACKGROUND = {"throttle_rate": 0.10, "retry_after_s": 1.0, "error_rate": 0.05}
MAX_BUFFERED = 2000
BATCH = 250


class Progress:
    """Samples the sandbox's accepted-signal counter to time recovery after each fault."""

    def __init__(self, sandbox: SandboxHandle) -> None:
        self.sandbox = sandbox
        self.samples: list[tuple[float, int]] = []
        self._stop = threading.Event()
        self._total = 0
        self._last = 0
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.25):
            try:
                now = int(self.sandbox.stats()["signals"]["accepted"])
            except Exception:  # the sandbox is down during its outage
                continue
            self._total += now - self._last if now >= self._last else now  # restart resets it
            self._last = now
            self.samples.append((time.monotonic(), self._total))

    def recovered_after(self, since: float, timeout_s: float = 120.0) -> float | None:
        """Seconds from ``since`` until the accepted counter grew again."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            base = next((v for t, v in reversed(self.samples) if t <= since), 0)
            grown = next((t for t, v in self.samples if t > since and v > base), None)
            if grown is not None:
                return grown - since
            time.sleep(0.25)
        return None

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)


@pytest.fixture
def fault_sandbox(tmp_path: Path) -> Iterator[SandboxHandle]:
    """A sandbox of its own (premium tier; the consumers run as pro)."""
    handle = SandboxHandle(tmp_path / "sandbox.db", tmp_path / "sandbox.log")
    handle.start()
    try:
        yield handle
    finally:
        handle.stop()


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
        "SIGNALS_METRICS_PORT": "0",
        "SIGNALS_LINGER_MS": "100",
        "SIGNALS_BATCH_MAX_SIGNALS": str(BATCH),
        "SIGNALS_MAX_IN_FLIGHT_MUTATIONS": "4",
        "SIGNALS_MAX_BUFFERED_EVENTS": str(MAX_BUFFERED),
        "SIGNALS_HTTP_READ_TIMEOUT_S": "2",
        "SIGNALS_RETRY_INITIAL_BACKOFF_MS": "200",
        "SIGNALS_RETRY_MAX_BACKOFF_MS": "3000",
        "SIGNALS_DRAIN_TIMEOUT_S": "25",
        "SIGNALS_LOG_FORMAT": "json",
        "SIGNALS_LOG_LEVEL": "info",
    }


def test_every_event_is_accepted_or_dead_lettered_under_faults(
    kafka_bootstrap: str,
    schema_registry_url: str,
    kafka_admin: AdminClient,
    make_topic: Callable[..., str],
    stack_control: StackControl,
    fault_sandbox: SandboxHandle,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Under kills, restarts, broker/registry/API outages, throttling and errors nothing is lost."""
    started = time.monotonic()
    topic = make_topic(PARTITIONS)
    make_topic(3, name=f"{topic}.dlq")
    sandbox = fault_sandbox
    sandbox.set_faults(**BACKGROUND)
    env = _consumer_env(kafka_bootstrap, schema_registry_url, sandbox, topic)
    consumers = [ConsumerProcess(f"c{i}", env, tmp_path) for i in range(CONSUMERS)]
    for c in consumers:
        c.start()
    progress = Progress(sandbox)
    # the production window (~150 s) outlasts the fault schedule, so recovery can be timed
    workload = Workload(kafka_bootstrap, schema_registry_url, topic, EVENTS, EVENTS / 150)
    workload.start()
    report = Report(events=EVENTS, partitions=PARTITIONS, consumers=CONSUMERS)
    report.background = ", ".join(f"{k}={v}" for k, v in BACKGROUND.items())
    disruptive = 0

    def fault(name: str, detail: str, action: Callable[[], None]) -> None:
        t0 = time.monotonic()
        action()
        t1 = time.monotonic()
        recover = None if workload.done.is_set() else progress.recovered_after(t1, 90.0)
        report.faults.append(FaultRecord(name, detail, t1 - t0, recover))
        print(f"fault {name}: {report.faults[-1]}", flush=True)

    try:
        time.sleep(8)

        def sigkill() -> None:
            consumers[0].kill()
            time.sleep(1)
            consumers[0].start()

        fault("SIGKILL", "one consumer killed mid-batch, restarted after 1 s", sigkill)
        disruptive += 1
        time.sleep(5)

        def rolling() -> None:
            for c in consumers:
                assert c.terminate() == 0, c.logs()[-3000:]
                c.start()
                time.sleep(4)

        fault("rolling restart", "SIGTERM each consumer in turn, restart, 4 s apart", rolling)
        disruptive += CONSUMERS
        time.sleep(3)

        def broker() -> None:
            stack_control.stop_kafka()
            time.sleep(5)
            stack_control.start_kafka()

        fault("broker stop/start", "Kafka stopped for 5 s", broker)
        disruptive += CONSUMERS
        time.sleep(5)

        def outage() -> None:
            sandbox.outage(20).join(60)
            sandbox.set_faults(**BACKGROUND)

        fault("sandbox outage", "API process down for 20 s (connection refused)", outage)
        time.sleep(3)

        def spikes() -> None:
            sandbox.set_faults(**BACKGROUND, timeout_rate=0.3, timeout_delay_s=3.0)
            time.sleep(10)
            sandbox.set_faults(**BACKGROUND)

        fault(
            "latency spikes",
            "30% of requests answered after 3 s (> 2 s client timeout), 10 s",
            spikes,
        )
        time.sleep(3)

        def registry() -> None:
            stack_control.stop_registry()
            consumers[1].terminate()
            consumers[1].start()  # a fresh member must fetch schemas while the registry is down
            time.sleep(10)
            stack_control.start_registry()

        fault(
            "registry outage",
            "schema registry down 10 s, one consumer restarted meanwhile",
            registry,
        )
        disruptive += 1
        last_fault = time.monotonic()

        workload.join(600)
        assert workload.done.is_set(), f"the producer did not finish: {workload.error!r}"
        assert not workload.expected.failed, workload.expected.failed[:5]
        expected = workload.expected
        sandbox.set_faults()  # the tail drains without background faults
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            ends = committed_vs_end(kafka_bootstrap, f"faults-{topic}", topic, PARTITIONS)
            if all(c >= e for c, e in ends.values()):
                break
            time.sleep(2)
        report.drain_after_last_fault_s = time.monotonic() - last_fault
    finally:
        progress.close()
        codes = [c.terminate() if c.alive else None for c in consumers]
    assert all(code in (0, None) for code in codes), codes

    accepted = accepted_event_ids(sandbox.db_path)
    dead, dead_records = read_dead_letters(kafka_bootstrap, f"{topic}.dlq")
    ends = committed_vs_end(kafka_bootstrap, f"faults-{topic}", topic, PARTITIONS)
    report.accepted_unique = len(set(accepted) & expected.good)
    report.accepted_total = sum(accepted.values())
    report.dead_by_reason = dict(Counter(dead.values()))
    report.lost = len(expected.good - set(accepted)) + len(set(expected.poison) - set(dead))
    report.wrongly_dead = len(set(dead) - set(expected.poison))
    report.duplicates = sum(n - 1 for n in accepted.values() if n > 1) + (dead_records - len(dead))
    report.duplicate_bound = disruptive * MAX_BUFFERED
    report.uncommitted_partitions = sum(1 for c, e in ends.values() if c < e)
    report.wall_s = time.monotonic() - started
    with capsys.disabled():  # the figures belong in the test output even when it passes
        print("\n" + report.markdown(), flush=True)
    report.write(f"{EVENTS:,} events")

    assert expected.produced == EVENTS
    assert not (set(accepted) & expected.poison_ids), "a poison event was accepted"
    assert report.lost == 0, "events lost"
    assert {k: dead[k] for k in expected.poison if k in dead} == expected.poison, "wrong reasons"
    assert report.wrongly_dead == 0
    assert report.uncommitted_partitions == 0, ends
    assert report.duplicates <= report.duplicate_bound
    assert all(f.recover_s is not None for f in report.faults), report.faults
    for c in consumers:  # the real run's logs: no API key, no unmasked e-mail address
        logs = c.logs()
        assert sandbox.api_key not in logs
        assert re.search(r"user\d+@example\.com", logs) is None

"""The fault schedule of the zero-loss run, one method per fault, in the order they run.

:class:`FaultRun` holds what the faults act on (the consumer processes, the sandbox, the stack,
the registry proxy) and what they are measured with (the progress sampler, the health watch,
the report). Sizes that scale with ``FAULT_EVENTS`` are in :class:`Sizes`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from consumer.pipeline.health import LOOP_STALL_S, WEDGE_S
from tests.faults.procs import ConsumerProcess
from tests.faults.proxy import BlackHoleProxy
from tests.faults.report import FaultRecord, Report
from tests.faults.watch import HealthWatch
from tests.fixtures.sandbox import SandboxHandle
from tests.fixtures.stack import StackControl

__all__ = ["BACKGROUND", "FaultRun", "Progress", "Sizes"]

BACKGROUND: dict[str, Any] = {"throttle_rate": 0.10, "retry_after_s": 1.0, "error_rate": 0.05}
#: throttled answers in each ``Retry-After: 0`` burst
BURST = 40
#: the 429 storm during which a fourth consumer joins and leaves
STORM_S = 35.0


@dataclass(frozen=True, slots=True)
class Sizes:
    """The run's durations and budgets for ``events`` events (``make faults``: 200,000).

    The Connect outage must outlast every health budget: the consumers' stall budget
    ``SIGNALS_HEALTH_PROGRESS_TIMEOUT_S`` (300 s by default, scaled down with the run) and the
    two budgets that fail liveness, fixed in consumer/pipeline/health.py (the loop silent for
    ``LOOP_STALL_S`` + the drain timeout, a partition wedged for ``WEDGE_S``).
    """

    events: int
    drain_timeout_s: float

    @property
    def scale(self) -> float:
        """1.0 at 200,000 events, proportionally less below."""
        return min(1.0, self.events / 200_000)

    @property
    def progress_timeout_s(self) -> float:
        """``SIGNALS_HEALTH_PROGRESS_TIMEOUT_S`` for the run: 300 s scaled, at least 30 s."""
        return max(30.0, 300.0 * self.scale)

    @property
    def budgets(self) -> dict[str, float]:
        """Every health budget of the consumers, by name."""
        return {
            "stalled partition (SIGNALS_HEALTH_PROGRESS_TIMEOUT_S)": self.progress_timeout_s,
            "poll loop silent (LOOP_STALL_S + drain timeout)": LOOP_STALL_S + self.drain_timeout_s,
            "partition wedged (WEDGE_S)": WEDGE_S,
        }

    @property
    def outage_s(self) -> float:
        """10 minutes at 200,000 events, proportionally shorter, and past every budget."""
        return max(600.0 * self.scale, max(self.budgets.values()) + 20.0)

    @property
    def registry_hang_s(self) -> float:
        """60 s from 100,000 events up (``make faults``), 30 s below (``make test``)."""
        return 60.0 if self.events >= 100_000 else 30.0

    @property
    def window_s(self) -> float:
        """How long the producer writes: the whole schedule, so recovery can be timed."""
        return 190.0 + self.registry_hang_s + self.outage_s


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
        """Stop sampling."""
        self._stop.set()
        self._thread.join(5)


@dataclass
class FaultRun:
    """The faults, in order; each records its duration and the time until signals flow again."""

    consumers: Sequence[ConsumerProcess]
    extra: ConsumerProcess  # the fourth member that joins and leaves during the 429 storm
    sandbox: SandboxHandle
    stack: StackControl
    proxy: BlackHoleProxy
    progress: Progress
    watch: HealthWatch
    report: Report
    sizes: Sizes
    done: threading.Event  # set when the producer is done (recovery is no longer timed)
    #: rebalances and restarts that may send in-flight work again (the duplicate bound)
    disruptive: int = 0
    #: monotonic and wall-clock (ms) start of the Connect outage
    outage_started: float = 0.0
    outage_started_ms: int = 0
    #: (fault, consumer, exit code) of every SIGTERM the schedule sent; each must be 0 (the
    #: test checks them after the report, so one bad exit does not hide the other figures)
    stops: list[tuple[str, str, int]] = field(default_factory=list)

    def stop(self, consumer: ConsumerProcess, fault: str) -> None:
        """SIGTERM ``consumer``, wait for its drain, and record the exit code."""
        self.stops.append((fault, f"{consumer.name}.{consumer.starts}", consumer.terminate()))

    def fault(
        self, name: str, detail: str, action: Callable[[], None], *, backlog: bool = False
    ) -> None:
        """Run ``action``, then time the recovery: while the producer writes, or when the fault
        itself left a ``backlog`` (nothing was accepted during it), whatever the producer does."""
        t0 = time.monotonic()
        action()
        t1 = time.monotonic()
        measure = backlog or not self.done.is_set()
        recover = self.progress.recovered_after(t1, 90.0) if measure else None
        self.report.faults.append(FaultRecord(name, detail, t1 - t0, recover))
        print(f"fault {name}: {self.report.faults[-1]}", flush=True)

    def run(self) -> float:
        """The whole schedule; returns the monotonic time the last fault ended."""
        time.sleep(8)
        for step in (
            self.sigkill,
            self.rolling_restart,
            self.broker,
            self.sandbox_outage,
            self.latency_spikes,
            self.registry_outage,
            self.storm_with_scaling,
            self.registry_hang,
            self.api_answers,
            self.connect_outage,
        ):
            step()
            time.sleep(3)
        return time.monotonic() - 3

    # --- the schedule kept from before ----------------------------------------------------------
    def sigkill(self) -> None:
        """One consumer killed mid-batch, restarted after 1 s."""

        def action() -> None:
            self.consumers[0].kill()
            time.sleep(1)
            self.consumers[0].start()

        self.fault("SIGKILL", "one consumer killed mid-batch, restarted after 1 s", action)
        self.disruptive += 1
        time.sleep(2)

    def rolling_restart(self) -> None:
        """SIGTERM each consumer in turn (each must exit 0), restart."""

        def action() -> None:
            for c in self.consumers:
                self.stop(c, "rolling restart")
                c.start()
                time.sleep(4)

        self.fault("rolling restart", "SIGTERM each consumer in turn, restart, 4 s apart", action)
        self.disruptive += len(self.consumers)

    def broker(self) -> None:
        """Kafka stopped for 5 s."""

        def action() -> None:
            self.stack.stop_kafka()
            time.sleep(5)
            self.stack.start_kafka()

        self.fault("broker stop/start", "Kafka stopped for 5 s", action)
        self.disruptive += len(self.consumers)
        time.sleep(2)

    def sandbox_outage(self) -> None:
        """The API process down for 20 s (connections refused)."""

        def action() -> None:
            self.sandbox.outage(20).join(60)
            self.sandbox.set_faults(**BACKGROUND)

        self.fault("sandbox outage", "API process down for 20 s (connection refused)", action)

    def latency_spikes(self) -> None:
        """30% of requests answered after the client's timeout, for 10 s."""

        def action() -> None:
            self.sandbox.set_faults(**BACKGROUND, timeout_rate=0.3, timeout_delay_s=3.0)
            time.sleep(10)
            self.sandbox.set_faults(**BACKGROUND)

        detail = "30% of requests answered after 3 s (> 2 s client timeout), 10 s"
        self.fault("latency spikes", detail, action)

    def registry_outage(self) -> None:
        """The registry stopped for 10 s, one consumer restarted meanwhile."""

        def action() -> None:
            self.stack.stop_registry()
            self.stop(self.consumers[1], "registry outage")
            self.consumers[1].start()  # a fresh member must fetch schemas while it is down
            time.sleep(10)
            self.stack.start_registry()

        detail = "schema registry down 10 s, one consumer restarted meanwhile"
        self.fault("registry outage", detail, action)
        self.disruptive += 1

    # --- issue 14 and 16 -------------------------------------------------------------------------
    def storm_with_scaling(self) -> None:
        """A fourth consumer joins and leaves while half the requests are throttled."""

        def action() -> None:
            t0 = time.monotonic()
            self.sandbox.set_faults(throttle_rate=0.5, error_rate=0.05, retry_after_s=1.0)
            time.sleep(3)  # partitions pause for their throttled batches
            self.extra.start()
            time.sleep(15)  # joined: paused partitions were revoked from the three
            self.stop(self.extra, "429 storm")  # leaves: they return to whoever paused them
            time.sleep(max(5.0, t0 + STORM_S - time.monotonic()))
            self.sandbox.set_faults(**BACKGROUND)

        self.fault("429 storm, scale out and in", "", action)
        self.report.faults[-1].detail = (
            f"50% of requests answered 429 (Retry-After 1 s) for {STORM_S:.0f} s; a 4th "
            f"consumer joins after 3 s, takes {self.extra.most_assigned()} partitions and "
            "leaves (SIGTERM, drained) 15 s later"
        )
        self.disruptive += 2

    def registry_hang(self) -> None:
        """The registry accepts connections and never answers, while two consumers restart."""
        hang = self.sizes.registry_hang_s

        def action() -> None:
            t0 = time.monotonic()
            self.proxy.hang()
            time.sleep(2)
            for c, at in ((self.consumers[2], 2.0), (self.consumers[0], hang / 2)):
                time.sleep(max(0.0, t0 + at - time.monotonic()))
                self.stop(c, "registry hang")
                c.start()  # a fresh member: every schema it needs hangs
            time.sleep(max(0.0, t0 + hang - time.monotonic()))
            self.proxy.resume()

        detail = (
            f"schema registry accepts and never answers for {hang:.0f} s; two consumers "
            "restarted meanwhile"
        )
        self.fault("registry hang", detail, action)
        self.disruptive += 2

    def api_answers(self) -> None:
        """``Retry-After: 0`` bursts, one wrong ``signalIds`` count, one null id."""
        took: list[str] = []

        def until_used(**faults: Any) -> None:
            t0 = time.monotonic()
            self.sandbox.set_faults(**{**BACKGROUND, "retry_after_s": 0.0, **faults})
            deadline = t0 + 120
            while time.monotonic() < deadline:
                state = self.sandbox.stats()["faults_active"]
                if not any(v for k, v in state.items() if k.endswith("_next_left")):
                    break
                time.sleep(0.1)
            took.append(f"{time.monotonic() - t0:.1f}")

        def action() -> None:
            until_used(throttle_next=BURST)
            until_used(wrong_count_next=1, null_id_next=1)
            until_used(rate_limit_next=BURST)
            self.sandbox.set_faults(**BACKGROUND)

        self.fault("API answers", "", action)
        self.report.faults[-1].detail = (
            f"{BURST} answers 429 with Retry-After: 0 (used up in {took[0]} s); one mutation "
            f"answered with a signalId short and one with a null id ({took[1]} s); {BURST} "
            f"HTTP-200 RATE_LIMIT_EXCEEDED with retryAfterMs 0 ({took[2]} s)"
        )

    def connect_outage(self) -> None:
        """Connect answers 503 for longer than every health budget; nothing restarts."""
        o = self.report.outage
        o.outage_s = self.sizes.outage_s
        o.budgets = ", ".join(f"{k} {v:.0f} s" for k, v in self.sizes.budgets.items())
        pids = [c.pid for c in self.consumers]

        def action() -> None:
            self.outage_started = time.monotonic()
            self.outage_started_ms = int(time.time() * 1000)
            self.sandbox.set_faults(**BACKGROUND, outage_s=o.outage_s)
            time.sleep(o.outage_s)
            self.sandbox.set_faults(**BACKGROUND)

        detail = f"every request answered 503 for {o.outage_s:.0f} s (past every health budget)"
        self.fault("Connect outage", detail, action, backlog=True)
        since, until = self.outage_started, time.monotonic()
        o.liveness_probes = self.watch.count("/healthz", since, until)
        o.liveness_failures = len(self.watch.failures("/healthz", since, until))
        o.readiness_failures = len(self.watch.failures("/readyz", since, until))
        o.restarts = sum(
            1 for c, pid in zip(self.consumers, pids, strict=True) if c.pid != pid or not c.alive
        )

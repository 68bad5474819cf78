"""Watches every consumer's operations port during the fault run, as Kubernetes probes would.

Once a second per consumer: ``GET /healthz`` (liveness), ``GET /readyz`` and ``GET /metrics``
(for ``signals_poll_gap_max_seconds``, the longest time between two polls of that process).
A consumer that is not running, or not listening yet, is skipped: the probes judge a running
process only.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass

import httpx

from tests.faults.procs import ConsumerProcess

__all__ = ["HealthWatch", "Probe"]

_GAP = re.compile(rb"^signals_poll_gap_max_seconds ([0-9.e+-]+)$", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class Probe:
    """One probe answer: when, whom (name and start number), which endpoint, the result."""

    at: float
    consumer: str
    start: int
    endpoint: str
    ok: bool
    reason: str


class HealthWatch:
    """A daemon thread probing ``consumers`` every ``interval_s``."""

    def __init__(self, consumers: Sequence[ConsumerProcess], interval_s: float = 1.0) -> None:
        self.consumers = consumers
        self.interval_s = interval_s
        self.probes: list[Probe] = []
        #: (consumer name, start number) -> the largest poll gap its /metrics showed
        self.poll_gaps: dict[tuple[str, int], float] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._http = httpx.Client(timeout=2.0, trust_env=False)
        self._thread = threading.Thread(target=self._run, name="health-watch", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            for consumer in list(self.consumers):
                if consumer.alive:
                    self._probe(consumer)

    def _probe(self, consumer: ConsumerProcess) -> None:
        base, start = f"http://127.0.0.1:{consumer.port}", consumer.starts
        found: list[Probe] = []
        for endpoint in ("/healthz", "/readyz"):
            try:
                response = self._http.get(base + endpoint)
            except httpx.HTTPError:
                return  # not listening yet (starting) or just stopped
            reason = str(response.json().get("reason"))
            found.append(
                Probe(time.monotonic(), consumer.name, start, endpoint, response.is_success, reason)
            )
        try:
            match = _GAP.search(self._http.get(base + "/metrics").content)
        except httpx.HTTPError:
            match = None
        with self._lock:
            self.probes += found
            if match is not None:
                key = (consumer.name, start)
                self.poll_gaps[key] = max(self.poll_gaps.get(key, 0.0), float(match.group(1)))

    def failures(
        self, endpoint: str, since: float = 0.0, until: float = float("inf")
    ) -> list[Probe]:
        """Failed probes of ``endpoint`` in ``[since, until]`` (``starting`` included)."""
        with self._lock:
            return [
                p
                for p in self.probes
                if p.endpoint == endpoint and not p.ok and since <= p.at <= until
            ]

    def count(self, endpoint: str, since: float = 0.0, until: float = float("inf")) -> int:
        """How many probes of ``endpoint`` were answered in ``[since, until]``."""
        with self._lock:
            return sum(1 for p in self.probes if p.endpoint == endpoint and since <= p.at <= until)

    def close(self) -> None:
        """Stop probing."""
        self._stop.set()
        self._thread.join(10)
        self._http.close()

"""Counters of the sandbox, served at ``GET /admin/stats`` so tests can account for every signal.

* ``requests``: GraphQL requests by outcome (``ok`` - accepted mutation, ``query``,
  ``rejected`` - BAD_USER_INPUT, ``invalid`` - parse/validation failure or variables that do
  not coerce, ``failed`` - another execution error, ``unauthorized``, ``bad_request``,
  ``throttled``, ``error``, ``unavailable``, ``outage``); a timed-out request counts by its
  outcome and under ``faults.timeout``.
* ``signals``: ``received`` (every signal of a parsed mutation), ``accepted`` (answered with an
  id), ``rejected`` and ``rejected_by_reason``, ``discarded_unknown_contact`` (accepted, but a
  contact key alone named no contact), ``stored``.
* ``faults``: injected faults by kind (``throttle``, ``error``, ``unavailable``, ``timeout``,
  ``outage``, ``latency``).

``accepted + rejected == received``; signals of requests refused before parsing (auth, faults)
are not counted as received.
"""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

__all__ = ["Stats"]


class Stats:
    """Thread-safe counters; :meth:`snapshot` is the JSON of ``GET /admin/stats``."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests: Counter[str] = Counter()
        self._signals: Counter[str] = Counter()
        self._reasons: Counter[str] = Counter()
        self._faults: Counter[str] = Counter()
        self._mutations: Counter[str] = Counter()

    def reset(self) -> None:
        """Zero every counter."""
        with self._lock:
            for counter in (
                self._requests,
                self._signals,
                self._reasons,
                self._faults,
                self._mutations,
            ):
                counter.clear()

    def request(self, outcome: str) -> None:
        """Count one GraphQL request by ``outcome``."""
        with self._lock:
            self._requests[outcome] += 1

    def fault(self, kind: str) -> None:
        """Count one injected fault of ``kind``."""
        with self._lock:
            self._faults[kind] += 1

    def accepted(self, count: int, *, discarded: int = 0, stored: int = 0) -> None:
        """Count an accepted mutation of ``count`` signals."""
        with self._lock:
            self._mutations["accepted"] += 1
            self._signals["received"] += count
            self._signals["accepted"] += count
            self._signals["discarded_unknown_contact"] += discarded
            self._signals["stored"] += stored

    def rejected(self, reasons: Counter[str]) -> None:
        """Count a rejected mutation: one reason per signal in it."""
        total = sum(reasons.values())
        with self._lock:
            self._mutations["rejected"] += 1
            self._signals["received"] += total
            self._signals["rejected"] += total
            self._reasons.update(reasons)

    def snapshot(self) -> dict[str, Any]:
        """Every counter as plain dicts (zeros included for the main signal counters)."""
        with self._lock:
            signals = {
                name: self._signals[name]
                for name in ("received", "accepted", "rejected", "discarded_unknown_contact")
            }
            signals["stored"] = self._signals["stored"]
            return {
                "requests": dict(self._requests),
                "requests_total": sum(self._requests.values()),
                "mutations": {
                    "accepted": self._mutations["accepted"],
                    "rejected": self._mutations["rejected"],
                },
                "signals": {**signals, "rejected_by_reason": dict(self._reasons)},
                "faults": dict(self._faults),
            }

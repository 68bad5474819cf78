"""Counters of the sandbox, served at ``GET /admin/stats`` so tests can account for every signal.

* ``requests``: GraphQL requests by outcome (``ok`` - accepted mutation, ``query``,
  ``rejected`` - a refused mutation, ``invalid`` - parse/validation failure or variables that do
  not coerce, ``failed`` - another execution error, ``unauthorized``, ``bad_request``,
  ``throttled``, ``rate_limited``, ``error``, ``unavailable``, ``outage``); a timed-out or
  gateway-timed-out request counts by its outcome and under ``faults.timeout`` or
  ``faults.gateway_timeout``.
* ``signals``: ``received`` (every signal of a parsed mutation), ``accepted`` (answered with an
  id), ``rejected`` and ``rejected_by_reason``, ``discarded_unknown_contact`` (accepted, but a
  contact key alone named no contact), ``stored``.
* ``may_be_discarded``: accepted signals lacking a field the documentation calls required,
  which Connect may discard after answering 200: ``total``, ``by_field``
  (``"pageView.url": 3``) and ``recent`` (the last :data:`RECENT` such signals: ``signalId``,
  ``signalType``, ``missing``).
* ``requests_per_second``: GraphQL requests of any outcome by wall-clock second (``"1764504000":
  12``), the last :data:`PER_SECOND_WINDOW` seconds that had any (a rate cap is measured here).
* ``faults``: injected faults by kind (``throttle``, ``rate_limit``, ``gateway_timeout``,
  ``error``, ``unavailable``, ``timeout``, ``outage``, ``latency``).

``accepted + rejected == received``; signals of requests refused before parsing (auth, faults)
are not counted as received.
"""

from __future__ import annotations

import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from typing import Any, Final

__all__ = ["PER_SECOND_WINDOW", "RECENT", "Stats"]

#: How many seconds of ``requests_per_second`` the counters keep.
PER_SECOND_WINDOW: Final = 600

#: How many "may be discarded" signals the counters remember one by one.
RECENT: Final = 50
#: The signal counters a snapshot always shows (zeros included).
_SIGNAL_COUNTERS: Final = (
    "received",
    "accepted",
    "rejected",
    "discarded_unknown_contact",
    "stored",
)


class Stats:
    """Thread-safe counters; :meth:`snapshot` is the JSON of ``GET /admin/stats``."""

    def __init__(self, *, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._zero()

    def _zero(self) -> None:
        self._per_second: dict[int, int] = {}
        self._requests: Counter[str] = Counter()
        self._signals: Counter[str] = Counter()
        self._reasons: Counter[str] = Counter()
        self._faults: Counter[str] = Counter()
        self._mutations: Counter[str] = Counter()
        self._doubtful: Counter[str] = Counter()
        self._doubtful_total = 0
        self._recent: deque[dict[str, Any]] = deque(maxlen=RECENT)

    def reset(self) -> None:
        """Zero every counter."""
        with self._lock:
            self._zero()

    def request(self, outcome: str) -> None:
        """Count one GraphQL request by ``outcome``."""
        second = int(self._clock())
        with self._lock:
            self._requests[outcome] += 1
            self._per_second[second] = self._per_second.get(second, 0) + 1
            if len(self._per_second) > PER_SECOND_WINDOW:
                del self._per_second[min(self._per_second)]

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

    def may_be_discarded(self, signal_id: str, signal_type: str, missing: tuple[str, ...]) -> None:
        """Count an accepted signal that lacks the documented required fields ``missing``."""
        fields = [m.removeprefix("signalContent.") for m in missing]
        with self._lock:
            self._doubtful_total += 1
            self._doubtful.update(f"{signal_type}.{f}" for f in fields)
            self._recent.append(
                {"signalId": signal_id, "signalType": signal_type, "missing": fields}
            )

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
            signals = {name: self._signals[name] for name in _SIGNAL_COUNTERS}
            return {
                "requests": dict(self._requests),
                "requests_total": sum(self._requests.values()),
                "requests_per_second": {str(k): v for k, v in sorted(self._per_second.items())},
                "mutations": {name: self._mutations[name] for name in ("accepted", "rejected")},
                "signals": {**signals, "rejected_by_reason": dict(self._reasons)},
                "may_be_discarded": {
                    "total": self._doubtful_total,
                    "by_field": dict(self._doubtful),
                    "recent": list(self._recent),
                },
                "faults": dict(self._faults),
            }

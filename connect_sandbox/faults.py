"""Fault injection for the sandbox: throttling, 5xx, slow answers, outages, added latency.

:class:`Faults` is the frozen setting (from the CLI at start, replaced at runtime through
``POST /admin/faults``). :class:`FaultInjector` decides, per GraphQL request, which fault (if
any) that request gets, with a ``random.Random`` seeded from ``--seed`` and re-seeded whenever
the settings change, so a run with the same settings and requests is repeatable.

Order of decisions for one request: ``latency_ms`` (always added), the outage window
(503), ``throttle_next`` (429 for the next N requests), ``rate_limit_next`` (Cosmo's
``RATE_LIMIT_EXCEEDED`` in a 200 for the next N), ``gateway_timeout_next`` (the next N answered
504 after ``gateway_timeout_s``), then one random draw shared by ``throttle_rate`` (429),
``rate_limit_rate`` (200 ``RATE_LIMIT_EXCEEDED``), ``error_rate`` (500), ``unavailable_rate``
(503), ``timeout_rate`` (answer normally, but only after ``timeout_delay_s``) and
``gateway_timeout_rate``. A rate-limited request is not processed; a gateway-timed-out one is
(the work behind a gateway goes on after it gives up), and answered
``{"message": "Endpoint request timed out"}`` with 504. ``retry_after_s`` is both the
``Retry-After`` header of a 429 and the ``retryAfterMs`` hint of a rate limit (0 gives
``Retry-After: 0``).

Answer faults (:meth:`FaultInjector.answer_fault`) apply after a ``createSignals`` mutation was
processed and accepted: ``wrong_count_next`` answers the next N with one id fewer than the
signals (the last one left out), then ``null_id_next`` the next N with its first id ``null``.
The signals are stored all the same, so a client that sends them again creates duplicates.
"""

from __future__ import annotations

import dataclasses
import math
import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final, Literal

__all__ = ["FAULT_FIELDS", "Decision", "FaultInjector", "FaultKind", "Faults"]

OutageMode = Literal["503", "refuse"]


class FaultKind(StrEnum):
    """What a request got instead of (or on top of) a normal answer."""

    THROTTLE = "throttle"
    RATE_LIMIT = "rate_limit"
    GATEWAY_TIMEOUT = "gateway_timeout"
    ERROR = "error"
    UNAVAILABLE = "unavailable"
    TIMEOUT = "timeout"
    OUTAGE = "outage"
    LATENCY = "latency"
    WRONG_COUNT = "wrong_count"
    NULL_ID = "null_id"


@dataclass(frozen=True, slots=True)
class Faults:
    """Fault settings; the defaults inject nothing. Rates are fractions of requests (0..1)."""

    throttle_rate: float = 0.0
    throttle_next: int = 0
    retry_after_s: float = 1.0
    error_rate: float = 0.0
    unavailable_rate: float = 0.0
    timeout_rate: float = 0.0
    timeout_delay_s: float = 35.0
    latency_ms: float = 0.0
    outage_s: float = 0.0
    outage_mode: OutageMode = "503"
    rate_limit_rate: float = 0.0
    rate_limit_next: int = 0
    gateway_timeout_rate: float = 0.0
    gateway_timeout_next: int = 0
    #: the hold before a 504 (API Gateway's integration limit is about 29 s)
    gateway_timeout_s: float = 29.0
    #: the next N accepted mutations are answered with one ``signalIds`` entry missing
    wrong_count_next: int = 0
    #: then the next N accepted mutations with their first ``signalIds`` entry ``null``
    null_id_next: int = 0

    def __post_init__(self) -> None:
        rates = [getattr(self, name) for name in FAULT_FIELDS if name.endswith("_rate")]
        if any(not 0.0 <= rate <= 1.0 for rate in rates):
            raise ValueError("fault rates must be between 0 and 1")
        if sum(rates) > 1.0 + 1e-9:
            raise ValueError("the fault rates must add up to at most 1")
        numbers = [getattr(self, name) for name, kind in FAULT_FIELDS.items() if kind is not str]
        if any(not math.isfinite(value) or value < 0 for value in numbers):
            raise ValueError(
                "throttle_next, retry_after_s, timeout_delay_s, latency_ms, outage_s, "
                "rate_limit_next, gateway_timeout_next, gateway_timeout_s, wrong_count_next and "
                "null_id_next must be finite and >= 0"
            )
        if self.outage_mode not in ("503", "refuse"):
            raise ValueError("outage_mode must be '503' or 'refuse'")

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> Faults:
        """Build from a JSON object; unknown keys and wrong types raise ValueError."""
        unknown = set(data) - set(FAULT_FIELDS)
        if unknown:
            raise ValueError(f"unknown fault settings: {', '.join(sorted(unknown))}")
        values: dict[str, Any] = {}
        for name, value in data.items():
            kind = FAULT_FIELDS[name]
            if kind is str:
                values[name] = str(value)
            elif type(value) is bool or not isinstance(value, int | float):
                raise ValueError(f"{name} must be a number")
            elif kind is int:
                if value != int(value):
                    raise ValueError(f"{name} must be an integer")
                values[name] = int(value)
            else:
                values[name] = float(value)
        return cls(**values)

    def as_dict(self) -> dict[str, Any]:
        """The settings as a JSON-ready dict."""
        return dataclasses.asdict(self)


#: Field name -> its type (int, float or str), for parsing JSON bodies and CLI options.
FAULT_FIELDS: Final[dict[str, type]] = {
    field.name: {"int": int, "float": float}.get(str(field.type), str)
    for field in dataclasses.fields(Faults)
}
#: The ``*_next`` settings: how many of the next requests (or accepted mutations) get the fault.
_COUNTDOWNS: Final = tuple(name for name in FAULT_FIELDS if name.endswith("_next"))


@dataclass(frozen=True, slots=True)
class Decision:
    """The fault for one request; ``kind`` None means no fault besides ``latency_s``.

    ``status`` is the HTTP status of a fault answer (429, 500, 503, and 200 for
    ``RATE_LIMIT``; 200 with no kind means answer normally); ``retry_after_s`` goes into the
    ``Retry-After`` header of a 429 and ``retryAfterMs`` of a rate limit. ``latency_s`` is
    slept before anything else; ``hold_s`` is slept after the request was processed, before the
    answer is sent (``TIMEOUT`` and ``GATEWAY_TIMEOUT``: the work is done, the client has given
    up).
    """

    kind: FaultKind | None = None
    status: int = 200
    latency_s: float = 0.0
    hold_s: float = 0.0
    retry_after_s: float | None = None


class FaultInjector:
    """Thread-safe holder of the current :class:`Faults` and their runtime state."""

    def __init__(
        self,
        faults: Faults | None = None,
        *,
        seed: int = 0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._seed = seed
        self._clock = clock
        self._lock = threading.Lock()
        self._faults = Faults()
        self._random = random.Random(seed)
        self._left = dict.fromkeys(_COUNTDOWNS, 0)
        self._outage_until = 0.0
        self.replace(faults or Faults())

    def replace(self, faults: Faults) -> None:
        """Use ``faults`` from now on: re-seed, restart ``throttle_next`` and the outage."""
        with self._lock:
            self._faults = faults
            self._random = random.Random(self._seed)
            self._left = {name: getattr(faults, name) for name in _COUNTDOWNS}
            # "refuse" outages are made by stopping the process (CLI / test fixture), not here.
            in_process = faults.outage_s and faults.outage_mode == "503"
            self._outage_until = self._clock() + faults.outage_s if in_process else 0.0

    def state(self) -> dict[str, Any]:
        """Settings plus what is left of ``throttle_next`` and of the outage window."""
        with self._lock:
            outage_left = max(0.0, self._outage_until - self._clock())
            return {
                **self._faults.as_dict(),
                **{f"{name}_left": left for name, left in self._left.items()},
                "outage_left_s": round(outage_left, 3),
            }

    def _take(self, countdown: str) -> bool:
        """Use up one of ``countdown`` (a ``*_next`` setting) if any is left; lock held."""
        if self._left[countdown] <= 0:
            return False
        self._left[countdown] -= 1
        return True

    def decide(self) -> Decision:
        """The fault for the next GraphQL request (advances the random stream)."""
        with self._lock:
            faults = self._faults
            latency = faults.latency_ms / 1000.0
            if self._outage_until and self._clock() < self._outage_until:
                return Decision(FaultKind.OUTAGE, 503, latency)
            retry_after = math.ceil(faults.retry_after_s)
            throttle = Decision(FaultKind.THROTTLE, 429, latency, retry_after_s=retry_after)
            limited = Decision(
                FaultKind.RATE_LIMIT, 200, latency, retry_after_s=faults.retry_after_s
            )
            gateway = Decision(FaultKind.GATEWAY_TIMEOUT, 504, latency, faults.gateway_timeout_s)
            for countdown, decision in (
                ("throttle_next", throttle),
                ("rate_limit_next", limited),
                ("gateway_timeout_next", gateway),
            ):
                if self._take(countdown):
                    return decision
            draw = self._random.random()
            edge = 0.0
            for rate, decision in (
                (faults.throttle_rate, throttle),
                (faults.rate_limit_rate, limited),
                (faults.error_rate, Decision(FaultKind.ERROR, 500, latency)),
                (faults.unavailable_rate, Decision(FaultKind.UNAVAILABLE, 503, latency)),
                (
                    faults.timeout_rate,
                    Decision(FaultKind.TIMEOUT, 200, latency, faults.timeout_delay_s),
                ),
                (faults.gateway_timeout_rate, gateway),
            ):
                edge += rate
                if draw < edge:
                    return decision
            return Decision(None, 200, latency)

    def answer_fault(self) -> FaultKind | None:
        """How to spoil the answer to a mutation that was just accepted (``WRONG_COUNT``,
        ``NULL_ID``), or None; uses up one of ``wrong_count_next``, else of ``null_id_next``."""
        with self._lock:
            if self._take("wrong_count_next"):
                return FaultKind.WRONG_COUNT
            return FaultKind.NULL_ID if self._take("null_id_next") else None

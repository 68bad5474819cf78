"""The sandbox's behaviour behind the GraphQL schema: validation, ids, contacts, counters.

:meth:`Sandbox.create_signals` is the ``createSignals`` resolver's work: at most
:data:`MAX_SIGNALS` signals; every signal checked by the sandbox's own reading of the reference
(:mod:`connect_sandbox.validation`, independent of the consumer's rules) against the configured
tier and known app keys; any refused signal rejects the whole mutation, worded in the current
error dialect (:mod:`connect_sandbox.dialect`); otherwise one uuid4 per signal, in order, and
(unless in benchmark mode) the signals stored. Accepted signals that lack a field the
documentation calls required are counted as "may be discarded by Connect" (page, admin API).
With ``record_latency`` every accepted mutation is also shown to a
:class:`~connect_sandbox.latency.LatencyRecorder` (the benchmarks' latency figures).
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from connect_sandbox.dialect import ErrorDialect, rejection, too_many
from connect_sandbox.faults import FaultInjector, Faults
from connect_sandbox.latency import LatencyRecorder
from connect_sandbox.stats import Stats
from connect_sandbox.store import Incoming, Store
from connect_sandbox.validation import TIERS, Violation, check_signal
from consumer.errors import ConfigurationError

__all__ = [
    "DEFAULT_API_KEY",
    "DEFAULT_APP_KEYS",
    "DEFAULT_DB",
    "MAX_SIGNALS",
    "Sandbox",
    "SandboxConfig",
    "uuid4_strings",
]

#: At most this many signals per mutation (reference 2.1).
MAX_SIGNALS: Final = 500
DEFAULT_API_KEY: Final = "sandbox-api-key"
DEFAULT_APP_KEYS: Final = ("sandbox-app", "demo-app")
DEFAULT_DB: Final = Path(".cache/sandbox/sandbox.db")


@dataclass(frozen=True, slots=True)
class SandboxConfig:
    """How one sandbox behaves (the CLI options)."""

    db_path: Path | str = DEFAULT_DB
    api_keys: frozenset[str] = frozenset({DEFAULT_API_KEY})
    app_keys: frozenset[str] = frozenset(DEFAULT_APP_KEYS)
    tier: str = "premium"
    benchmark: bool = False
    #: keep event-time -> acceptance latencies and the acceptance window (``latency.py``)
    record_latency: bool = False
    seed: int = 0
    faults: Faults = field(default_factory=Faults)
    #: how refusals are worded (``dialect.py``); changeable at runtime (``POST /admin/settings``)
    error_dialect: ErrorDialect = ErrorDialect.REALISTIC

    def __post_init__(self) -> None:
        if self.error_dialect not in tuple(ErrorDialect):
            raise ConfigurationError(
                f"unknown error dialect {self.error_dialect!r} (realistic, indexed)",
                setting="--error-dialect",
            )
        if self.tier not in TIERS:
            raise ConfigurationError(
                f"unknown subscription tier {self.tier!r} (pro, premium, ultimate)",
                setting="--tier",
            )
        if not self.api_keys:
            raise ConfigurationError("at least one API key is needed", setting="--api-key")


_VERSION_4: Final = bytes.maketrans(bytes(range(256)), bytes((b & 0x0F) | 0x40 for b in range(256)))
_VARIANT_1: Final = bytes.maketrans(bytes(range(256)), bytes((b & 0x3F) | 0x80 for b in range(256)))


def uuid4_strings(count: int) -> list[str]:
    """``count`` random (version 4) UUIDs as strings, like ``str(uuid.uuid4())`` but in bulk."""
    raw = bytearray(os.urandom(16 * count))
    raw[6::16] = raw[6::16].translate(_VERSION_4)
    raw[8::16] = raw[8::16].translate(_VARIANT_1)
    text = raw.hex()
    return [
        f"{text[i : i + 8]}-{text[i + 8 : i + 12]}-{text[i + 12 : i + 16]}-"
        f"{text[i + 16 : i + 20]}-{text[i + 20 : i + 32]}"
        for i in range(0, 32 * count, 32)
    ]


def _reason(violations: tuple[Violation, ...]) -> str:
    first = violations[0]
    if first.category == "NOT_ENTITLED":
        return "not_entitled"
    if first.category == "APP_KEY":
        return "unknown_app_key"
    return f"invalid:{first.path}"


def _identity(attributes: Mapping[str, Any]) -> tuple[str, str]:
    for kind, value in attributes.items():
        if value is not None and value != "":
            return kind, value
    raise AssertionError("validated input without an identifiable attribute")  # pragma: no cover


class Sandbox:
    """One sandbox: configuration, store, faults and counters."""

    def __init__(self, config: SandboxConfig, *, clock: Any = time.time) -> None:
        self.config = config
        self.store = Store(config.db_path)
        self.stats = Stats()
        self.faults = FaultInjector(config.faults, seed=config.seed)
        self.latency = LatencyRecorder(seed=config.seed) if config.record_latency else None
        self.error_dialect = ErrorDialect(config.error_dialect)
        self._clock = clock

    def close(self) -> None:
        """Release the database."""
        self.store.close()

    def now_ms(self) -> int:
        """The current time in epoch milliseconds."""
        return int(self._clock() * 1000)

    def authorised(self, api_key: str | None) -> bool:
        """Whether ``api_key`` is one of the accepted keys."""
        return api_key is not None and api_key in self.config.api_keys

    def reset(self, *, data: bool = False) -> None:
        """Zero the counters; delete contacts, signals and sessions too when ``data``."""
        self.stats.reset()
        if self.latency is not None:
            self.latency.reset()
        if data:
            self.store.clear()

    def create_signals(self, inputs: Sequence[Any]) -> list[str]:
        """Validate and accept ``inputs`` whole, or raise :class:`~.dialect.Rejected`."""
        count = len(inputs)
        if count > MAX_SIGNALS:
            self.stats.rejected(Counter({"too_many_signals": count}))
            raise too_many(self.error_dialect, count, MAX_SIGNALS)
        tier, app_keys = self.config.tier, self.config.app_keys
        invalid: list[tuple[int, tuple[Violation, ...]]] = []
        doubtful: list[tuple[int, tuple[str, ...]]] = []
        for index, obj in enumerate(inputs):
            verdict = check_signal(obj, tier=tier, app_keys=app_keys)
            if verdict.violations:
                invalid.append((index, verdict.violations))
            elif verdict.missing:
                doubtful.append((index, verdict.missing))
        if invalid:
            reasons: Counter[str] = Counter(_reason(found) for _, found in invalid)
            if count > len(invalid):
                reasons["batch_rejected"] = count - len(invalid)
            self.stats.rejected(reasons)
            raise rejection(self.error_dialect, invalid, count)
        ids = uuid4_strings(count)
        for index, missing in doubtful:
            content = inputs[index]["signalContent"]
            self.stats.may_be_discarded(ids[index], content["signalType"], missing)
        if self.latency is not None:
            self.latency.observe(inputs, self.now_ms())
        if self.config.benchmark:
            self.stats.accepted(count)
            return ids
        batch = []
        for signal_id, obj in zip(ids, inputs, strict=True):
            kind, value = _identity(obj["identifiableAttributes"])
            batch.append(
                Incoming(
                    signal_id=signal_id,
                    app_key=obj["appKey"],
                    identity_kind=kind,
                    identity_value=value,
                    content=obj["signalContent"],
                    session_id=obj.get("sessionId"),
                    test=bool(obj.get("test")),
                )
            )
        discarded = self.store.add_signals(batch, self.now_ms())
        self.stats.accepted(count, discarded=len(discarded), stored=count - len(discarded))
        return ids

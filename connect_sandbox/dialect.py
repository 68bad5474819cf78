"""How the sandbox words its refusals: Connect's dialect (``realistic``) or its own (``indexed``).

==========================  ====================================================================
answer                      body (HTTP status)
==========================  ====================================================================
rejection, ``realistic``    ``{"data": null, "errors": [{"message": "Field unitPrice has invalid
                            value: \\"abc\\". Category: TYPE. Message: ...", "locations": [...],
                            "path": ["createSignals"], "extensions": {"code":
                            "INVALID_ATTRIBUTE_VALUE", "category": "TYPE"}}, ...]}`` (200): one
                            entry per refused signal (at most :data:`MAX_ENTRIES`), no index -
                            the shape of Connect's contact mutations (reference 9)
rejection, ``indexed``      ``{"data": {"createSignals": null}, "errors": [{"message":
                            "signals[3].signalContent.unitPrice: ...", ..., "extensions":
                            {"code": "BAD_USER_INPUT", "violations": [{"index", "field",
                            "reason"}, ...]}}]}`` (200): the sandbox's older, friendlier answer
rate limit (Cosmo)          ``{"errors": [{"message": "Rate limit exceeded for Subgraph
                            'signals'", "extensions": {"code": "RATE_LIMIT_EXCEEDED"}}],
                            "extensions": {"rateLimit": {"retryAfterMs", "resetAfterMs"}}}``
                            (200), no ``Retry-After`` header (reference 9)
gateway timeout             ``{"message": "Endpoint request timed out"}`` (504): AWS API
                            Gateway's body, not GraphQL (reference 9)
==========================  ====================================================================
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import Any, Final

from graphql import GraphQLError

from connect_sandbox.validation import Violation
from consumer.errors import ConfigurationError

__all__ = [
    "GATEWAY_TIMEOUT_BODY",
    "MAX_ENTRIES",
    "ErrorDialect",
    "Rejected",
    "parse_dialect",
    "rate_limit_body",
    "rejection",
    "too_many",
]

#: At most this many ``errors[]`` entries in a realistic rejection.
MAX_ENTRIES: Final = 25
GATEWAY_TIMEOUT_BODY: Final = {"message": "Endpoint request timed out"}


class ErrorDialect(StrEnum):
    """``realistic``: Connect's (default); ``indexed``: BAD_USER_INPUT with signal indexes."""

    REALISTIC = "realistic"
    INDEXED = "indexed"


class Rejected(GraphQLError):
    """A ``createSignals`` mutation refused whole; ``entries`` are its ``errors[]`` items.

    Each entry has ``message`` and ``extensions``; the endpoint adds ``locations`` and
    ``path``. ``data_null``: the answer's ``data`` is ``null`` (else ``{"createSignals": null}``).
    """

    def __init__(self, entries: Sequence[dict[str, Any]], *, data_null: bool) -> None:
        super().__init__(entries[0]["message"], extensions=entries[0]["extensions"])
        self.entries = list(entries)
        self.data_null = data_null


def parse_dialect(value: str) -> ErrorDialect:
    """``value`` as a dialect; anything else stops the sandbox naming the setting."""
    try:
        return ErrorDialect(value)
    except ValueError:
        raise ConfigurationError(
            f"unknown error dialect {value!r} (realistic, indexed)",
            setting="--error-dialect / SIGNALS_SANDBOX_ERROR_DIALECT",
        ) from None


def rejection(
    dialect: ErrorDialect, invalid: Sequence[tuple[int, Sequence[Violation]]], count: int
) -> Rejected:
    """The refusal of a mutation of ``count`` signals, ``invalid`` as (index, violations)."""
    if dialect is ErrorDialect.REALISTIC:
        entries = []
        for _, violations in invalid[:MAX_ENTRIES]:
            first = violations[0]
            extensions: dict[str, Any] = {"code": first.code}
            if first.code != "ATTRIBUTE_NOT_DEFINED":
                extensions["category"] = first.category
            entries.append({"message": first.message(), "extensions": extensions})
        return Rejected(entries, data_null=True)
    index, violations = invalid[0]
    total = sum(len(v) for _, v in invalid)
    first = violations[0]
    message = (
        f"signals[{index}].{first.path}: {first.reason} "
        f"({total} violation{'s' if total != 1 else ''} in {len(invalid)} of {count} "
        "signals; the mutation was rejected)"
    )
    indexed: dict[str, Any] = {
        "code": "BAD_USER_INPUT",
        "violations": [
            {"index": i, "field": v.path, "reason": v.reason} for i, found in invalid for v in found
        ],
    }
    return Rejected([{"message": message, "extensions": indexed}], data_null=False)


def too_many(dialect: ErrorDialect, count: int, limit: int) -> Rejected:
    """The refusal of a mutation of more than ``limit`` signals."""
    if dialect is ErrorDialect.REALISTIC:
        message = (
            f"Field signals has invalid value: {count} signals. Category: LIMIT. "
            f"Message: at most {limit} signals per mutation"
        )
        extensions: dict[str, Any] = {"code": "INVALID_ATTRIBUTE_VALUE", "category": "LIMIT"}
        return Rejected([{"message": message, "extensions": extensions}], data_null=True)
    extensions = {
        "code": "BAD_USER_INPUT",
        "violations": [],
        "maxSignals": limit,
        "signalCount": count,
    }
    message = f"at most {limit} signals per mutation, got {count}"
    return Rejected([{"message": message, "extensions": extensions}], data_null=False)


def rate_limit_body(retry_after_ms: int, subgraph: str = "signals") -> dict[str, Any]:
    """WunderGraph Cosmo's rate-limit answer (sent with HTTP 200)."""
    return {
        "errors": [
            {
                "message": f"Rate limit exceeded for Subgraph '{subgraph}'",
                "extensions": {"code": "RATE_LIMIT_EXCEEDED"},
            }
        ],
        "extensions": {
            "rateLimit": {"retryAfterMs": retry_after_ms, "resetAfterMs": retry_after_ms}
        },
    }

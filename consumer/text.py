"""Bounded text: cutting untrusted text to a size that is safe to mask, log and dead-letter.

Leaf module (no imports from the package): :mod:`consumer.errors` bounds every permanent
failure's message with it, :mod:`consumer.logs` every log value.
"""

from __future__ import annotations

import re

__all__ = ["ERROR_TEXT_MAX", "clip"]

#: Longest message a failure carries (an event's content can be in it; issue 14, item 2).
ERROR_TEXT_MAX = 1_000
#: A run of the characters e-mail addresses and phone numbers are made of, read forwards.
_RUN = re.compile(r"[A-Za-z0-9._%+@-]*+")
_RUN_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._%+@-")


def _run_around(value: str, cut: int) -> tuple[int, int] | None:
    """The run of address characters that ``cut`` splits, when it may hold an address."""
    if not 0 < cut < len(value) or value[cut - 1] not in _RUN_CHARS or value[cut] not in _RUN_CHARS:
        return None
    stop = _RUN.match(value, cut).end()  # type: ignore[union-attr]
    back = _RUN.match(value[cut - 1 :: -1]).end()  # type: ignore[union-attr]
    start = cut - back
    run = value[start:stop]
    return (start, stop) if "@" in run or "+" in run else None


def clip(value: str, limit: int) -> str:
    """``value`` cut to about ``limit`` characters: its head and tail around a marker.

    Linear, and safe to mask afterwards: a cut never splits an e-mail address or a phone
    number (the run of address characters it would split is dropped whole), so no part of one
    is left where the masking patterns cannot recognise it.
    """
    if len(value) <= limit:
        return value
    head, tail = limit // 2, len(value) - (limit - limit // 2)
    run = _run_around(value, head)
    if run is not None:
        head = run[0]
    run = _run_around(value, tail)
    if run is not None:
        tail = run[1]
    return f"{value[:head]}…[{tail - head} chars cut]…{value[tail:]}"

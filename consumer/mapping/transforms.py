"""Value transforms: the timestamp rendering of the mapper and the custom-mapping transforms.

Every transform takes one value and returns the new value, or raises ``ValueError`` /
``TypeError`` (the custom mapping turns them into a ``MappingError`` naming the field).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Final

__all__ = ["TRANSFORMS", "Transform", "epoch_ms_to_iso", "epoch_s_to_iso", "to_iso_millis"]

Transform = Callable[[Any], Any]


def epoch_ms_to_iso(value: Any) -> str:
    """Epoch milliseconds -> ``2025-05-01T10:00:00.000Z``."""
    if type(value) is not int:
        if type(value) is float and value.is_integer():
            value = int(value)
        else:
            raise TypeError("expected epoch milliseconds (an integer)")
    seconds, millis = divmod(value, 1000)
    try:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))
    except (OverflowError, OSError, ValueError) as exc:
        raise ValueError(f"epoch milliseconds out of range: {value}") from exc
    return f"{stamp}.{millis:03d}Z"


def epoch_s_to_iso(value: Any) -> str:
    """Epoch seconds (int or float) -> ``2025-05-01T10:00:00.000Z``."""
    if type(value) not in (int, float):
        raise TypeError("expected epoch seconds (a number)")
    return epoch_ms_to_iso(round(value * 1000))


def to_iso_millis(value: Any) -> str:
    """A datetime (naive means UTC) or epoch ms -> ISO 8601 UTC with milliseconds."""
    if isinstance(value, datetime):
        moment: datetime = value.astimezone(UTC) if value.utcoffset() else value
        return moment.isoformat(timespec="milliseconds")[:23] + "Z"
    return epoch_ms_to_iso(value)


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError("expected a string")
    return value


def _cents_to_units(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError("expected an amount in cents (a number)")
    return round(value / 100, 2)


def _to_string(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return to_iso_millis(value)
    if isinstance(value, str | int | float):
        return str(value)
    raise TypeError("expected a scalar")


def _to_number(value: Any) -> int | float:
    if type(value) in (int, float):
        return value  # type: ignore[no-any-return]
    if type(value) is str:
        text = value.strip()
        try:
            return int(text)
        except ValueError:
            number = float(text)
        if not math.isfinite(number):
            raise ValueError(f"not a finite number: {value!r}")
        return number
    raise TypeError("expected a number or a numeric string")


#: The transforms a custom mapping may name (docs/mapping.md).
TRANSFORMS: Final[dict[str, Transform]] = {
    "lower": lambda v: _text(v).lower(),
    "upper": lambda v: _text(v).upper(),
    "trim": lambda v: _text(v).strip(),
    "cents_to_units": _cents_to_units,
    "epoch_ms_to_iso": epoch_ms_to_iso,
    "epoch_s_to_iso": epoch_s_to_iso,
    "to_string": _to_string,
    "to_number": _to_number,
}

"""Field paths of custom mappings: ``a.b``, ``items[0].sku``, ``items[*].sku``, ``attrs["k"]``.

A path is compiled once (:func:`compile_path`, ``ValueError`` on bad syntax) and read with
:func:`read_path`. Unions need no syntax: fastavro returns the chosen branch's value, and a null
branch reads as missing. ``[*]`` fans out over a list and yields a list (missing items dropped).
"""

from __future__ import annotations

import re
from typing import Any, Final

__all__ = ["ALL", "Path", "Step", "compile_path", "read_path"]

#: The ``[*]`` step.
ALL: Final = object()

Step = str | int | object  # a key, a list index, or ALL
Path = tuple[Step, ...]

_TOKEN: Final = re.compile(
    r"""(?P<name>[A-Za-z_][A-Za-z0-9_]*)
      | \[(?P<index>-?\d+)\]
      | \[(?P<all>\*)\]
      | \["(?P<dq>[^"\\]*)"\]
      | \['(?P<sq>[^'\\]*)'\]
      | (?P<dot>\.)""",
    re.VERBOSE,
)


def compile_path(text: str) -> Path:
    """Parse ``text`` into steps; raises ValueError naming the bad position."""
    steps: list[Step] = []
    pos = 0
    expect_name = True  # at the start and after a dot a name must follow
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            raise ValueError(f"bad path {text!r} at position {pos}")
        kind = match.lastgroup
        if kind == "dot":
            if expect_name:
                raise ValueError(f"bad path {text!r}: unexpected '.' at position {pos}")
            expect_name = True
        elif kind == "name":
            if not expect_name:
                raise ValueError(f"bad path {text!r}: missing '.' at position {pos}")
            steps.append(match.group("name"))
            expect_name = False
        else:
            if expect_name:
                raise ValueError(f"bad path {text!r}: '[' must follow a name at position {pos}")
            if kind == "index":
                steps.append(int(match.group("index")))
            elif kind == "all":
                steps.append(ALL)
            else:
                steps.append(match.group(kind or "dq"))
        pos = match.end()
    if not steps or expect_name:
        raise ValueError(f"bad path {text!r}: it must not be empty or end with '.'")
    return tuple(steps)


def read_path(path: Path, value: Any, start: int = 0) -> Any:
    """The value at ``path`` inside ``value``; None when any step is missing."""
    for position in range(start, len(path)):
        if value is None:
            return None
        step = path[position]
        if type(step) is str:
            value = value.get(step) if isinstance(value, dict) else None
        elif type(step) is int:
            if not isinstance(value, list) or not -len(value) <= step < len(value):
                return None
            value = value[step]
        else:  # ALL
            if not isinstance(value, list):
                return None
            items = (read_path(path, item, position + 1) for item in value)
            return [item for item in items if item is not None]
    return value

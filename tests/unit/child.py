"""Run code in a child interpreter under a time guard: for tests of what could hang for ever
(a regex holding the GIL, a deadlock), which a thread of the test process cannot time out."""

from __future__ import annotations

import subprocess
import sys

__all__ = ["GUARD_S", "finishes"]

GUARD_S = 20.0


def finishes(code: str, *, hang: str) -> str:
    """``code``'s stdout; fails with ``hang`` when it has not finished after GUARD_S, and with
    its stderr when it exits non-zero. The guard is generous: a correctness check, no speed goal."""
    try:
        done = subprocess.run(
            [sys.executable, "-c", code],
            check=False,
            capture_output=True,
            text=True,
            timeout=GUARD_S,
        )
    except subprocess.TimeoutExpired as exc:
        raise AssertionError(f"did not finish within {GUARD_S} s: {hang}") from exc
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout

"""Benchmarks: ``make bench`` (bench/run.py) and the sandbox benchmark (bench/bench_sandbox.py)."""

from __future__ import annotations

__all__: list[str] = []

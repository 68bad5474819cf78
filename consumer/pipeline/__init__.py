"""The consumer pipeline: poll loop, batching, offsets, dead letters, rebalance, health.

``Pipeline.from_settings(settings).run(stop_event)`` is the whole consumer; ``signals-consumer
run`` wraps it.
docs/pipeline.md describes the commit protocol and the ordering guarantee.
"""

from __future__ import annotations

__all__ = ["Pipeline"]

from consumer.pipeline.loop import Pipeline

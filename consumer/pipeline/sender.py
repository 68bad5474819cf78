"""Mutations in flight: batch jobs, their splitting, and the worker pool.

A :class:`Job` is one batch cut by the batcher. It is sent as a sequence of *chunks*: first the
whole batch; when the API rejects it (or confirms only part of it), the chunk is replaced by
the chunks :func:`consumer.connect.policy.decide` says - the rest without the signals the API
named, or the two halves (bisection) - until single bad signals are isolated. Only one chunk of
a job is in flight at a time, so the accepted signals of a partition stay in offset order
(except after a query-level refusal confirmed on a lone signal: that probe moves behind the
job's other chunks and the queued signals it takes to probe with). Workers only call ``send``;
the loop thread owns every decision and reads outcomes from a queue.
"""

from __future__ import annotations

import itertools
import queue
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from consumer.connect.policy import RetryWindow
from consumer.pipeline.batcher import Item
from consumer.pipeline.offsets import TopicPartitionKey
from consumer.types import SendFn

__all__ = ["Job", "Outcome", "WorkerPool"]

_ids = itertools.count(1)


@dataclass(slots=True)
class Job:
    """One batch being delivered, as a queue of chunks (the first is the one to send)."""

    chunks: deque[list[Item]]
    #: partitions this job holds in the batcher (released when the job is done)
    holds: set[TopicPartitionKey] = field(default_factory=set)
    id: int = field(default_factory=lambda: next(_ids))
    attempt: int = 0
    #: the ``cause`` of the last retry: the attempt count starts again when it changes
    cause: str | None = None
    #: unrecognised answers to the current chunk (bounded by SIGNALS_UNKNOWN_ERROR_MAX_ATTEMPTS)
    unknown_answers: int = 0
    #: since when the current chunk fails transiently (the elapsed-time limit of its retries)
    window: RetryWindow = field(default_factory=RetryWindow)
    #: the API refused the query itself for a chunk of this job (bisected, nothing dead-lettered)
    query_failed: bool = False
    #: a chunk of this job was accepted after that: a lone signal failing so is the data's fault
    accepted_after_query_failure: bool = False

    @classmethod
    def of(cls, items: list[Item]) -> Job:
        """A job sending ``items`` as one chunk."""
        return cls(chunks=deque([items]), holds={i.tp for i in items})

    @property
    def current(self) -> list[Item]:
        """The chunk to send next."""
        return self.chunks[0]

    def done(self) -> bool:
        """True when every chunk is resolved."""
        return not self.chunks

    def tps(self) -> set[TopicPartitionKey]:
        """Partitions of every unresolved item."""
        return {i.tp for chunk in self.chunks for i in chunk}

    def advance(self) -> list[Item]:
        """Drop the current chunk (it is resolved) and reset the retry state."""
        chunk = self.chunks.popleft()
        self.attempt = 0
        self.cause = None
        self.fresh_limits()
        return chunk

    def fresh_limits(self) -> None:
        """Another chunk became the current one: its retry limits (unrecognised answers,
        elapsed time) are its own. The attempt count goes on: it paces a stop's probes, and a
        failure of another cause starts it again anyway (``policy.next_attempt``)."""
        self.unknown_answers = 0
        self.window = RetryWindow()

    def drop(self, tps: set[TopicPartitionKey]) -> None:
        """Forget the items of ``tps`` (revoked or lost partitions)."""
        self.prune(lambda i: i.tp not in tps)

    def prune(self, keep: Callable[[Item], bool]) -> None:
        """Keep only the items ``keep`` accepts; empty chunks disappear."""
        kept = ([i for i in chunk if keep(i)] for chunk in self.chunks)
        self.chunks = deque(chunk for chunk in kept if chunk)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one send of a job's current chunk returned."""

    job: Job
    count: int
    ids: list[str] | None
    error: BaseException | None
    duration_s: float


class WorkerPool:
    """Threads calling ``send``; outcomes come back through a queue drained by the loop."""

    def __init__(self, send: SendFn, max_in_flight: int) -> None:
        self._send = send
        self.max_in_flight = max_in_flight
        self._executor = ThreadPoolExecutor(max_in_flight, thread_name_prefix="signals-send")
        self._results: queue.Queue[Outcome] = queue.Queue()
        self.in_flight = 0
        self._jobs: dict[int, Job] = {}

    def has_capacity(self) -> bool:
        """True when another mutation may be started."""
        return self.in_flight < self.max_in_flight

    def submit(self, job: Job) -> None:
        """Send the job's current chunk on a worker thread."""
        literals = [item.literal for item in job.current]
        self.in_flight += 1
        self._jobs[job.id] = job
        self._executor.submit(self._run, job, literals)

    def _run(self, job: Job, literals: list[str]) -> None:
        start = time.monotonic()
        try:
            ids = self._send(literals)
        except BaseException as exc:
            self._results.put(Outcome(job, len(literals), None, exc, time.monotonic() - start))
        else:
            self._results.put(Outcome(job, len(literals), ids, None, time.monotonic() - start))

    def outcomes(self, timeout_s: float = 0.0) -> list[Outcome]:
        """Outcomes available now (waiting up to ``timeout_s`` for the first)."""
        out: list[Outcome] = []
        try:
            out.append(self._results.get(block=timeout_s > 0, timeout=timeout_s))
            while True:
                out.append(self._results.get_nowait())
        except queue.Empty:
            pass
        for outcome in out:
            self.in_flight -= 1
            self._jobs.pop(outcome.job.id, None)
        return out

    def jobs(self) -> list[Job]:
        """Jobs with a chunk in flight."""
        return list(self._jobs.values())

    def shutdown(self) -> None:
        """Stop the threads (does not wait for hanging requests)."""
        self._executor.shutdown(wait=False, cancel_futures=True)

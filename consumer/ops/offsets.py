"""``signals-consumer offsets reset``: move the live group's committed offsets, safely.

By default nothing changes: the command prints, per partition, the committed offset, the new
one, the log start and end offsets and the lag before and after. ``execute`` applies the new
offsets with ``AdminClient.alter_consumer_group_offsets`` - and is refused while the group has
active members (``describe_consumer_groups``), because a running member would overwrite the
reset with its next commit. Stop the consumers (scale the deployment to zero) first.

Targets: a time (the first offset stamped at or after it; the end offset when there is none),
an offset (clamped to ``[log start, end]``), the earliest retained record, or the end (latest).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from rich.console import Console
from rich.table import Table

from consumer.config import Settings
from consumer.errors import OperationRefused
from consumer.logs import get_logger
from consumer.ops.kafka_io import (
    TIMEOUT_S,
    offsets_for_time,
    ops_consumer,
    refusing,
    topic_partitions,
    watermarks,
)
from consumer.ops.ranges import Watermarks

__all__ = [
    "GroupInfo",
    "ResetOptions",
    "ResetRow",
    "ResetTarget",
    "apply_reset",
    "describe_group",
    "plan_row",
    "render_reset",
    "run_reset",
]


_ACTIVE_STATES = {"STABLE", "PREPARING_REBALANCING", "COMPLETING_REBALANCING"}


@dataclass(frozen=True, slots=True)
class ResetTarget:
    """Where to move the offsets: a time (epoch ms), an offset, earliest or latest."""

    kind: Literal["time", "offset", "earliest", "latest"]
    value: int = 0


@dataclass(frozen=True, slots=True)
class ResetOptions:
    """The group, the target, the selection and whether to apply."""

    group: str
    target: ResetTarget
    topic: str | None = None
    partitions: tuple[int, ...] = ()
    execute: bool = False


@dataclass(frozen=True, slots=True)
class GroupInfo:
    """What ``describe_consumer_groups`` says about the group."""

    group: str
    state: str
    members: int

    @property
    def active(self) -> bool:
        """True while a consumer is a member (a reset would be overwritten)."""
        return self.members > 0 or self.state in _ACTIVE_STATES


@dataclass(frozen=True, slots=True)
class ResetRow:
    """One partition's offsets before and after the reset."""

    topic: str
    partition: int
    current: int | None
    new: int
    marks: Watermarks
    note: str = ""

    @property
    def lag_before(self) -> int | None:
        """Records behind the end before the reset (None when nothing is committed)."""
        return None if self.current is None else max(0, self.marks.high - self.current)

    @property
    def lag_after(self) -> int:
        """Records behind the end after the reset."""
        return max(0, self.marks.high - self.new)


def plan_row(
    topic: str,
    partition: int,
    current: int | None,
    marks: Watermarks,
    target: ResetTarget,
    *,
    time_offset: int | None = None,
) -> ResetRow:
    """The new offset of one partition (pure; ``time_offset`` is the broker's time lookup)."""
    note = ""
    if target.kind == "earliest":
        new = marks.low
    elif target.kind == "latest":
        new = marks.high
    elif target.kind == "offset":
        new = min(max(target.value, marks.low), marks.high)
        if target.value < marks.low:
            note = f"{target.value} is before the log start offset: clamped"
        elif target.value > marks.high:
            note = f"{target.value} is past the end offset: clamped"
    elif time_offset is None or time_offset < 0:
        new, note = marks.high, "no record at or after the time: end offset"
    else:
        new = min(max(time_offset, marks.low), marks.high)
    if current is not None and new == current and not note:
        note = "unchanged"
    return ResetRow(topic, partition, current, new, marks, note)


def describe_group(admin: Any, group: str) -> GroupInfo:
    """State and member count of ``group`` (a group that does not exist is ``DEAD``, 0)."""
    with refusing(f"cannot describe the consumer group {group!r}"):
        desc = admin.describe_consumer_groups([group], request_timeout=TIMEOUT_S)[group].result()
    state = getattr(desc.state, "name", str(desc.state))
    return GroupInfo(group, str(state), len(desc.members or []))


def _committed(admin: Any, group: str, tps: list[tuple[str, int]] | None) -> dict[Any, int]:
    from confluent_kafka import ConsumerGroupTopicPartitions, TopicPartition

    request = ConsumerGroupTopicPartitions(
        group, [TopicPartition(t, p) for t, p in tps] if tps is not None else None
    )
    with refusing(f"cannot read the offsets of group {group!r}"):
        result = admin.list_consumer_group_offsets([request], request_timeout=TIMEOUT_S)
        listed = result[group].result()
    return {(tp.topic, tp.partition): tp.offset for tp in listed.topic_partitions or []}


def _selection(admin: Any, consumer: Any, options: ResetOptions) -> list[tuple[str, int]]:
    if options.topic is None:
        if options.partitions:
            raise OperationRefused("--partition needs --topic")
        committed = _committed(admin, options.group, None)
        if not committed:
            raise OperationRefused(
                f"group {options.group!r} has no committed offsets; name the topic with --topic"
            )
        return sorted(committed)
    existing = topic_partitions(consumer, options.topic)
    unknown = sorted(set(options.partitions) - set(existing))
    if unknown:
        raise OperationRefused(f"topic {options.topic!r} has no partition {unknown[0]}")
    return [(options.topic, p) for p in (sorted(options.partitions) or existing)]


def plan_reset(admin: Any, consumer: Any, options: ResetOptions) -> list[ResetRow]:
    """One :class:`ResetRow` per selected partition (asks the broker)."""
    tps = _selection(admin, consumer, options)
    committed = _committed(admin, options.group, tps)
    by_topic: dict[str, list[int]] = {}
    for topic, partition in tps:
        by_topic.setdefault(topic, []).append(partition)
    rows: list[ResetRow] = []
    for topic, partitions in by_topic.items():
        times: dict[int, int | None] = {}
        if options.target.kind == "time":
            times = offsets_for_time(consumer, topic, partitions, options.target.value)
        for partition in partitions:
            current = committed.get((topic, partition))
            rows.append(
                plan_row(
                    topic,
                    partition,
                    current if current is not None and current >= 0 else None,
                    watermarks(consumer, topic, partition),
                    options.target,
                    time_offset=times.get(partition),
                )
            )
    return rows


def apply_reset(admin: Any, group: str, rows: list[ResetRow]) -> None:
    """Commit the new offsets for ``group``; :class:`OperationRefused` on any failure."""
    from confluent_kafka import ConsumerGroupTopicPartitions, TopicPartition

    request = ConsumerGroupTopicPartitions(
        group, [TopicPartition(r.topic, r.partition, r.new) for r in rows]
    )
    with refusing(f"the broker refused to reset group {group!r}"):
        result = admin.alter_consumer_group_offsets([request], request_timeout=TIMEOUT_S)
        altered = result[group].result()
    failed = [tp for tp in altered.topic_partitions or [] if tp.error is not None]
    if failed:
        first = failed[0]
        raise OperationRefused(
            f"resetting {first.topic}[{first.partition}] of group {group!r} failed: {first.error}"
        )


def _num(value: int | None) -> str:
    return "-" if value is None else f"{value:,}"


def render_reset(info: GroupInfo, rows: list[ResetRow], console: Console, *, title: str) -> None:
    """The before/after table."""
    table = Table(title=title, title_justify="left")
    table.add_column("topic")
    for name in ("partition", "current", "new", "log start", "end", "lag before", "lag after"):
        table.add_column(name, justify="right")
    table.add_column("note")
    for r in rows:
        numbers = (r.current, r.new, r.marks.low, r.marks.high, r.lag_before, r.lag_after)
        table.add_row(r.topic, str(r.partition), *map(_num, numbers), r.note)
    console.print(table)
    console.print(
        f"group {info.group}: state {info.state}, {info.members} active member(s)", highlight=False
    )


def run_reset(
    settings: Settings,
    options: ResetOptions,
    *,
    console: Console,
) -> list[ResetRow]:
    """Plan (and with ``execute`` apply) the reset; prints the table; returns the rows."""
    from confluent_kafka.admin import AdminClient

    from consumer.kafka_config import admin_config

    admin = AdminClient(admin_config(settings))
    consumer = ops_consumer(settings, "offsets")
    try:
        info = describe_group(admin, options.group)
        rows = plan_reset(admin, consumer, options)
    finally:
        consumer.close()
    mode = "applied" if options.execute else "dry run"
    if options.execute and info.active:
        render_reset(info, rows, console, title=f"offsets reset of {options.group} (refused)")
        raise OperationRefused(
            f"refusing to reset group {options.group!r}: it has {info.members} active member(s) "
            f"(state {info.state}). Stop its consumers first (e.g. scale the deployment to 0), "
            "then run again with --execute."
        )
    if options.execute:
        apply_reset(admin, options.group, rows)
        get_logger("ops.offsets").info(
            "group_offsets_reset",
            group=options.group,
            partitions=len(rows),
            offsets={f"{r.topic}[{r.partition}]": r.new for r in rows},
        )
    render_reset(info, rows, console, title=f"offsets reset of {options.group} ({mode})")
    if not options.execute:
        hint = "nothing changed; add --execute to apply"
        if info.active:
            hint += " (it would be refused now: the group has active members)"
        console.print(hint, highlight=False)
    return rows

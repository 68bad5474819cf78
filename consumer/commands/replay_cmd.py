"""``signals-consumer replay``: send a range of a topic again, once (docs/operations.md)."""

from __future__ import annotations

from typing import Annotated

import typer

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    """Add the ``replay`` command."""

    @app.command("replay")
    def replay_command(
        *,
        topic: Annotated[str, typer.Option("--topic", metavar="T", help="The topic to replay.")],
        partition: Annotated[
            list[int] | None,
            typer.Option("--partition", metavar="N", help="Only this partition (repeatable)."),
        ] = None,
        from_offset: Annotated[
            int | None, typer.Option("--from-offset", metavar="N", help="Start at offset N.")
        ] = None,
        from_time: Annotated[
            str | None,
            typer.Option("--from-time", metavar="ISO", help="Start at the first record at/after."),
        ] = None,
        from_earliest: Annotated[
            bool, typer.Option("--from-earliest", help="Start at the oldest retained record.")
        ] = False,
        to_offset: Annotated[
            int | None,
            typer.Option("--to-offset", metavar="N", help="Stop before offset N (exclusive)."),
        ] = None,
        to_time: Annotated[
            str | None,
            typer.Option("--to-time", metavar="ISO", help="Stop before the first record at/after."),
        ] = None,
        execute: Annotated[
            bool,
            typer.Option("--execute", help="Send and dead-letter (without it: a dry run)."),
        ] = False,
        dry_run: Annotated[
            bool, typer.Option("--dry-run", hidden=True, help="The default; kept for scripts.")
        ] = False,
        dlq_topic: Annotated[
            str | None,
            typer.Option("--dlq-topic", metavar="T", help="Dead-letter failures here."),
        ] = None,
    ) -> None:
        """Replay a range of a topic through the current mapping and client, then stop.

        Without --execute it is a dry run: decode, map and validate, then print what would be
        sent and what would be dead-lettered; nothing is sent or written.

        The live group is untouched (assign(), a throwaway group id, no commits).

        The range is [start, end); the end defaults to the end offsets at start.

        Dates are ISO 8601 (Z or an offset; without one, UTC).
        """
        from consumer.ops.cli_support import console, guarded, load, parsed
        from consumer.ops.ranges import EndAt, StartAt, parse_iso_ms
        from consumer.ops.replay import ReplayOptions, run_replay

        if sum([from_offset is not None, from_time is not None, from_earliest]) != 1:
            raise typer.BadParameter(
                "give exactly one of --from-offset, --from-time, --from-earliest"
            )
        if to_offset is not None and to_time is not None:
            raise typer.BadParameter("give at most one of --to-offset, --to-time")
        if execute and dry_run:
            raise typer.BadParameter("give --execute or --dry-run (the default), not both")
        if from_offset is not None:
            start = StartAt("offset", from_offset)
        elif from_time is not None:
            start = StartAt("time", parsed(parse_iso_ms, from_time, "--from-time") or 0)
        else:
            start = StartAt("earliest")
        if to_offset is not None:
            end = EndAt("offset", to_offset)
        elif to_time is not None:
            end = EndAt("time", parsed(parse_iso_ms, to_time, "--to-time") or 0)
        else:
            end = EndAt("now")
        options = ReplayOptions(
            topic=topic,
            start=start,
            end=end,
            partitions=tuple(partition or ()),
            execute=execute,
            dlq_topic=dlq_topic,
        )
        with guarded():
            run_replay(load(), options, console=console(), progress_console=console(stderr=True))

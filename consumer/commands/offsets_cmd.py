"""``signals-consumer offsets reset``: move the live group's offsets (docs/operations.md)."""

from __future__ import annotations

from typing import Annotated

import typer

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    """Add the ``offsets`` command group (``offsets reset``)."""
    offsets = typer.Typer(
        name="offsets", help="The live consumer group's committed offsets.", no_args_is_help=True
    )

    @offsets.command("reset")
    def reset_command(
        *,
        group: Annotated[str, typer.Option("--group", metavar="G", help="The consumer group.")],
        to_time: Annotated[
            str | None,
            typer.Option("--to-time", metavar="ISO", help="The first offset stamped at/after."),
        ] = None,
        to_offset: Annotated[
            int | None, typer.Option("--to-offset", metavar="N", help="Offset N (clamped).")
        ] = None,
        to_earliest: Annotated[
            bool, typer.Option("--to-earliest", help="The log start offsets.")
        ] = False,
        to_latest: Annotated[bool, typer.Option("--to-latest", help="The end offsets.")] = False,
        topic: Annotated[
            str | None,
            typer.Option("--topic", metavar="T", help="Only this topic (default: the group's)."),
        ] = None,
        partition: Annotated[
            list[int] | None,
            typer.Option("--partition", metavar="N", help="Only this partition (repeatable)."),
        ] = None,
        execute: Annotated[
            bool, typer.Option("--execute", help="Apply (refused while the group has members).")
        ] = False,
    ) -> None:
        """Reset a group's committed offsets: a dry run printing before/after unless --execute.

        --execute is refused (exit 1) while the group has active members: stop them first.
        """
        from consumer.ops.cli_support import console, guarded, load, parsed
        from consumer.ops.offsets import ResetOptions, ResetTarget, run_reset
        from consumer.ops.ranges import parse_iso_ms

        chosen = [to_time is not None, to_offset is not None, to_earliest, to_latest]
        if sum(chosen) != 1:
            raise typer.BadParameter(
                "give exactly one of --to-time, --to-offset, --to-earliest, --to-latest"
            )
        if to_time is not None:
            target = ResetTarget("time", parsed(parse_iso_ms, to_time, "--to-time") or 0)
        elif to_offset is not None:
            target = ResetTarget("offset", to_offset)
        else:
            target = ResetTarget("earliest" if to_earliest else "latest")
        if partition and topic is None:
            raise typer.BadParameter("--partition needs --topic", param_hint="--partition")
        options = ResetOptions(group, target, topic, tuple(partition or ()), execute)
        with guarded():
            run_reset(load(), options, console=console())

    app.add_typer(offsets)

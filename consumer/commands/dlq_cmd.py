"""``signals-consumer dlq inspect|redrive``: the dead-letter topic (docs/operations.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

__all__ = ["register"]

Reasons = Annotated[
    list[str] | None,
    typer.Option("--reason", metavar="R", help="Only this signals.error.code (repeatable)."),
]
SourceTopics = Annotated[
    list[str] | None,
    typer.Option("--source-topic", metavar="T", help="Only records from this topic (repeatable)."),
]
DlqTopic = Annotated[
    str | None,
    typer.Option("--dlq-topic", metavar="T", help="The dead-letter topic (SIGNALS_DLQ_TOPIC)."),
]


def register(app: typer.Typer) -> None:
    """Add the ``dlq`` command group (``dlq inspect``, ``dlq redrive``)."""
    dlq = typer.Typer(
        name="dlq", help="Inspect and re-drive the dead-letter topic.", no_args_is_help=True
    )

    @dlq.command("inspect")
    def inspect_command(
        *,
        reason: Reasons = None,
        source_topic: SourceTopics = None,
        since: Annotated[
            str | None,
            typer.Option("--since", metavar="ISO", help="Only records that failed at/after."),
        ] = None,
        limit: Annotated[
            int | None, typer.Option("--limit", metavar="N", min=1, help="At most N records.")
        ] = None,
        show_pii: Annotated[
            bool, typer.Option("--show-pii", help="Do not mask emails and phone numbers.")
        ] = False,
        as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
        dlq_topic: DlqTopic = None,
    ) -> None:
        """List dead-letter records: reason headers and decoded payload, emails/phones masked."""
        from consumer.ops.cli_support import guarded, load, parsed
        from consumer.ops.dlq_inspect import InspectOptions, run_inspect
        from consumer.ops.dlq_records import DlqFilter
        from consumer.ops.ranges import parse_iso_ms

        select = DlqFilter(
            tuple(reason or ()), tuple(source_topic or ()), parsed(parse_iso_ms, since, "--since")
        )
        options = InspectOptions(select, limit, show_pii, as_json)
        with guarded():
            run_inspect(load(dlq_topic=dlq_topic), options, echo=typer.echo)

    @dlq.command("redrive")
    def redrive_command(
        *,
        reason: Reasons = None,
        source_topic: SourceTopics = None,
        rate_limit: Annotated[
            str | None,
            typer.Option("--rate-limit", metavar="N/s", help="At most N records/s (or N/min)."),
        ] = None,
        execute: Annotated[
            bool,
            typer.Option("--execute", help="Send, dead-letter, save progress (else: a dry run)."),
        ] = False,
        dry_run: Annotated[
            bool, typer.Option("--dry-run", hidden=True, help="The default; kept for scripts.")
        ] = False,
        state_file: Annotated[
            Path | None,
            typer.Option(
                "--state-file",
                metavar="PATH",
                help="Progress file (default .cache/redrive/<dlq-topic>.json).",
            ),
        ] = None,
        max_records: Annotated[
            int | None,
            typer.Option("--max-records", metavar="N", min=1, help="Stop after N selected."),
        ] = None,
        restart: Annotated[
            bool, typer.Option("--restart", help="Ignore saved progress; start at the oldest.")
        ] = False,
        dlq_topic: DlqTopic = None,
    ) -> None:
        """Send selected dead-letter records again; failures go back with attempt + 1.

        Without --execute it is a dry run: translate and print what would be sent and what would
        go back to the dead-letter topic; nothing is sent, written or saved.

        Progress is saved after every batch: an interrupted re-drive resumes where it stopped.
        """
        from consumer.ops.cli_support import console, guarded, load, parsed
        from consumer.ops.dlq_records import DlqFilter
        from consumer.ops.ranges import parse_rate
        from consumer.ops.redrive import RedriveOptions, run_redrive

        if execute and dry_run:
            raise typer.BadParameter("give --execute or --dry-run (the default), not both")
        options = RedriveOptions(
            select=DlqFilter(tuple(reason or ()), tuple(source_topic or ())),
            rate_per_s=parsed(parse_rate, rate_limit, "--rate-limit"),
            execute=execute,
            state_file=state_file,
            max_records=max_records,
            restart=restart,
        )
        with guarded():
            run_redrive(
                load(dlq_topic=dlq_topic),
                options,
                console=console(),
                progress_console=console(stderr=True),
            )

    app.add_typer(dlq)

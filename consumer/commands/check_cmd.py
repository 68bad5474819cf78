"""``signals-consumer check``: the doctor (consumer/ops/doctor.py, docs/operations.md)."""

from __future__ import annotations

from typing import Annotated

import typer

__all__ = ["register"]

_STYLE = {"ok": "green", "warn": "yellow", "fail": "bold red", "skip": "dim"}


def register(app: typer.Typer) -> None:
    """Add the ``check`` command."""

    @app.command("check")
    def check_command(
        timeout: Annotated[
            float,
            typer.Option("--timeout", metavar="SECONDS", min=0.1, help="Bound of each request."),
        ] = 10.0,
    ) -> None:
        """Check the configuration against the brokers, topics, group, dead-letter topic,
        schema registry and Connect API key; one line per check.

        Read-only: nothing is produced, committed or sent, no group is joined. Exit 0 when no
        check failed, 1 when one did, 3 when the configuration cannot be loaded.
        """
        from confluent_kafka.admin import AdminClient
        from rich.table import Table

        from consumer.avro.registry import SchemaRegistry
        from consumer.errors import ExitCode
        from consumer.kafka_config import admin_config, dlq_topic_config
        from consumer.ops.cli_support import console, guarded, load
        from consumer.ops.doctor import failed, run_checks
        from consumer.ops.doctor_connect import check_connect
        from consumer.ops.doctor_kafka import AdminProbe

        with guarded():
            settings = load()
            admin = AdminClient(admin_config(settings))
            with SchemaRegistry(settings) as registry:
                checks = run_checks(
                    settings,
                    kafka=AdminProbe(admin, timeout),
                    registry=registry,
                    connect=lambda s: check_connect(s, timeout_s=timeout),
                    dlq_config=dlq_topic_config(settings),
                )
        table = Table("check", "result", "detail", "setting", title="signals-consumer check")
        for check in checks:
            status = f"[{_STYLE[check.status]}]{check.status}[/]"
            setting = check.setting if check.status in ("fail", "warn") else None
            table.add_row(check.name, status, check.detail, setting or "")
        console().print(table)
        if failed(checks):
            raise typer.Exit(ExitCode.ERROR)

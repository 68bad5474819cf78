"""``signals-consumer run``: the consumer itself (docs/pipeline.md)."""

from __future__ import annotations

import typer

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    """Add the ``run`` command."""

    @app.command("run")
    def run_command(
        until_idle: float | None = typer.Option(
            None,
            "--until-idle",
            metavar="SECONDS",
            help="Stop cleanly once everything is delivered and committed and no new data "
            "arrived for this long.",
        ),
        max_events: int | None = typer.Option(
            None, "--max-events", metavar="N", help="Stop cleanly after reading N events."
        ),
    ) -> None:
        """Consume the configured topics and import the events into Connect as signals."""
        from consumer.config import load_settings
        from consumer.errors import ConfigurationError, ExitCode
        from consumer.logs import configure_logging, get_logger
        from consumer.pipeline import Pipeline
        from consumer.pipeline.shutdown import ShutdownRequest, install_signal_handlers

        try:
            settings = load_settings()
            configure_logging(settings.log_level, settings.log_format)
            pipeline = Pipeline.from_settings(
                settings, until_idle_s=until_idle, max_events=max_events
            )
            stop = ShutdownRequest()
            restore = install_signal_handlers(stop)
            try:
                code = pipeline.run(stop)
            finally:
                restore()
        except ConfigurationError as exc:
            get_logger("run").error("configuration_error", error=str(exc), setting=exc.setting)
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(ExitCode.CONFIG) from exc
        raise typer.Exit(code)

"""``signals-consumer config``: print the effective configuration, secrets redacted."""

from __future__ import annotations

import json

import typer

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    """Add the ``config`` command."""

    @app.command("config")
    def config_command() -> None:
        """Print the effective configuration (environment names, secrets redacted) as JSON."""
        from consumer.config import load_settings
        from consumer.ops.cli_support import guarded

        with guarded():  # a ConfigurationError: the message on stderr, exit 3
            settings = load_settings()
        typer.echo(json.dumps(settings.redacted(), indent=2, sort_keys=True, default=str))

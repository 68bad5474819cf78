"""The ``signals-consumer`` command line (Typer).

Each subcommand lives in its own module under :mod:`consumer.commands` and is registered here,
so ``--help`` lists them all and start-up imports only what the chosen command needs.

Exit codes (documented in README): 0 done / clean shutdown; 1 unexpected error;
2 bad usage; 3 configuration error (the message names the setting); 4 the Connect API
refused the API key; 5 drain deadline passed on shutdown (work left uncommitted, will be
redelivered).
"""

from __future__ import annotations

import typer

from consumer import __version__
from consumer.commands import register_all

__all__ = ["EXIT_AUTH", "EXIT_CONFIG", "EXIT_DRAIN_TIMEOUT", "EXIT_ERROR", "EXIT_OK", "app", "main"]

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_CONFIG = 3
EXIT_AUTH = 4
EXIT_DRAIN_TIMEOUT = 5

app = typer.Typer(
    name="signals-consumer",
    help="Import Avro behavior events from Kafka into Acoustic Connect as signals.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"signals-consumer {__version__}")
        raise typer.Exit


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Import Avro behavior events from Kafka into Acoustic Connect as signals."""


register_all(app)


def main() -> None:
    """Console-script entry point."""
    app()

"""The ``signals-consumer`` command line (Typer).

Each subcommand lives in its own module under :mod:`consumer.commands` and is registered here,
so ``--help`` lists them all and start-up imports only what the chosen command needs.

Exit codes: :class:`consumer.errors.ExitCode` (documented in README); 2 is Typer's bad usage.
"""

from __future__ import annotations

import typer

from consumer import __version__
from consumer.commands import register_all

__all__ = ["app", "main"]

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

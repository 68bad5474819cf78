"""The runtime does not load the command line: importing the pipeline pulls in no CLI module."""

from __future__ import annotations

import subprocess
import sys

_CHECK = (
    "import sys, consumer.pipeline.offsets, consumer.pipeline.loop, consumer.pipeline.engine\n"
    "loaded = sorted(m for m in sys.modules if m == 'typer' or m.startswith('typer.')"
    " or m == 'consumer.cli' or m.startswith('consumer.commands'))\n"
    "assert not loaded, loaded\n"
)


def test_importing_the_pipeline_loads_no_cli_module() -> None:
    """Importing consumer.pipeline (offsets, loop, engine) loads neither typer nor consumer.cli."""
    done = subprocess.run(
        [sys.executable, "-c", _CHECK], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr

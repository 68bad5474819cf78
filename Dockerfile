# syntax=docker/dockerfile:1
# connect-signals-consumer: `signals-consumer run` (default) or any other runtime subcommand.
# Stage `build` fetches the dependencies' wheels, pinned and hash-checked by requirements.lock
# (`make lock`), and builds ours (without the sandbox) and the native fast path's (Rust); the
# final stage `runtime` installs them into a venv without a compiler, pip cache or source tree,
# and runs as the numeric non-root user 10001. The Connect sandbox is not in it: `docker build
# --target sandbox` makes a separate image of the stand-in (connect_sandbox/ and its `sandbox`
# extra), and `--target tools` one of the sample producer; docker-compose.yml uses both.

ARG PYTHON_IMAGE=python:3.12.8-slim-bookworm
ARG RUST_IMAGE=rust:1.95-slim-bookworm

FROM ${RUST_IMAGE} AS rust

FROM ${PYTHON_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    RUSTUP_HOME=/usr/local/rustup \
    CARGO_HOME=/usr/local/cargo \
    PATH=/usr/local/cargo/bin:$PATH
COPY --from=rust /usr/local/rustup /usr/local/rustup
COPY --from=rust /usr/local/cargo /usr/local/cargo
# the Rust linker needs a C toolchain; Debian's security updates move these versions
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends gcc libc6-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY pyproject.toml setup.py MANIFEST.in README.md requirements.lock ./
# the dependencies exactly as locked (`make lock`: pinned and hash-checked wheels), then ours
RUN pip download --no-deps --only-binary=:all: --require-hashes -r requirements.lock --dest /wheels
COPY consumer ./consumer
COPY schemas ./schemas
COPY native ./native
RUN pip wheel --no-deps --wheel-dir /wheels . ./native

FROM build AS build-sandbox
COPY connect_sandbox ./connect_sandbox
RUN pip wheel --wheel-dir /wheels-sandbox --find-links=/wheels ".[sandbox]"

FROM ${PYTHON_IMAGE} AS sandbox
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH
RUN --mount=type=bind,from=build-sandbox,source=/wheels-sandbox,target=/wheels \
    python -m venv /opt/venv \
    && /opt/venv/bin/pip install --no-index --find-links=/wheels \
       "connect-signals-consumer[sandbox]" \
    && groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
       --shell /usr/sbin/nologin app
WORKDIR /tmp
USER 10001:10001
EXPOSE 8080
ENTRYPOINT ["signals-consumer"]
CMD ["sandbox", "--host", "0.0.0.0"]

# `docker build --target tools`: dev/sample_producer.py (docker-compose.yml's producer), sample
# Avro events through confluent-kafka's AvroSerializer. Its serdes extras (authlib, avro,
# requests, ...) are needed by neither the consumer nor the sandbox, so they get an image of
# their own, from their own lock, without the consumer's wheel.
FROM ${PYTHON_IMAGE} AS tools
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH
COPY requirements-tools.lock /tmp/
RUN python -m venv /opt/venv \
    && /opt/venv/bin/pip install --require-hashes -r /tmp/requirements-tools.lock \
    && groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
       --shell /usr/sbin/nologin app
WORKDIR /app
COPY dev/__init__.py dev/sample_producer.py ./dev/
COPY schemas ./schemas
USER 10001:10001
CMD ["python", "-m", "dev.sample_producer", "--help"]

FROM ${PYTHON_IMAGE} AS runtime
LABEL org.opencontainers.image.title="connect-signals-consumer" \
      org.opencontainers.image.description="Kafka consumer that imports Avro behavior events into Acoustic Connect as signals" \
      org.opencontainers.image.licenses="Apache-2.0"
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PYTHONFAULTHANDLER=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH \
    SIGNALS_METRICS_PORT=9400 \
    SIGNALS_LOG_FORMAT=json \
    SIGNALS_FAST_PATH=native
RUN --mount=type=bind,from=build,source=/wheels,target=/wheels \
    --mount=type=bind,from=build,source=/src/requirements.lock,target=/tmp/requirements.lock \
    python -m venv /opt/venv \
    && /opt/venv/bin/pip install --no-index --find-links=/wheels --require-hashes \
       -r /tmp/requirements.lock \
    && /opt/venv/bin/pip install --no-index --find-links=/wheels --no-deps \
       connect-signals-consumer signals-native \
    && /opt/venv/bin/pip check \
    && groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
       --shell /usr/sbin/nologin app
WORKDIR /tmp
USER 10001:10001
EXPOSE 9400
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('SIGNALS_METRICS_PORT', '9400') + '/healthz', timeout=4)"]
ENTRYPOINT ["signals-consumer"]
CMD ["run"]

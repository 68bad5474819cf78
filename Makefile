# Every target installs what it needs into .venv itself.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# the native fast path (native/, Rust + PyO3), built by pip through maturin when cargo is on the
# PATH; without cargo every target skips it with a message and runs on the pure-Python path
# (with CI set, as .ci/run's CI does, a missing cargo fails instead)
NATIVE := $(VENV)/.native
CARGO := $(shell command -v cargo 2>/dev/null)
NO_CARGO = echo "cargo not found: $@ skips the native fast path (Rust: https://rustup.rs)" >&2; [ -z "$$CI" ]
INSTALLED := $(STAMP) $(NATIVE)
PYTEST_ARGS ?=
FAULT_EVENTS ?= 200000
# `make lock`: uv in a throwaway venv under .cache; the image's Python and platform
LOCK_VENV := .cache/lock
UV_VERSION := 0.13.8
LOCK_PYTHON := 3.12
LOCK_PLATFORM := x86_64-manylinux_2_28
LOCK_ARGS = --generate-hashes --python-version $(LOCK_PYTHON) --python-platform $(LOCK_PLATFORM) \
            --no-header --quiet $(if $(UPGRADE),--upgrade)

.PHONY: help venv test test-unit test-integration lint fmt stack-up stack-down stack-status stack-soak \
        demo sandbox schemas-check faults bench tools browser lock clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python >= 3.11 is required")'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	@touch $(STAMP)

$(NATIVE): $(STAMP) native/Cargo.toml native/Cargo.lock native/pyproject.toml $(wildcard native/src/*.rs)
	@if [ -n "$(CARGO)" ]; then \
	  echo "$(PY) -m pip install -q --force-reinstall --no-deps ./native"; \
	  $(PY) -m pip install -q --force-reinstall --no-deps ./native && touch $(NATIVE); \
	else $(NO_CARGO); fi

venv: $(INSTALLED) ## create .venv with the package, dev tools and the native fast path

test: $(INSTALLED) browser ## unit + integration tests (starts and stops the local stack)
	@was_up=0; $(PY) dev/stack.py status >/dev/null 2>&1 && was_up=1; \
	  $(MAKE) --no-print-directory stack-up || exit $$?; \
	  status=0; if [ -n "$(CARGO)" ]; then \
	    cargo test -q --manifest-path native/Cargo.toml --no-default-features || status=$$?; \
	  else $(NO_CARGO) || status=$$?; fi; \
	  [ $$status != 0 ] || $(PY) -m pytest tests $(PYTEST_ARGS) || status=$$?; \
	  [ $$was_up = 1 ] || $(MAKE) --no-print-directory stack-down; exit $$status

test-unit: $(INSTALLED) ## unit tests only (no network), the native crate's own tests first
	@if [ -n "$(CARGO)" ]; then cargo test -q --manifest-path native/Cargo.toml --no-default-features; \
	else $(NO_CARGO); fi
	$(PY) -m pytest tests/unit $(PYTEST_ARGS)

test-integration: $(INSTALLED) ## integration tests against an already running stack
	$(PY) -m pytest tests/integration tests/dev -m integration $(PYTEST_ARGS)

lint: $(INSTALLED) tools ## ruff, mypy, hadolint, helm lint, kubeconform
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	@if [ -n "$(CARGO)" ]; then \
	  cargo fmt --manifest-path native/Cargo.toml --check && \
	  cargo clippy -q --manifest-path native/Cargo.toml --no-default-features -- -D warnings; \
	else $(NO_CARGO); fi
	$(VENV)/bin/hadolint Dockerfile
	bash dev/helm-check.sh

fmt: $(STAMP) ## format and auto-fix
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

browser: ## Debian's chromium for the sandbox page test (apt-get, when missing)
	@command -v chromium >/dev/null 2>&1 || { \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$SUDO apt-get install -y -q chromium >/dev/null 2>&1 || \
	  { $$SUDO apt-get update -q >/dev/null && $$SUDO apt-get install -y -q chromium >/dev/null; } || \
	  echo "could not install chromium: the sandbox page test will fail"; }

tools: ## build helm and kubeconform into the git-ignored cache (go install)
	bash dev/tools.sh

stack-up: $(STAMP) ## start Kafka (KRaft) and the schema registry
	$(PY) dev/stack.py up

stack-down: $(STAMP) ## stop what stack-up started
	$(PY) dev/stack.py down

stack-status: $(STAMP) ## show whether the stack is running
	$(PY) dev/stack.py status

stack-soak: $(STAMP) ## format the local Kafka's storage 200 times with fresh data (6+ min)
	$(PY) -m pytest tests/dev -m soak $(PYTEST_ARGS)

demo: $(INSTALLED) ## the main job end to end on the embedded default, with a summary
	@was_up=0; $(PY) dev/stack.py status >/dev/null 2>&1 && was_up=1; \
	  $(MAKE) --no-print-directory stack-up || exit $$?; \
	  status=0; $(PY) dev/demo.py || status=$$?; \
	  [ $$was_up = 1 ] || $(MAKE) --no-print-directory stack-down; exit $$status

sandbox: $(INSTALLED) ## run the Connect sandbox in the foreground (http://127.0.0.1:8080/)
	$(VENV)/bin/signals-consumer sandbox

schemas-check: $(STAMP) ## register schemas/ and check BACKWARD compatibility
	@$(MAKE) --no-print-directory stack-up
	$(PY) dev/schemas_check.py

faults: $(INSTALLED) ## zero-loss, zero-wedge fault run (FAULT_EVENTS=200000 by default, ~16 min: a 10-min Connect outage); figures to docs/reliability.md
	@was_up=0; $(PY) dev/stack.py status >/dev/null 2>&1 && was_up=1; \
	  $(MAKE) --no-print-directory stack-up || exit $$?; \
	  status=0; PUBLISH_FIGURES=1 FAULT_EVENTS=$(FAULT_EVENTS) $(PY) -m pytest tests/faults -s $(PYTEST_ARGS) || status=$$?; \
	  [ $$was_up = 1 ] || $(MAKE) --no-print-directory stack-down; exit $$status

bench: $(INSTALLED) ## benchmarks; results in bench/RESULTS.md
	@was_up=0; $(PY) dev/stack.py status >/dev/null 2>&1 && was_up=1; \
	  $(MAKE) --no-print-directory stack-up || exit $$?; \
	  status=0; PUBLISH_FIGURES=1 $(PY) bench/run.py || status=$$?; \
	  [ $$was_up = 1 ] || $(MAKE) --no-print-directory stack-down; exit $$status

lock: ## regenerate requirements.lock + requirements-tools.lock, the image's hashed pins (UPGRADE=1 moves them)
	@test -x $(LOCK_VENV)/bin/uv || { $(PYTHON) -m venv $(LOCK_VENV) && $(LOCK_VENV)/bin/pip install -q "uv==$(UV_VERSION)"; }
	$(LOCK_VENV)/bin/uv pip compile pyproject.toml $(LOCK_ARGS) -o requirements.lock
	echo 'confluent-kafka[avro,schemaregistry]' | \
	  $(LOCK_VENV)/bin/uv pip compile - -c requirements.lock $(LOCK_ARGS) -o requirements-tools.lock
	@for f in requirements.lock requirements-tools.lock; do \
	  { echo "# $$f: hashed pins for the image's pip install --require-hashes (Dockerfile)."; \
	    [ $$f = requirements.lock ] && echo "# What: pyproject.toml's [project] dependencies (the runtime), direct and transitive." \
	      || echo "# What: dev/sample_producer.py's confluent-kafka[avro,schemaregistry] (the tools target)."; \
	    echo "# For: CPython $(LOCK_PYTHON) (the Dockerfile's python:$(LOCK_PYTHON) base), linux x86_64 ($(LOCK_PLATFORM))."; \
	    echo "# Made by: make lock (uv $(UV_VERSION) pip compile; UPGRADE=1 make lock moves every pin)."; \
	    cat $$f; } > $$f.new && mv $$f.new $$f; \
	done

clean: ## remove caches (keeps downloaded jars in .cache)
	rm -rf .mypy_cache .ruff_cache .pytest_cache build dist *.egg-info

# Every target sets itself up: a fresh clone needs only `make test` or `make demo`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install test lint demo bench screenshots soak clean

install: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "cttui needs Python 3.11 or newer: set PYTHON=python3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,dev]'
	@touch $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: lint
	$(BIN)/pytest

demo: $(STAMP)
	$(BIN)/cttui --demo

bench: $(STAMP)
	$(BIN)/python -m benchmarks.startup

# Every screen as SVG in screenshots/, byte-identical from run to run (a temporary HOME, an
# in-memory keyring, a seeded emulator).
screenshots: $(STAMP)
	$(BIN)/python screenshots/render.py

# 300 jobs through real cttui processes, several at once on one account, against an emulator
# injecting 5xx, 429, resets, latency and forgotten req_ids; prints the figures, fails on a breach.
soak: $(STAMP)
	$(BIN)/python -m tests.soak --jobs 300

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis

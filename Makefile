# Every target sets itself up: a fresh clone needs only `make test` or `make demo`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install test lint demo bench screenshots clean

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

# One worker per core: every test has its own HOME, ports, tmux socket and keyring bus, so
# they run side by side. Make says only "Error 2" when a recipe fails: pytest's own code
# (1 failures, 2 interrupted, 3 internal error, 5 no tests) is said first.
test: lint
	@$(BIN)/pytest -n auto || { status=$$?; echo "make test: pytest exited with $$status" >&2; exit $$status; }

demo: $(STAMP)
	$(BIN)/cttui --demo

bench: $(STAMP)
	$(BIN)/python -m benchmarks.startup

# Every screen as SVG in screenshots/, byte-identical from run to run (a temporary HOME, an
# in-memory keyring, a seeded emulator).
screenshots: $(STAMP)
	$(BIN)/python screenshots/render.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis

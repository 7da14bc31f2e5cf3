# Every target sets itself up: a fresh clone needs only `make test` or `make demo`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

# The demo asks about the last 90 days: long enough that the emulator answers "partial" and the
# count arrives by polling, as it does from CleverTap for heavy queries.
DEMO_FROM = $(shell $(PYTHON) -c 'import datetime as d; print(d.date.today() - d.timedelta(days=89))')
DEMO_TO = $(shell $(PYTHON) -c 'import datetime as d; print(d.date.today())')

.PHONY: install test lint demo bench clean

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
	$(BIN)/cttui --demo count choseNewFavoriteFood --where value contains piz \
		--from $(DEMO_FROM) --to $(DEMO_TO)

bench: $(STAMP)
	$(BIN)/python -m benchmarks.startup

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis

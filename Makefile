# Every target sets itself up: a fresh clone needs only `make test` or `make demo`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install test lint demo bench screenshots crashloop soak fuzz clean

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
	@# Not a package, but it drives the app: it must break here, not at the next `make screenshots`.
	$(BIN)/mypy screenshots/render.py

# One worker per core: every test has its own HOME, ports, tmux socket and keyring bus, so
# they run side by side. Make says only "Error 2" when a recipe fails: pytest's own code
# (1 failures, 2 interrupted, 3 internal error, 5 no tests) is said first.
test: lint
	@$(BIN)/pytest -n auto || { status=$$?; echo "make test: pytest exited with $$status" >&2; exit $$status; }

demo: $(STAMP)
	$(BIN)/cttui --demo

# One table of every figure with its target and whether it holds, also written to
# benchmarks/latest.json; `make bench AGAINST=REV` also times REV's cttui/ (from git),
# interleaved in the same run (and leaves latest.json as it was); `make bench PEERS=1` times
# posting and harlequin too.
# `python -m benchmarks --help` for the rest.
bench: $(STAMP)
	$(BIN)/python -m benchmarks $(if $(AGAINST),--against $(AGAINST)) $(if $(PEERS),--peers)

# Every screen as SVG in screenshots/, byte-identical from run to run (a temporary HOME, an
# in-memory keyring, a seeded emulator).
screenshots: $(STAMP)
	$(BIN)/python screenshots/render.py

# 40 SIGKILLs of real cttui processes at random moments (some on the journal's first write after
# a POST's answer), restarted each time; prints the figures. A short version runs in `make test`.
crashloop: $(STAMP)
	$(BIN)/python -m tests.test_crash_loop 40

# 300 jobs through real cttui processes, several at once on one account, against an emulator
# injecting 5xx, 429, resets, latency and forgotten req_ids; prints the figures, fails on a breach.
soak: $(STAMP)
	$(BIN)/python -m tests.soak --jobs 300

# Ten times the fuzz examples of the default run (about 100,000).
fuzz: $(STAMP)
	CTTUI_FUZZ_EXAMPLES=10 $(BIN)/pytest tests/test_fuzz_cli.py tests/test_fuzz_journal.py \
		tests/test_fuzz_answers.py -p no:cacheprovider -n 2

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis

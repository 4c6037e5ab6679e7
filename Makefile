# Two commands from a fresh clone: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# The stamp changes with pyproject.toml, so a changed dependency list reinstalls.
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

export SMARKETING_TEST_POSTGRES_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test

.PHONY: install run test lint bench clean mutation

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@rm -f $(VENV)/.installed-*
	@touch $@

install: $(STAMP)

run: install
	$(BIN)/smarketing init
	$(BIN)/smarketing demo --if-empty
	$(BIN)/smarketing serve

lint: install
	$(BIN)/ruff check src tests benchmarks scripts
	PYTHONPATH=scripts $(BIN)/lint-imports
	$(BIN)/mypy

test: install
	@scripts/ensure-chromium.sh
	$(MAKE) --no-print-directory lint
	$(BIN)/pytest -n 2 -p no:cacheprovider

# Mutation testing of the pure cores ([tool.mutmut] in pyproject.toml, docs/testing.md):
# slow, so not part of `make test`. A fresh run each time; the score per module last.
MUTATION_MIN ?= 90
mutation: install
	rm -rf mutants
	nice -n 10 $(BIN)/mutmut run --max-children 2
	$(BIN)/python scripts/mutation_score.py --survivors --min $(MUTATION_MIN)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache mutants

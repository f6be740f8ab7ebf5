# Comptoir — developer entry points. Every target is idempotent and works on a fresh machine
# with Python 3.11 and pip: the virtual environment is created and refreshed as needed.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck unit bench check geo clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall only when the project's dependencies change.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

## run: check the content, then talk to Comptoir in the terminal (SQLite under ./var/)
run: $(STAMP)
	$(BIN)/comptoir kb check
	$(BIN)/comptoir dialogs check
	$(BIN)/comptoir chat

## test: lint, type-check and run the whole test suite
test: lint typecheck unit

lint: $(STAMP)
	$(BIN)/ruff check bot tests
	$(BIN)/ruff format --check bot tests

typecheck: $(STAMP)
	$(BIN)/mypy bot

unit: $(STAMP)
	$(BIN)/pytest

## bench: speed and memory benchmarks, printed as a table with ratios to in-run baselines
bench: $(STAMP)
	$(BIN)/python -m tests.benchmarks

## check: validate the knowledge base (same as `comptoir kb check`)
check: $(STAMP)
	$(BIN)/comptoir kb check

## geo: rebuild knowledge/geo/ from the raw open data in ../shared/data/geo
geo: $(STAMP)
	$(BIN)/comptoir geo build --from ../shared/data/geo

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache

# Comptoir — developer entry points. Every target is idempotent and works on a fresh machine
# with Python 3.11 and pip: the virtual environment is created and refreshed as needed.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Exact versions with their hashes (see README, « Dependencies »); `make lock` refreshes them.
LOCK := requirements/test.lock
LOCK_FLAGS := --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url \
	--no-emit-find-links

.PHONY: run chat test lint typecheck unit browser bench check geo lock clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall only when the project's dependencies change: the locked versions, hashes checked,
# then the project itself without resolving anything more.
$(STAMP): pyproject.toml $(LOCK) | $(BIN)/python
	$(BIN)/python -m pip install --quiet --require-hashes -r $(LOCK)
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

## run: check the content, then serve Comptoir at http://127.0.0.1:8080/ (SQLite under ./var/)
run: $(STAMP)
	$(BIN)/comptoir kb check
	$(BIN)/comptoir dialogs check
	$(BIN)/comptoir serve

## chat: talk to Comptoir in the terminal (same conversation, same database)
chat: $(STAMP)
	$(BIN)/comptoir chat

## test: lint, type-check and run the whole test suite
test: lint typecheck unit

lint: $(STAMP)
	$(BIN)/ruff check bot tests
	$(BIN)/ruff format --check bot tests

typecheck: $(STAMP)
	$(BIN)/mypy bot

unit: $(STAMP) browser
	$(BIN)/pytest

# The browser tests drive Debian's Chromium (never a browser downloaded from elsewhere), with a
# font for the emoji the bot writes; installed once, when missing.
BROWSER_PACKAGES := chromium fonts-noto-color-emoji
browser:
	@if ! command -v chromium >/dev/null || ! dpkg -s fonts-noto-color-emoji >/dev/null 2>&1; then \
		echo "installing $(BROWSER_PACKAGES) for the browser tests"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends \
			$(BROWSER_PACKAGES) >/dev/null; \
	fi

## bench: speed and memory benchmarks, printed as a table with ratios to in-run baselines
bench: $(STAMP)
	$(BIN)/python -m tests.benchmarks

## check: validate the knowledge base (same as `comptoir kb check`)
check: $(STAMP)
	$(BIN)/comptoir kb check

## geo: rebuild knowledge/geo/ from the raw open data in ../shared/data/geo
geo: $(STAMP)
	$(BIN)/comptoir geo build --from ../shared/data/geo

## lock: re-resolve the dependency ranges of pyproject.toml into requirements/*.lock (review the diff)
lock: | $(BIN)/python
	$(BIN)/python -m pip install --quiet pip-tools
	$(BIN)/pip-compile $(LOCK_FLAGS) -o requirements/runtime.lock pyproject.toml
	$(BIN)/pip-compile $(LOCK_FLAGS) --extra test -o requirements/test.lock pyproject.toml

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache

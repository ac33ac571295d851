PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-dev
RUN_STAMP := $(VENV)/.installed
UI_STAMP := ui/node_modules/.installed
BROWSER := /usr/bin/chromium

.PHONY: run test bench lint clean ui

$(RUN_STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $@

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(RUN_STAMP) $@

# The dashboard's front-end packages (htmx, its SSE extension, lightweight-charts) from the npm registry.
$(UI_STAMP): ui/package.json ui/package-lock.json
	npm ci --prefix ui --no-audit --no-fund --loglevel=error
	touch $@

ui: $(UI_STAMP)

# Debian's chromium for the dashboard's browser tests (Playwright drives it; no browser download).
$(BROWSER):
	apt-get update -qq && apt-get install -y -qq chromium

run: $(RUN_STAMP) $(UI_STAMP)
	$(BIN)/localkis serve --host 127.0.0.1 --port 8080 --db sqlite:///./localkis.db --show-credentials

test: $(STAMP) $(UI_STAMP) $(BROWSER)
	$(BIN)/ruff check src tests
	$(BIN)/mypy
	$(BIN)/pytest

# Benchmarks print a table each and write JSON under bench/results/ (loopback only, bounded in time).
bench: $(STAMP)
	command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	$(BIN)/python bench/revise_cancel_sqlite.py
	$(BIN)/python bench/mixed_sqlite.py
	$(BIN)/python bench/mixed_book_sqlite.py
	$(BIN)/python bench/print_book_sqlite.py
	$(BIN)/python bench/revise_cancel_pg.py
	$(BIN)/python bench/replay.py
	$(BIN)/python bench/client_overhead.py
	$(BIN)/python bench/market_data.py
	$(BIN)/python bench/realtime.py
	$(BIN)/python bench/realtime_inprocess.py
	$(BIN)/python bench/toolkit.py

lint: $(STAMP)
	$(BIN)/ruff check src tests
	$(BIN)/mypy

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache ui/node_modules

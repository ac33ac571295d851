PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-dev
RUN_STAMP := $(VENV)/.installed

.PHONY: run test bench lint clean

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

run: $(RUN_STAMP)
	$(BIN)/localkis serve --host 127.0.0.1 --port 8080 --db sqlite:///./localkis.db --show-credentials

test: $(STAMP)
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
	$(BIN)/python bench/toolkit.py

lint: $(STAMP)
	$(BIN)/ruff check src tests
	$(BIN)/mypy

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

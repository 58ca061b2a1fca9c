# Every target creates .venv and installs the project on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench clean

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/python examples/backtest_sma.py

test: $(STAMP)
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check bus actors adapters tests examples benchmarks
	mkdir -p build/typecheck/backtestkit
	for pkg in bus actors adapters; do ln -sfn ../../../$$pkg build/typecheck/backtestkit/$$pkg; done
	MYPYPATH=build/typecheck $(BIN)/mypy --strict -p backtestkit.bus -p backtestkit.actors

bench: $(STAMP)
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) dump build *.egg-info

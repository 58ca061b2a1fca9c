# Every target creates .venv and installs what it needs on first use: `make run` only the
# engine and the chart extra (its own stamp), `make test` / `lint` the whole dev extra.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
RUN_STAMP := $(VENV)/.installed-run

.PHONY: run test lint bench screenshot clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

$(RUN_STAMP): pyproject.toml | $(VENV)/bin/python
	$(BIN)/pip install --quiet -e '.[plot]'
	touch $(RUN_STAMP)

$(STAMP): pyproject.toml | $(VENV)/bin/python
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP) $(RUN_STAMP)

run: $(RUN_STAMP)
	$(BIN)/python examples/backtest_sma.py

test: $(STAMP)
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check bus actors adapters tests examples benchmarks
	mkdir -p build/typecheck/backtestkit
	for pkg in bus actors adapters; do ln -sfn ../../../$$pkg build/typecheck/backtestkit/$$pkg; done
	MYPYPATH=build/typecheck $(BIN)/mypy --strict -p backtestkit.bus -p backtestkit.actors \
		-p backtestkit.adapters
	MYPYPATH=build/typecheck $(BIN)/mypy --strict examples

bench: $(STAMP)
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	$(BIN)/python benchmarks/run_all.py

# Screenshots (1280 and 390 px wide) of the backtest and walker HTML reports under
# dump/screenshots/, taken by headless Chromium when one is installed.
screenshot: $(RUN_STAMP)
	$(BIN)/python examples/backtest_sma.py > /dev/null
	$(BIN)/backtestkit walk examples/schemas.py --symbol BTCUSD --walker compare \
		--html dump/walker/compare.html --quiet
	$(BIN)/python tests/browser.py dump/backtest/sma-cross.html dump/walker/compare.html

clean:
	rm -rf $(VENV) dump build *.egg-info

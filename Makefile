# Every target creates .venv and installs the project on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench screenshot clean

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

# Renders the HTML report of `make run` with headless Chromium, when one is installed.
SHOT := dump/backtest/sma-cross-screenshot.png
screenshot: $(STAMP)
	test -f dump/backtest/sma-cross.html || $(BIN)/python examples/backtest_sma.py
	@browser=$$(command -v chromium || command -v chromium-browser || command -v google-chrome \
		|| command -v google-chrome-stable || true); \
	if [ -z "$$browser" ]; then \
		echo "screenshot: skipped, no chromium or google-chrome on PATH;" \
			"open dump/backtest/sma-cross.html in a browser instead"; \
	else \
		"$$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars \
			--window-size=1280,2600 --screenshot="$(CURDIR)/$(SHOT)" \
			"file://$(CURDIR)/dump/backtest/sma-cross.html" && echo "screenshot: $(SHOT)"; \
	fi

clean:
	rm -rf $(VENV) dump build *.egg-info

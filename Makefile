# Set-up lives here so a fresh machine needs only python3 and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

export KERAS_BACKEND := tensorflow

.PHONY: demo test test-fast docs notebooks lint bench clean

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/seqsuite train forecasting --preset quick --set task=anomaly --out runs/demo-forecasting --overwrite

# Two pytest workers, each taking whole test files (module fixtures train once).
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/pytest -q -n 2 --dist loadfile

# The inner loop: unit tests only (end-to-end tests carry @pytest.mark.slow).
test-fast: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/pytest -q -n 2 --dist loadfile -m "not slow"

# The documentation site, built into site/ (`$(BIN)/mkdocs serve` to browse it live).
docs: $(STAMP)
	$(BIN)/mkdocs build --strict

# Regenerate notebooks/*.ipynb from their notebooks/*.py sources.
notebooks: $(STAMP)
	$(BIN)/python notebooks/sync.py

bench: $(STAMP)
	$(BIN)/python -m benchmarks.cli
	$(BIN)/python -m benchmarks.cells
	$(BIN)/python -m benchmarks.forecasting
	$(BIN)/python -m benchmarks.attention
	$(BIN)/python -m benchmarks.translation
	$(BIN)/python -m benchmarks.language_model
	$(BIN)/python -m benchmarks.sentiment
	$(BIN)/python -m benchmarks.tagging
	$(BIN)/python -m benchmarks.memory
	$(BIN)/python -m benchmarks.classification
	$(BIN)/python -m benchmarks.speech
	$(BIN)/python -m benchmarks.vision
	$(BIN)/python -m benchmarks.captioning
	$(BIN)/pip install --quiet -e '.[reservoir-bench]'
	$(BIN)/python -m benchmarks.reservoir

clean:
	rm -rf runs .pytest_cache

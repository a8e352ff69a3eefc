# `make demo` runs the main job, `make test` the tests; both create .venv and install what they need.
# torch is pinned to 2.13.0 (a CPU wheel is available locally; other versions pull gigabytes of CUDA packages).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: demo test lint clean

$(INSTALLED): setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e ".[test,dev]"
	touch $(INSTALLED)

demo: $(INSTALLED)
	$(BIN)/python examples/tokenizer_round_trip.py --out outputs/tokenizer_round_trip.png

test: $(INSTALLED)
	$(BIN)/python -m pytest -q

lint: $(INSTALLED)
	$(BIN)/ruff check src tests examples
	$(BIN)/ruff format --check src tests examples

clean:
	rm -rf $(VENV) outputs .pytest_cache

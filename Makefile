# `make demo` runs the main job, `make test` the tests; both create .venv and install what they need.
# torch is pinned to 2.13.0 (a CPU wheel is available locally; other versions pull gigabytes of CUDA packages).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: demo test lint clean app browser

$(INSTALLED): setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e ".[test,dev]"
	touch $(INSTALLED)

demo: $(INSTALLED)
	$(BIN)/python examples/tokenizer_round_trip.py --out outputs/tokenizer_round_trip.png

test: $(INSTALLED) browser
	$(BIN)/python -m pytest -q

app: $(INSTALLED)
	$(BIN)/python examples/app.py

# Debian's chromium and chromium-driver for the app's browser test (about 30 s, as root); without them, or when the
# install fails, that one test is skipped with the reason.
browser:
	@if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		(timeout 300 apt-get update -qq && DEBIAN_FRONTEND=noninteractive timeout 300 apt-get install -y -qq chromium chromium-driver) \
		>/dev/null 2>&1 || echo "Installing Chromium failed: the browser test will be skipped."; \
	else echo "Chromium is missing and cannot be installed here: the browser test will be skipped."; fi

lint: $(INSTALLED)
	$(BIN)/ruff check src tests examples benchmarks
	$(BIN)/ruff format --check src tests examples benchmarks

clean:
	rm -rf $(VENV) outputs .pytest_cache

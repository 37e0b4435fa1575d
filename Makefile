# `make run` installs cnnstudio into .venv and opens the editor on its built-in example;
# `make test` installs everything (dev and export extras too), runs the whole test suite and the
# wheel check (scripts/wheel-check.sh: the built wheel, installed without -e, starts and opens an example).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# The CPU build of torch (on this project's machines it lies on disk; elsewhere it downloads).
# A torch already in $(VENV) is kept: for a CUDA or MPS build install it there first (README).
TORCH ?= torch==2.13.0
STAMP := $(VENV)/.installed

.PHONY: install run test wheel-check lint bench clean

$(STAMP): pyproject.toml setup.py
	bash scripts/system-deps.sh
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -c "import torch" 2>/dev/null || $(BIN)/python -m pip install -q --disable-pip-version-check "$(TORCH)"
	$(BIN)/python -m pip install -q --disable-pip-version-check -e ".[dev,export]"
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/cnnstudio

test: install
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q -p no:cacheprovider
	bash scripts/wheel-check.sh $(BIN)/python

wheel-check: install
	bash scripts/wheel-check.sh $(BIN)/python

lint: install
	$(BIN)/ruff check cnnstudio tests benchmarks examples setup.py
	$(BIN)/ruff format --check cnnstudio tests benchmarks examples setup.py
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: install
	for f in benchmarks/*.py; do $(BIN)/python $$f || exit 1; done

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache

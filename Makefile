# Quick start:  make run   (train the default model on the real data)
#               make test  (run the whole test suite)
# Each target sets up what it needs: a .venv with telar and its dependencies, and the data set.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
CORE   := $(VENV)/.core-installed
DEV    := $(VENV)/.dev-installed
DOCS   := $(VENV)/.docs-installed

.PHONY: run test data browser venv bench lint docs clean

venv: $(CORE)

# telar and its core dependencies (NumPy, pandas, scikit-learn, matplotlib, tqdm), with the web
# extra (Flask, waitress) so that `telar serve` works after `make run` too.
$(CORE): pyproject.toml
	@$(PYTHON) -m venv $(VENV) || { echo "make: could not create $(VENV); on Debian/Ubuntu: apt-get install python3-venv" >&2; exit 1; }
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[web]'
	touch $@

# What the tests and benchmarks add: pytest, hypothesis, ruff, Playwright, PyTorch (CPU) to check
# against, and every optional extra but the GPU's (web, export, sklearn, tensorboard, sweep, docs).
$(DEV): $(CORE)
	$(PY) -m pip install --quiet -e '.[dev,bench,web,export,sklearn,tensorboard,sweep,docs]'
	touch $@

# The Debian package dataset-fashion-mnist when it is missing and we may install it;
# otherwise telar finds the data itself (cache, TELAR_DATA, download) or says what to do.
data:
	@sh scripts/ensure-data.sh

run: $(CORE) data
	$(VENV)/bin/telar train

# Debian's chromium for the browser test (skipped, saying why, where it cannot be installed).
browser:
	@sh scripts/ensure-chromium.sh

test: $(DEV) data browser
	$(PY) -m pytest -q

bench: $(DEV) data
	$(PY) benchmarks/run_all.py

# The documentation site, built offline into site/ (open site/index.html); a warning fails it.
$(DOCS): $(CORE)
	$(PY) -m pip install --quiet -e '.[docs]'
	touch $@

docs: $(DOCS)
	$(PY) -m mkdocs build --strict

lint: $(DEV)
	$(VENV)/bin/ruff check .

clean:
	rm -rf $(VENV) runs site .pytest_cache

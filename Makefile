# Quick start:  make run   (train the default model on the real data)
#               make test  (run the whole test suite)
# Each target sets up what it needs: a .venv with telar and its dependencies, and the data set.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp

.PHONY: run test data venv bench lint clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev,bench]'
	touch $@

# The Debian package dataset-fashion-mnist when it is missing and we may install it;
# otherwise telar finds the data itself (cache, TELAR_DATA, download) or says what to do.
data:
	@sh scripts/ensure-data.sh

run: venv data
	$(VENV)/bin/telar train

test: venv data
	$(PY) -m pytest -q

bench: venv data
	$(PY) benchmarks/run_all.py

lint: venv
	$(VENV)/bin/ruff check .

clean:
	rm -rf $(VENV) runs .pytest_cache

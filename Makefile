# The two commands of the README: `make run` (set up, load the sample data, serve the portal)
# and `make test` (the whole test suite).
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test lint demo serve clean

run: $(VENV)/.installed
	$(BIN)/gongshi demo
	$(BIN)/gongshi serve --host $(HOST) --port $(PORT)

test: $(VENV)/.installed
	$(BIN)/python -m pytest -n 2 -q

lint: $(VENV)/.installed
	$(BIN)/ruff check .

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $@

clean:
	rm -rf $(VENV) instance .pytest_cache

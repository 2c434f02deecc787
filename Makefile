# The two commands of the README: `make run` (set up, load the sample data, serve the portal)
# and `make test` (the whole test suite).
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test lint demo serve clean plotly-basic

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

# plotly.js's "basic" bundle (bar, scatter, pie: what portal/charts.py draws), vendored with its licence
# at the version the plotly package writes figures for. Run after upgrading plotly (needs npm).
plotly-basic: $(VENV)/.installed
	v=$$($(BIN)/python -c "import plotly.offline as o; print(o.get_plotlyjs_version())") && tmp=$$(mktemp -d) && \
	(cd $$tmp && npm pack -q plotly.js-basic-dist-min@$$v && tar xzf plotly.js-basic-dist-min-$$v.tgz) && \
	cp $$tmp/package/plotly-basic.min.js portal/static/vendor/ && \
	cp $$tmp/package/LICENSE portal/static/vendor/plotly-basic.LICENSE.txt && rm -rf $$tmp

clean:
	rm -rf $(VENV) instance .pytest_cache

# The two commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export FLASK_APP := app

.PHONY: run test lint install clean-db translations

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## make run: venv, install, SQLite database with the Jinhua demo city, serve on 127.0.0.1:5000
run: $(STAMP)
	$(BIN)/flask init-db
	$(BIN)/flask demo --if-empty
	$(BIN)/flask run --host 127.0.0.1 --port 5000

## make test: install what tests need and run the whole suite
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q

## make translations: extract the marked texts, update the English .po, compile the .mo
translations: $(STAMP)
	$(BIN)/python -m core.catalogue

lint: $(STAMP)
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

clean-db:
	rm -f instance/jinhua.sqlite

# The two commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export FLASK_APP := app

.PHONY: run test test-clocks lint install clean-db translations lock

LOCK := requirements.lock

# Installs exactly what the lock names (every package of the tree, with hashes), then the
# project itself without resolving anything: a new machine gets what CI tested.
$(STAMP): $(LOCK) pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --require-hashes --no-deps -r $(LOCK)
	$(BIN)/python -m pip install -q --no-deps --no-build-isolation -e .
	touch $(STAMP)

install: $(STAMP)

## make run: venv, install, SQLite database with the Jinhua demo city, serve on 127.0.0.1:5000
run: $(STAMP)
	$(BIN)/flask init-db
	$(BIN)/flask demo --if-empty
	$(BIN)/flask run --host 127.0.0.1 --port 5000

## make test: install what tests need, lint, type-check (mypy, [tool.mypy]) and run the suite
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/python -m pytest -q

## make lock: re-resolve pyproject.toml's ranges into requirements.lock (exact versions, hashes)
lock: $(STAMP)
	$(BIN)/uv pip compile pyproject.toml --all-extras --generate-hashes --universal \
		--python-version 3.11 --custom-compile-command 'make lock' -q -o $(LOCK)

## make test-clocks: the suite again with the machine's clock at 2027-07-01 and at 2028-01-03
## (libfaketime; the browser tests aside, Chromium does not run under it)
CLOCKS := 2027-07-01 2028-01-03
test-clocks: $(STAMP)
	@for day in $(CLOCKS); do \
	  echo "== the suite with the clock at $$day =="; \
	  PYTHONPATH=tests/faketime_shim FAKETIME_DONT_FAKE_MONOTONIC=1 faketime "$$day 10:00:00" \
	    $(BIN)/python -m pytest -q -p no:cacheprovider --ignore=tests/browser || exit 1; \
	done

## make translations: extract the marked texts, update the English .po, compile the .mo
translations: $(STAMP)
	$(BIN)/python -m core.catalogue

lint: $(STAMP)
	$(BIN)/ruff check . && $(BIN)/ruff format --check . && $(BIN)/mypy

clean-db:
	rm -f instance/jinhua.sqlite

# One task runner: CI calls `make ci`; a newcomer calls `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo serve test test-fast test-pg e2e lint format evaluate bench bench-quick bench-postgis time-import referentials clean translations

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

## Set up, load the shipped data (and ../shared/data if present) and serve on http://127.0.0.1:5000
demo: install
	$(BIN)/relais demo $(wildcard ../shared/data/partners)

serve: install
	$(BIN)/relais serve

test: install
	$(BIN)/pytest

test-fast: install
	$(BIN)/pytest -m "not browser and not slow"

## The same suite on a throwaway PostgreSQL 15 cluster (initdb/pg_ctl, started by the tests)
test-pg: install
	RELAIS_TEST_POSTGRES=1 $(BIN)/pytest -m "not browser"

## The README's `make demo` in a fresh instance, walked end to end (tests/e2e/lane.py)
e2e: install
	$(BIN)/python -m tests.e2e.lane

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

evaluate: install
	$(BIN)/python -m bench.evaluation.harness

## Benchmarks on synthetic partners (bench/README.md): full (35-45 min) or quick (3-4 min)
bench: install
	$(BIN)/python -m bench.run

bench-quick: install
	$(BIN)/python -m bench.run --quick

## The PostGIS race at 200k (bench/postgis.py; needs postgresql-15-postgis-3, 6 to 10 min)
bench-postgis: install
	$(BIN)/python -m bench.postgis --size 200000 --out bench/out/postgis-200k.json

time-import: install
	$(BIN)/python -m bench.time_import

referentials: install
	$(BIN)/python scripts/build_referentials.py

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache

## The person's fiche catalogues: extract the messages, update each language, compile the .mo
translations: install
	$(BIN)/pybabel extract -F babel.cfg -k N_ --no-location --omit-header -o app/translations/messages.pot .
	$(BIN)/pybabel update -i app/translations/messages.pot -d app/translations -w 100
	$(BIN)/pybabel compile -d app/translations

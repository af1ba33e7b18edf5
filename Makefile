# aTES: `make run` serves the embedded default with demo data; `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
FLASK := $(BIN)/flask --app wsgi
TEST_DATABASE_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/postgres
TEST_REDIS_URL ?= redis://127.0.0.1:6379/0

.PHONY: run test test-embedded test-services lint bench clean translations

$(BIN)/activate: setup.cfg
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(BIN)/activate

run: $(BIN)/activate
	$(FLASK) db upgrade
	$(FLASK) auth seed-demo
	$(FLASK) demo history
	PORT=$(PORT) $(BIN)/python -m web

test: test-embedded test-services

# The embedded default: SQLite and the in-process broker.
test-embedded: $(BIN)/activate
	env -u DATABASE_URL -u REDIS_URL $(BIN)/python -m pytest

# PostgreSQL and Redis (each test session makes its own database and Redis namespace).
test-services: $(BIN)/activate
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(BIN)/python -m pytest

# Benchmarks on PostgreSQL + Redis (own database and namespace, dropped at the end); sizes via
# BENCH_* variables or `python -m tests.benchmarks --help`. Not part of `make test`.
bench: $(BIN)/activate
	$(BIN)/python -m tests.benchmarks

# After changing an interface string: extract into the Russian catalog, translate what it names
# in web/translations/ru/LC_MESSAGES/messages.po, run again to compile.
translations: $(BIN)/activate
	$(BIN)/python -m web.translations.build

lint: $(BIN)/activate
	$(BIN)/ruff check .
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) var build *.egg-info

# aTES: `make run` serves the embedded default with demo data; `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
FLASK := $(BIN)/flask --app wsgi
TEST_DATABASE_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/postgres
TEST_REDIS_URL ?= redis://127.0.0.1:6379/0
TEST_RABBITMQ_URL ?= amqp://guest:guest@127.0.0.1:5672/%2F
# What RabbitMQ must prove again: delivery, dead letters, poison messages, and the faults.
RABBITMQ_TESTS ?= tests/integration/outbox/test_outbox.py tests/integration/outbox/test_faults.py \
	tests/integration/outbox/test_relay_wakeup.py tests/integration/outbox/test_metrics.py \
	tests/integration/outbox/test_broker_faults.py::test_malformed_messages_in_a_queue_are_dead_lettered_once_and_the_worker_goes_on

.PHONY: run test test-embedded test-services test-rabbitmq lint bench clean translations

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

test: test-embedded test-services test-rabbitmq

# The embedded default: SQLite and the in-process broker.
test-embedded: $(BIN)/activate
	env -u DATABASE_URL -u BROKER_URL -u REDIS_URL -u ATES_ENV $(BIN)/python -m pytest

# PostgreSQL and Redis (each test session makes its own database and Redis namespace).
test-services: $(BIN)/activate
	env -u REDIS_URL -u ATES_ENV DATABASE_URL=$(TEST_DATABASE_URL) BROKER_URL=$(TEST_REDIS_URL) \
		$(BIN)/python -m pytest

# PostgreSQL and RabbitMQ, the broker's own tests only (a vhost of the session's own).
test-rabbitmq: $(BIN)/activate
	env -u REDIS_URL -u ATES_ENV DATABASE_URL=$(TEST_DATABASE_URL) BROKER_URL=$(TEST_RABBITMQ_URL) \
		$(BIN)/python -m pytest $(RABBITMQ_TESTS)

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

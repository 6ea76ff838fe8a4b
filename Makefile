# The two commands: `make run` (serve the API with the article's data) and `make test`.
# Both create the virtualenv and install pinned requirements on first use; both are idempotent.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# The development server runs with debug on (and its own development-only secret key).
DEV := DJANGO_DEBUG=$${DJANGO_DEBUG:-1}

.DEFAULT_GOAL := help
.PHONY: help run serve test contract fuzz fuzz-outside loadtest bench export-memory lint format schema setup data editor clean

help:
	@echo "make run    set up, load the article's data and serve on http://$(HOST):$(PORT)/"
	@echo "make serve  the same data served as in production: gunicorn, WhiteNoise, debug off"
	@echo "make test   set up and run the whole test suite"
	@echo "make editor the user \`editor\` (editors group) that the README's write examples use"
	@echo "make lint   ruff (lint and format check) and mypy"
	@echo "make contract  validate and lint openapi.yaml (openapi-spec-validator, Spectral, Redocly)"
	@echo "make fuzz   deep schema fuzzing: 1000 examples per operation, then stateful workflows"
	@echo "make fuzz-outside  schemathesis' CLI with its defaults against \`make serve\` (PostgreSQL)"
	@echo "make loadtest serve as in production (gunicorn, PostgreSQL), load it 30 s, report"
	@echo "make bench  the read path against FastAPI and bare psycopg peers (BENCH_EVENTS=100000; 'both' adds 1M)"
	@echo "make export-memory  peak memory of a worker exporting 1,000,000 events (PostgreSQL)"
	@echo "make format format the code with ruff"
	@echo "make schema regenerate openapi.yaml from the code (commit it; a test compares)"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# A stamp per requirements file, so a changed pin reinstalls and an unchanged one does not.
$(VENV)/.requirements: requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.requirements-dev: requirements-dev.txt requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@ $(VENV)/.requirements

# The peers `make bench` measures the service against (FastAPI, SQLAlchemy, uvicorn): bench only.
$(VENV)/.requirements-bench: requirements-bench.txt requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-bench.txt
	touch $@

setup: $(VENV)/.requirements

# This checkout's development settings, so that every manage.py command typed in a terminal runs
# as `make run` does (policyapi/settings.py reads the file; a variable in the environment wins).
# Written once, never overwritten: edit it freely. A production host has no such file.
.env:
	@printf '%s\n' \
	  "# This checkout's development settings (written by make; not committed). The environment" \
	  "# wins over this file; a production host has none (README: Configuration)." \
	  "DJANGO_DEBUG=1" >$@
	@echo "wrote $@: DJANGO_DEBUG=1 for manage.py commands in this checkout"

# Migrate, load the article data set and the CAMEO codebook (loading either again changes
# nothing). The codebook is GDELT's file as published: the loader reports the one line it
# cannot repair (044) and skips it.
data: setup .env
	$(DEV) $(BIN)/python manage.py migrate --noinput
	$(DEV) $(BIN)/python manage.py loaddata article
	$(DEV) $(BIN)/python manage.py load_cameo fixtures/cameo/CAMEO.eventcodes.txt --skip-invalid

run: data
	@echo ""
	@echo "  API root:    http://$(HOST):$(PORT)/api/v1/"
	@echo "  Swagger UI:  http://$(HOST):$(PORT)/api/v1/docs/"
	@echo "  ReDoc:       http://$(HOST):$(PORT)/api/v1/redoc/"
	@echo "  Admin:       http://$(HOST):$(PORT)/admin/"
	@echo "  Create an admin user (in another terminal):"
	@echo "      $(BIN)/python manage.py createsuperuser"
	@echo "  Create the user \`editor\` of the README's write examples:"
	@echo "      make editor"
	@echo ""
	$(DEV) $(BIN)/python manage.py runserver $(HOST):$(PORT)

# The user `editor` in the `editors` group (no password: it writes with a token, which
# `manage.py drf_create_token editor` gives). Running it again changes nothing.
editor: data
	$(DEV) $(BIN)/python manage.py create_editor editor

# As production runs it (scripts/serve.sh): debug off, static files collected and served by
# WhiteNoise, gunicorn with WEB_CONCURRENCY workers x GUNICORN_THREADS threads on HOST:PORT.
serve: data
	HOST=$(HOST) PORT=$(PORT) bash scripts/serve.sh

test: $(VENV)/.requirements-dev
	$(BIN)/pytest

# CI fuzzes every operation with FUZZ_EXAMPLES=25 as part of `make test`; this is the deep run.
fuzz: $(VENV)/.requirements-dev
	FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-1000} $(BIN)/pytest tests/test_fuzz.py -p no:logging
	FUZZ_STATEFUL_EXAMPLES=$${FUZZ_STATEFUL_EXAMPLES:-1000} $(BIN)/pytest tests/fuzz_stateful.py -p no:logging

# schemathesis' CLI as a stranger runs it: its defaults (no schemathesis.toml, no hooks), from a
# directory outside the repository, against the service set up and served as `make serve` does,
# on a PostgreSQL database of its own (dropped after); writes as an editor. CI runs it.
# Settings: scripts/outside/schemathesis.sh. Needs PostgreSQL on 127.0.0.1:5432.
fuzz-outside: $(VENV)/.requirements-dev
	bash scripts/outside/schemathesis.sh

# Serve as in production (gunicorn, a PostgreSQL database of its own, debug off) and load it for
# 30 s: wrk on 64 connections (installed from Debian if missing) plus concurrent editor writes.
# Exits 1 on any unexpected status or lost write. Needs PostgreSQL on 127.0.0.1:5432.
loadtest: $(VENV)/.requirements-dev
	bash scripts/loadtest/run.sh

# Load BENCH_EVENTS synthetic events (default 100000; `both`: 100000 then 1000000) into a
# PostgreSQL database of its own, serve the service (cache on, cache off) and two independent
# peers (FastAPI + SQLAlchemy, bare WSGI + psycopg; requirements-bench.txt) with gunicorn, check
# that all four give the same bodies, load each scenario with wrk in interleaved rounds and
# print the report. Settings: scripts/bench/run.sh. Needs PostgreSQL on 127.0.0.1:5432.
bench: $(VENV)/.requirements-dev $(VENV)/.requirements-bench
	bash scripts/bench/run.sh

# Peak memory of a gunicorn worker streaming the events export of EVENTS synthetic events, on a
# PostgreSQL database the run creates and drops. Fails above 150 MB. Needs PostgreSQL on
# 127.0.0.1:5432 with trust auth.
export-memory: $(VENV)/.requirements-dev
	$(BIN)/python scripts/export_memory.py --events $${EVENTS:-1000000}

lint: $(VENV)/.requirements-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(DEV) $(BIN)/mypy .

# The committed schema as outsiders check it: openapi-spec-validator with URI formats checked
# (rfc3987 installed, asserted first: without it the check passes silently), then Spectral
# (spectral:oas) and Redocly (recommended), pinned in contract/package-lock.json; zero errors.
# Rules switched off: contract/redocly.yaml, with their reasons. `make test` validates every
# response the tests receive against the same file (tests/contract.py).
contract: $(VENV)/.requirements-dev contract/node_modules/.package-lock.json
	$(BIN)/python -c "import rfc3987"
	$(BIN)/openapi-spec-validator openapi.yaml
	cd contract && npx --no-install spectral lint --fail-severity=error --ruleset .spectral.yaml ../openapi.yaml
	cd contract && npx --no-install redocly lint --config redocly.yaml ../openapi.yaml

contract/node_modules/.package-lock.json: contract/package-lock.json
	cd contract && npm ci --no-audit --no-fund

schema: setup
	$(DEV) $(BIN)/python manage.py spectacular --validate --fail-on-warn --file openapi.yaml

format: $(VENV)/.requirements-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles .pytest_cache .mypy_cache .ruff_cache

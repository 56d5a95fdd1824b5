# Madoguchi — two commands on a fresh machine:
#   make run    set everything up and serve the demo city on http://127.0.0.1:8000
#   make test   set everything up and run every test (PostgreSQL when DATABASE_URL is set)
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
UV := $(VENV)/bin/uv
UV_VERSION := 0.13.8
MANAGE := $(PY) src/manage.py
HOST ?= 127.0.0.1
PORT ?= 8000
# pytest-xdist workers; "auto" uses every core.
TEST_WORKERS ?= auto

.PHONY: run test setup lint format messages check-migrations bench bench-submit bench-surge bench-cases bench-opendata bench-ocr bench-dashboard clean

## Python environment: reinstalled only when the lock file changes.
$(VENV)/.installed: requirements.lock
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 ($(PYTHON)) is required."; exit 1; }
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"
	@$(UV) pip sync --quiet --python $(PY) --require-hashes requirements.lock
	@touch $@

## Front-end packages (design tokens, axe-core): reinstalled only when the lock file changes.
node_modules/.installed: package-lock.json
	@command -v npm >/dev/null || { echo "Node.js and npm are required."; exit 1; }
	@npm ci --no-audit --no-fund --silent
	@touch $@

setup: $(VENV)/.installed node_modules/.installed
	@mkdir -p var

run: setup
	@bash scripts/ensure-fonts.sh
	@$(MANAGE) setup_demo
	@bash scripts/run-dev.sh $(HOST) $(PORT)

test: setup
	@bash scripts/ensure-browser.sh
	@bash scripts/ensure-fonts.sh 1
	@bash scripts/ensure-ocr.sh
	@$(PY) -m pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

lint: setup
	@$(VENV)/bin/ruff check .
	@$(VENV)/bin/ruff format --check .

format: setup
	@$(VENV)/bin/ruff format .
	@$(VENV)/bin/ruff check --fix .

messages: setup
	@cd src && ../$(PY) manage.py makemessages -l en --no-obsolete --no-location
	@$(PY) scripts/compile_messages.py

bench: bench-submit bench-cases bench-opendata bench-ocr bench-dashboard

## The submit path against a bare insert, on SQLite and PostgreSQL (docs/performance.md).
bench-submit: setup
	@bash scripts/ensure-bench-tools.sh
	@bash bench/submit/run.sh

## The day after a disaster: mixed load, submit vs bare insert, 3x overload, scale-out, optional replay
## (SURGE_REPLAY=50000) on PostgreSQL with several web processes and workers (docs/performance.md).
bench-surge: setup
	@bash scripts/ensure-bench-tools.sh
	@SURGE_REPLAY=$(SURGE_REPLAY) bash bench/surge/run.sh

## The case queue with 10k, 100k and 1M cases on PostgreSQL (docs/performance.md).
bench-cases: setup
	@bash bench/cases/run.sh

## CKAN package_search over 2,000 datasets on SQLite (docs/performance.md).
bench-opendata: setup
	@$(PY) bench/bench_opendata.py

## The public dashboard over a year of 200,000 cases on SQLite (docs/performance.md).
bench-dashboard: setup
	@$(PY) bench/bench_dashboard.py

## OCR accuracy and speed on synthetic scan-degraded fields, per engine (docs/performance.md).
bench-ocr: setup
	@bash scripts/ensure-fonts.sh
	@bash scripts/ensure-ocr.sh bench
	@$(PY) bench/ocr/run.py $(BENCH_OCR_ARGS)

## gunicorn (sync, gthread) against granian on PostgreSQL: requests/s, p50/p99, memory (docs/performance.md).
.PHONY: bench-servers
bench-servers: setup
	@bash scripts/ensure-bench-tools.sh
	@bash bench/servers/run.sh

clean:
	rm -rf $(VENV) node_modules var

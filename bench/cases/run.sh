#!/usr/bin/env bash
# make bench-cases: seed 10k, 100k then 1M cases on PostgreSQL and time the queue's first page, a filtered
# page and two searches through the real view (in-process, with a logged-in 担当者). The numbers should
# stay flat as the table grows (docs/performance.md).
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=.venv/bin/python
mkdir -p bench/results
export DJANGO_SETTINGS_MODULE=bench.settings PYTHONPATH=src:.
bash scripts/ensure-postgres.sh >/dev/null
psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS madoguchi_bench_cases" -c "CREATE DATABASE madoguchi_bench_cases"
export DATABASE_URL=postgres://postgres@127.0.0.1:5432/madoguchi_bench_cases
$PY src/manage.py migrate --no-input -v 0
$PY src/manage.py createcachetable
$PY src/manage.py load_demo --quiet-logins >/dev/null
$PY src/manage.py load_procedures >/dev/null
$PY src/manage.py bench_cases --sizes "${BENCH_SIZES:-10000,100000,1000000}" | tee bench/results/cases-latest.md

#!/usr/bin/env bash
# make bench-submit: the full submit path (POST the check page of a complete draft: validation against
# the JSON Schema, encryption, receipt number, audit row, file retention, draft deletion, task enqueue)
# against a bare Django view that inserts one row, side by side, on SQLite and on PostgreSQL.
# gunicorn with 4 sync workers, wrk with 2 threads and 32 connections, loopback only, bounded in time.
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=.venv/bin/python
DURATION=${BENCH_DURATION:-10s}
CONNECTIONS=${BENCH_CONNECTIONS:-32}
DRAFTS=${BENCH_DRAFTS_COUNT:-8000}
PORT=${BENCH_PORT:-8765}
OUT=bench/results
mkdir -p var/bench "$OUT"
command -v wrk >/dev/null || { echo "wrk is needed (Debian package wrk)"; exit 1; }
export DJANGO_SETTINGS_MODULE=bench.settings PYTHONPATH=src:. BENCH_THREADS=2

run_db() {
  local name=$1 url=$2
  export DATABASE_URL=$url
  $PY src/manage.py migrate --no-input -v 0
  $PY src/manage.py createcachetable
  $PY src/manage.py bench_prepare --drafts "$DRAFTS" --out "var/bench/drafts-$name.txt" >/dev/null
  .venv/bin/gunicorn --chdir src --pythonpath ..,. madoguchi.wsgi:application -w 4 -b "127.0.0.1:$PORT" \
    --env DJANGO_SETTINGS_MODULE=bench.settings --log-level warning &
  local pid=$!
  trap 'kill $pid 2>/dev/null || true' RETURN
  for _ in $(seq 1 50); do curl -s -o /dev/null "http://127.0.0.1:$PORT/healthz" && break; sleep 0.2; done
  # The first 1,000 drafts warm up; the rest are measured (each draft is submitted once).
  head -n 1000 "var/bench/drafts-$name.txt" > "var/bench/warm-$name.txt"
  tail -n +1001 "var/bench/drafts-$name.txt" > "var/bench/main-$name.txt"
  local before
  BENCH_DRAFTS="var/bench/warm-$name.txt" wrk -t2 -c8 -d2s -s bench/submit/submit.lua "http://127.0.0.1:$PORT" >/dev/null
  before=$($PY src/manage.py shell --no-imports -v 0 -c "from madoguchi.submissions.models import Submission; print(Submission.objects.count())")
  BENCH_DRAFTS="var/bench/main-$name.txt" wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency -s bench/submit/submit.lua \
    "http://127.0.0.1:$PORT" > "$OUT/$name-submit.txt"
  wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency -s bench/submit/insert.lua "http://127.0.0.1:$PORT/bench/insert" \
    > "$OUT/$name-insert.txt"
  local made
  made=$($PY src/manage.py shell --no-imports -v 0 -c "from madoguchi.submissions.models import Submission; print(Submission.objects.count())")
  echo "$((made - before))" > "$OUT/$name-submissions-created.txt"
  kill $pid; wait $pid 2>/dev/null || true
}

rm -f var/bench/bench.sqlite3*
run_db sqlite "sqlite:///$(pwd)/var/bench/bench.sqlite3"
bash scripts/ensure-postgres.sh >/dev/null
psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS madoguchi_bench" -c "CREATE DATABASE madoguchi_bench"
run_db postgres "postgres://postgres@127.0.0.1:5432/madoguchi_bench"
$PY bench/submit/report.py "$OUT"

#!/usr/bin/env bash
# Where the web's interpreter time goes during a surge of online filings: py-spy samples one granian
# worker (2 workers x 8 threads, as bench/surge/run.sh starts them, driven directly by wrk with 64
# clients) and counts, per function, the samples in which a thread held the interpreter lock.
# Needs the database of a `make bench-surge` run (madoguchi_surge) and py-spy (installed here into
# var/py-spy from PyPI if missing). Output: the top functions by share of the lock-holding samples.
#   bash bench/surge/profile_live.sh [seconds]
set -euo pipefail
cd "$(dirname "$0")/../.."
SECONDS_LOAD=${1:-15}
PORT=${SURGE_PROFILE_PORT:-8779}
OUT=var/bench/surge-profile
mkdir -p "$OUT"
[ -x var/py-spy/bin/py-spy ] || .venv/bin/python -m pip install --quiet --target var/py-spy py-spy
export DJANGO_SETTINGS_MODULE=bench.surge.settings PYTHONPATH=$(pwd)/src:$(pwd)
export DATABASE_URL=postgres://postgres@127.0.0.1:5432/${SURGE_DB:-madoguchi_surge} MADOGUCHI_DB_CONN_MAX_AGE=60 MADOGUCHI_WEB_THREADS=8
.venv/bin/python src/manage.py bench_surge_prepare --drafts-only --drafts $(( SECONDS_LOAD * 1000 + 200 )) \
  --citizens 2000 --uploads 5 --name drafts-profile-live.txt --out-dir "$OUT" >/dev/null
head -n 200 "$OUT/drafts-profile-live.txt" >"$OUT/warm.txt"
tail -n +201 "$OUT/drafts-profile-live.txt" >"$OUT/lines.txt"
setsid .venv/bin/granian --interface wsgi --working-dir src madoguchi.wsgi:application --host 127.0.0.1 \
  --port "$PORT" --workers 2 --blocking-threads 8 --backlog 2048 --log-level warning >"$OUT/server.log" 2>&1 &
SERVER=$!
trap 'kill -- -$SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do curl -sf -o /dev/null "http://127.0.0.1:$PORT/healthz" && break; sleep 0.2; done
run() {  # $1 lines, $2 clients, $3 seconds
  SURGE_ACTION=submit SURGE_LINES=$1 SURGE_THREADS=2 SURGE_EXPECT=ack SURGE_ONCE=1 SURGE_DRAIN_AT=$3 \
    wrk -t2 -c"$2" -d$(( $3 + 3 ))s --timeout 8s -s bench/surge/action.lua "http://127.0.0.1:$PORT"
}
run "$OUT/warm.txt" 8 2 >/dev/null 2>&1
run "$OUT/lines.txt" 64 "$SECONDS_LOAD" >"$OUT/wrk.json" 2>&1 &
LOAD=$!
sleep 3
WORKER=$(pgrep -P "$(pgrep -f "granian.*--port $PORT" | head -1)" | head -1)
var/py-spy/bin/py-spy record --gil --nonblocking -p "$WORKER" -d $(( SECONDS_LOAD - 5 )) -r 200 -f raw -o "$OUT/pyspy.txt" >/dev/null 2>&1
wait "$LOAD" || true
grep -o '"rps": [0-9.]*, "p50_ms": [0-9.]*, "p95_ms": [0-9.]*, "p99_ms": [0-9.]*' "$OUT/wrk.json" || true
.venv/bin/python - "$OUT/pyspy.txt" <<'PY'
import collections, re, sys
total, inclusive = 0, collections.Counter()
for line in open(sys.argv[1]):
    stack, _, n = line.rstrip().rpartition(" ")
    total += int(n)
    for key in {re.sub(r":\d+\)", ")", f)[:110] for f in stack.split(";")}:
        inclusive[key] += int(n)
print(f"{total} samples with the lock held; share of them per function (inclusive):")
for key, n in inclusive.most_common(60):
    if "madoguchi" in key or "jsonschema" in key or "fastjsonschema" in key or "resolve" in key or "gc_" in key:
        print(f"{n / total:6.1%}  {key}")
PY

#!/usr/bin/env bash
# make bench-servers: gunicorn (sync, gthread) against granian (WSGI) serving the same app
# (bench/settings.py) on PostgreSQL, loopback only, bounded in time. For each server and each
# process count N (2 and 4) it measures three paths with wrk: the procedure catalogue (public),
# a citizen's list of applications (logged in: session read and saved on every request) and the
# bare-insert view of bench/submit; then the resident memory of each server process.
# Every configuration runs ROUNDS times, interleaved (all configurations, then all again), because
# the machine is shared and noisy. Results: bench/results/servers-*.txt and a Markdown table.
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=.venv/bin/python
DURATION=${BENCH_DURATION:-10s}
CONNECTIONS=${BENCH_CONNECTIONS:-16}
THREADS=${BENCH_SERVER_THREADS:-4}      # threads per process for gunicorn gthread and granian
ROUNDS=${BENCH_ROUNDS:-2}
PROCESSES=${BENCH_PROCESSES:-"2 4"}
SERVERS=${BENCH_SERVERS:-"gunicorn-sync gunicorn-gthread granian"}
PORT=${BENCH_PORT:-8766}
DB=${BENCH_SERVERS_DB:-madoguchi_bench_servers}
OUT=bench/results/servers
mkdir -p var/bench "$OUT"
rm -f "$OUT"/*.txt
command -v wrk >/dev/null || { echo "wrk is needed (Debian package wrk)"; exit 1; }
export DJANGO_SETTINGS_MODULE=bench.settings PYTHONPATH=src:.
export DATABASE_URL="postgres://postgres@127.0.0.1:5432/$DB"
# Persistent connections, as in production (docs/operations.md): one per thread, kept 60 s.
export MADOGUCHI_DB_CONN_MAX_AGE=${MADOGUCHI_DB_CONN_MAX_AGE:-60}

bash scripts/ensure-postgres.sh >/dev/null
psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
$PY src/manage.py migrate --no-input -v 0
$PY src/manage.py createcachetable
$PY src/manage.py load_demo >/dev/null
$PY src/manage.py load_procedures >/dev/null
# A logged-in citizen: a real session row in the database, as the log-in view makes it.
SESSION=$($PY src/manage.py shell --no-imports -v 0 -c "
from django.conf import settings
from django.test import Client
from madoguchi.accounts.models import User
c = Client()
c.force_login(User.objects.get(email='citizen1@demo.madoguchi.example'))
print(c.cookies[settings.SESSION_COOKIE_NAME].value)")
cat > var/bench/servers-session.lua <<LUA
wrk.headers["Cookie"] = "madoguchi_session=$SESSION"
LUA

start_server() {  # $1 server kind, $2 processes; prints the pid of the server's main process
  local kind=$1 n=$2
  case $kind in
    gunicorn-sync)
      .venv/bin/gunicorn --chdir src --pythonpath ..,. madoguchi.wsgi:application -k sync -w "$n" \
        -b "127.0.0.1:$PORT" --log-level warning --backlog 2048 >/dev/null 2>&1 & ;;
    gunicorn-gthread)
      .venv/bin/gunicorn --chdir src --pythonpath ..,. madoguchi.wsgi:application -k gthread -w "$n" \
        --threads "$THREADS" -b "127.0.0.1:$PORT" --log-level warning --backlog 2048 >/dev/null 2>&1 & ;;
    granian)
      .venv/bin/granian --interface wsgi --host 127.0.0.1 --port "$PORT" --workers "$n" \
        --blocking-threads "$THREADS" --backlog 2048 --log-level warning --no-access-log \
        --working-dir . madoguchi.wsgi:application >/dev/null 2>&1 & ;;
  esac
  echo $!
}

tree_pids() {  # the process and all its descendants
  local pid=$1
  echo "$pid"
  for child in $(pgrep -P "$pid" || true); do tree_pids "$child"; done
}

measure() {  # $1 server kind, $2 processes, $3 round
  local kind=$1 n=$2 round=$3 tag="$1-n$2-r$3" pid
  pid=$(start_server "$kind" "$n")
  local ready=""
  for _ in $(seq 1 300); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/healthz")" = 200 ] && { ready=1; break; }
    sleep 0.2
  done
  [ -n "$ready" ] || { echo "$tag: the server did not start" >&2; kill "$pid"; exit 1; }
  # Warm up every process (imports, URL resolver, templates, a database connection per thread).
  wrk -t2 -c"$CONNECTIONS" --timeout 10s -d2s "http://127.0.0.1:$PORT/procedures/" >/dev/null
  wrk -t2 -c"$CONNECTIONS" --timeout 10s -d2s -s var/bench/servers-session.lua "http://127.0.0.1:$PORT/applications/" >/dev/null
  wrk -t2 -c"$CONNECTIONS" --timeout 10s -d"$DURATION" --latency "http://127.0.0.1:$PORT/procedures/" > "$OUT/$tag-catalogue.txt"
  wrk -t2 -c"$CONNECTIONS" --timeout 10s -d"$DURATION" --latency -s var/bench/servers-session.lua \
    "http://127.0.0.1:$PORT/applications/" > "$OUT/$tag-mine.txt"
  wrk -t2 -c"$CONNECTIONS" --timeout 10s -d"$DURATION" --latency -s bench/submit/insert.lua \
    "http://127.0.0.1:$PORT/bench/insert" > "$OUT/$tag-insert.txt"
  cut -d" " -f1 /proc/loadavg > "$OUT/$tag-load.txt"  # the 1-minute load average (the machine is shared)
  # Resident memory (kB) of every process of the server after the load: "pid rss command".
  for p in $(tree_pids "$pid"); do
    ps -o pid=,rss=,comm= -p "$p" 2>/dev/null || true
  done > "$OUT/$tag-rss.txt"
  kill "$pid"; wait "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$PORT/healthz" || break; sleep 0.2; done
  while ss -ltn | grep -q "127.0.0.1:$PORT "; do sleep 0.2; done  # the port is free for the next server
  echo "done $tag" >&2
}

for round in $(seq 1 "$ROUNDS"); do
  for n in $PROCESSES; do
    for kind in $SERVERS; do
      measure "$kind" "$n" "$round"
    done
  done
done
$PY bench/servers/report.py "$OUT" "$THREADS" "$CONNECTIONS" "$DURATION"

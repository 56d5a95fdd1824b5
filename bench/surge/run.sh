#!/usr/bin/env bash
# make bench-surge: the day after a disaster on this machine (issue 11). PostgreSQL (a fresh database),
# several web processes (gunicorn gthread unless SURGE_SERVER says otherwise) and several background
# workers, driven by wrk + bench/surge/action.lua on loopback, one wrk process per action, bounded in
# time. Phases (docs/performance.md, "Surge (issue 11)"):
#   mixed        64 clients: reading pages 45 %, filing 罹災証明 25 %, My page 12 %, logging in 3 %
#                (with think time: a log-in costs ~0.7 s of CPU), staff working the queue 15 %
#   submit-only  64 clients filing 罹災証明 (with photos), then
#   bare-only    64 clients on a view that inserts one row: same server, same clients, back to back
#   overload     the mixed scenario at 3 x 64 clients, wrk --timeout 2s; acknowledged submits
#                (302 to the receipt) are compared with the submissions stored
#   scale-N      submit-only with N = 1, 2, 3, 4 web processes, with CPU per kind of process
#   replay       SURGE_REPLAY=50000: that many more drafts submitted through the submit action,
#                then checked (exactly once, a case in 資産税課, in the triage view's counts)
# Results: a Markdown table on stdout and var/bench/surge-results.json.
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=.venv/bin/python
PORT=${SURGE_PORT:-8771}
# The reverse proxy in front, as in production (nginx stamps X-Request-Start, so the admission
# control sheds requests that waited too long with a quick 503): SURGE_PROXY=0 drives the server directly.
PROXY=${SURGE_PROXY:-1}
PROXY_PORT=${SURGE_PROXY_PORT:-8772}
# Background workers run at a lower priority: under a surge the web answers first and the queue
# (receipt notices, e-mails) backs up and drains later (docs/operations.md).
WORKER_NICE=${SURGE_WORKER_NICE:-10}
DB=${SURGE_DB:-madoguchi_surge}
CLIENTS=${SURGE_CLIENTS:-64}
OVERLOAD_CLIENTS=${SURGE_OVERLOAD_CLIENTS:-$((CLIENTS * 3))}
DURATION=${SURGE_DURATION:-20}            # seconds per phase
SCALE_DURATION=${SURGE_SCALE_DURATION:-12}
WEB=${SURGE_WEB:-2}                       # web processes (one per core, as docs/operations.md advises)
LAYOUT=${SURGE_LAYOUT:-shared}            # shared: one server, its processes on one port; split: one per port, balanced by nginx
THREADS=${SURGE_WEB_THREADS:-8}           # threads per web process (docs/operations.md)
WORKERS=${SURGE_WORKERS:-2}               # background workers
SCALE=${SURGE_SCALE-"1 2 3 4"}  # set and empty: no scale phases
# Drafts offered to a phase (each submitted at most once): enough for SUBMIT_CAP filings a second
# in the submit-only and scale phases (a phase that runs out of drafts ends early and reports the
# cap, not the rate), 150 a second in the mixed and overload phases. SURGE_PHASE_DRAFTS fixes one number.
SUBMIT_CAP=${SURGE_SUBMIT_CAP:-1000}
PHASE_DRAFTS=${SURGE_PHASE_DRAFTS:-}
phase_drafts() {  # $1: kind (mixed, submit), $2: seconds
  if [ -n "$PHASE_DRAFTS" ]; then echo "$PHASE_DRAFTS"
  elif [ "$1" = submit ]; then echo $(( $2 * SUBMIT_CAP ))
  else echo $(( $2 * 150 )); fi
}
n_scale=0; for _ in $SCALE; do n_scale=$((n_scale + 1)); done
# Default: the warm-ups', the two mixed phases', submit-only's and each scale phase's (75,500).
DRAFTS=${SURGE_DRAFTS:-$(( 300 + 2 * $(phase_drafts mixed "$DURATION") + $(phase_drafts submit "$DURATION") + n_scale * (300 + $(phase_drafts submit "$SCALE_DURATION")) ))}
REPLAY=${SURGE_REPLAY:-0}
REPLAY_MAX_SECONDS=${SURGE_REPLAY_MAX_SECONDS:-3600}  # the replay stops submitting after this long
DRAIN_MAX_SECONDS=${SURGE_DRAIN_MAX_SECONDS:-3600}  # waiting for the workers to make every accepted filing a submission
PHASES=${SURGE_PHASES:-1}
MAIN_PHASES=${SURGE_MAIN_PHASES:-"mixed submit-only bare-only overload"}  # a subset to try one thing                 # 0: only the replay (with SURGE_REPLAY)
LOGIN_THINK_MS=${SURGE_LOGIN_THINK_MS:-2000}
# The server command: %W web processes, %T threads, %P port. Another helper compares granian.
# granian is the production server (docs/operations.md, "Application server"); gunicorn gthread:
#   SURGE_SERVER=".venv/bin/gunicorn --chdir src --pythonpath ..,. madoguchi.wsgi:application -k gthread -w %W --threads %T -b 127.0.0.1:%P --log-level warning --backlog 2048"
SERVER=${SURGE_SERVER:-"env PYTHONPATH=$(pwd)/src:$(pwd) .venv/bin/granian --interface wsgi --working-dir src madoguchi.wsgi:application --host 127.0.0.1 --port %P --workers %W --blocking-threads %T --backlog 2048 --log-level warning"}
OUT=var/bench/surge
command -v wrk >/dev/null || { echo "wrk is needed (Debian package wrk)"; exit 1; }
export DJANGO_SETTINGS_MODULE=bench.surge.settings PYTHONPATH=src:.
export DATABASE_URL="postgres://postgres@127.0.0.1:5432/$DB"
export MADOGUCHI_DB_CONN_MAX_AGE=${MADOGUCHI_DB_CONN_MAX_AGE:-60}
# The admission control (src/madoguchi/core/overload.py) sizes itself from the server's threads.
export MADOGUCHI_WEB_THREADS=$THREADS
WORKER_CMD=${SURGE_WORKER_CMD:-}
if [ -z "$WORKER_CMD" ]; then
  if $PY src/manage.py help worker >/dev/null 2>&1; then WORKER_CMD="$PY src/manage.py worker"; else WORKER_CMD="$PY src/manage.py db_worker"; fi
fi

rm -rf "$OUT" var/bench/surge-files var/bench/surge-phases.jsonl var/bench/surge-replay.json
mkdir -p "$OUT"
T0=$(date +%s)
echo "surge: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%FT%TZ)"
bash scripts/ensure-postgres.sh >/dev/null
psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB"
$PY src/manage.py migrate --no-input -v 0
$PY src/manage.py createcachetable
$PY src/manage.py bench_surge_prepare --drafts "$DRAFTS" --out-dir "$OUT"
echo "prepared in $(( $(date +%s) - T0 )) s"

PIDS=()
SERVER_PIDS=()
NGINX_UP=0
cleanup() {
  for pid in "${SERVER_PIDS[@]}"; do kill -9 -- -"$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do kill -- -"$pid" 2>/dev/null || true; done
}
trap cleanup EXIT
trap 'cleanup; exit 1' INT TERM

# The proxy's configuration for N web processes: one upstream server (LAYOUT=shared: the processes
# share one port) or N of them (LAYOUT=split: one server process per port, nginx sends each request
# to the one with the fewest requests in progress).
write_proxy_conf() {  # $1: web processes
  local servers="" balance="" i
  if [ "$LAYOUT" = split ]; then
    balance="least_conn;"
    for i in $(seq 0 $(( $1 - 1 ))); do servers="$servers server 127.0.0.1:$(( PORT + i ));"; done
  else
    servers="server 127.0.0.1:$PORT;"
  fi
  sed -e "s#@OUT@#$(pwd)/$OUT#g" -e "s#@PROXY_PORT@#$PROXY_PORT#g" -e "s#@SERVERS@#$servers#g" \
    -e "s#@BALANCE@#$balance#g" bench/surge/nginx.conf.template >"$OUT/nginx.conf"
}
start_server() {  # $1: web processes
  local instances=1 per=$1 i cmd port
  if [ "$LAYOUT" = split ]; then instances=$1; per=1; fi
  for i in $(seq 0 $(( instances - 1 ))); do
    port=$(( PORT + i ))
    cmd=${SERVER//%W/$per}
    cmd=${cmd//%T/$THREADS}
    cmd=${cmd//%P/$port}
    setsid bash -c "exec $cmd" >"$OUT/server-$1-$i.log" 2>&1 &
    SERVER_PIDS+=($!)
  done
  for i in $(seq 0 $(( instances - 1 ))); do
    port=$(( PORT + i ))
    local up=0
    for _ in $(seq 1 100); do curl -sf -o /dev/null "http://127.0.0.1:$port/healthz" && { up=1; break; }; sleep 0.2; done
    [ "$up" = 1 ] || { echo "the server did not start:"; tail -20 "$OUT/server-$1-$i.log"; exit 1; }
  done
  if [ "$NGINX_UP" = 1 ]; then
    write_proxy_conf "$1"
    nginx -c "$(pwd)/$OUT/nginx.conf" -s reload
    sleep 1
  fi
}
stop_server() {
  local pid
  for pid in "${SERVER_PIDS[@]}"; do kill -- -"$pid" 2>/dev/null || true; done
  for pid in "${SERVER_PIDS[@]}"; do
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -9 -- -"$pid" 2>/dev/null || true
    while pgrep -g "$pid" >/dev/null 2>&1; do sleep 0.2; done
  done
  SERVER_PIDS=()
}
for i in $(seq 1 "$WORKERS"); do
  setsid bash -c "exec nice -n $WORKER_NICE $WORKER_CMD" >"$OUT/worker-$i.log" 2>&1 &
  PIDS+=($!)
done

TARGET_PORT=$PORT
if [ "$PROXY" = "1" ] && command -v nginx >/dev/null 2>&1; then
  mkdir -p "$OUT/nginx-body" "$OUT/nginx-proxy" "$OUT/nginx-fastcgi" "$OUT/nginx-uwsgi" "$OUT/nginx-scgi"
  write_proxy_conf "$WEB"
  setsid nginx -c "$(pwd)/$OUT/nginx.conf" -e "$(pwd)/$OUT/nginx-error.log" >"$OUT/nginx.log" 2>&1 &
  PIDS+=($!)
  TARGET_PORT=$PROXY_PORT
  NGINX_UP=1
  for _ in $(seq 1 50); do [ -s "$OUT/nginx.pid" ] && break; sleep 0.1; done
  echo "through nginx on port $PROXY_PORT"
elif [ "$PROXY" = "1" ]; then
  echo "nginx is not installed: driving the server directly (no X-Request-Start, so no queue-time shedding)"
fi

# run_wrk DIR ACTION CONNECTIONS LINES EXPECT [extra env...] : one wrk process in the background.
run_wrk() {
  local dir=$1 action=$2 conns=$3 lines=$4 expect=$5; shift 5
  [ "$conns" -gt 0 ] || return 0
  local threads=$(( conns < 2 ? 1 : 2 ))
  env SURGE_ACTION="$action" SURGE_LINES="$lines" SURGE_THREADS="$threads" SURGE_EXPECT="$expect" "$@" \
    wrk -t"$threads" -c"$conns" -d"${WRK_SECONDS}s" --timeout "${WRK_TIMEOUT:-8s}" -s bench/surge/action.lua \
    "http://127.0.0.1:$TARGET_PORT" >"$dir/wrk-$action.json" 2>&1 &
  WRK_PIDS+=($!)
}

# phase NAME KIND CLIENTS SECONDS: KIND is mixed, submit or bare.
# Every action sends requests for SECONDS, then waits (SURGE_DRAIN_AT) while wrk keeps reading answers
# for as long as its timeout: every request sent has its answer, or counts as a timeout, before wrk
# stops, so acknowledged and stored submissions can be compared. Rates are over SECONDS.
phase() {
  local name=$1 kind=$2 clients=$3 seconds=$4 dir="$OUT/$1"
  mkdir -p "$dir"
  WRK_PIDS=()
  local timeout=${WRK_TIMEOUT:-8s}
  WRK_SECONDS=$(( seconds + ${timeout%s} + 1 ))
  local drain=$seconds
  if [ "$kind" != bare ]; then
    $PY bench/surge/surge.py take "$OUT/drafts.txt" "$(phase_drafts "$kind" "$seconds")" "$dir/submit-lines.txt" >/dev/null
  fi
  $PY bench/surge/surge.py cpu "$dir/cpu-before.json"
  case $kind in
    mixed)
      local read=$(( clients * 45 / 100 )) submit=$(( clients * 25 / 100 )) login=$(( clients * 3 / 100 ))
      [ "$login" -ge 1 ] || login=1
      local mypage=$(( clients * 15 / 100 - login ))
      local staff=$(( clients - read - submit - login - mypage ))
      echo "$read $submit $mypage $login $staff" >"$dir/split.txt"
      run_wrk "$dir" read "$read" "$OUT/read.txt" 200 SURGE_DRAIN_AT=$drain
      run_wrk "$dir" submit "$submit" "$dir/submit-lines.txt" ack SURGE_ONCE=1 SURGE_DRAIN_AT=$drain
      run_wrk "$dir" mypage "$mypage" "$OUT/mypage.txt" 200 SURGE_DRAIN_AT=$drain
      run_wrk "$dir" login "$login" "$OUT/login.txt" 302 SURGE_THINK_MS=$LOGIN_THINK_MS SURGE_DRAIN_AT=$drain
      run_wrk "$dir" staff "$staff" "$OUT/staff.txt" 200 SURGE_DRAIN_AT=$drain ;;
    submit)
      run_wrk "$dir" submit "$clients" "$dir/submit-lines.txt" ack SURGE_ONCE=1 SURGE_DRAIN_AT=$drain ;;
    bare)
      run_wrk "$dir" bare "$clients" "$OUT/bare.txt" 200 SURGE_DRAIN_AT=$drain ;;
  esac
  # CPU per kind of process over the SECONDS of load (the snapshot is taken while wrk still runs).
  (sleep "$seconds"; $PY bench/surge/surge.py cpu "$dir/cpu-after.json") &
  local cpu_pid=$!
  wait "${WRK_PIDS[@]}" || true
  wait "$cpu_pid" || true
  $PY bench/surge/surge.py phase "$name" "$dir" "$seconds"
}

echo "POST /bench/insert - - x=1" >"$OUT/bare.txt"
start_server "$WEB"
# Warm-up (not counted): every process imports and connects.
mkdir -p "$OUT/warm"; WRK_PIDS=(); WRK_SECONDS=3
$PY bench/surge/surge.py take "$OUT/drafts.txt" 300 "$OUT/warm/submit-lines.txt" >/dev/null
run_wrk "$OUT/warm" submit 8 "$OUT/warm/submit-lines.txt" ack SURGE_ONCE=1
run_wrk "$OUT/warm" read 8 "$OUT/read.txt" 200
run_wrk "$OUT/warm" staff 4 "$OUT/staff.txt" 200
wait "${WRK_PIDS[@]}" || true

if [ "$PHASES" = 1 ]; then
for name in $MAIN_PHASES; do
  case $name in
    mixed) phase mixed mixed "$CLIENTS" "$DURATION" ;;
    submit-only) phase submit-only submit "$CLIENTS" "$DURATION" ;;
    bare-only) phase bare-only bare "$CLIENTS" "$DURATION" ;;
    overload) WRK_TIMEOUT=2s phase overload mixed "$OVERLOAD_CLIENTS" "$DURATION" ;;
  esac
done
echo "queue after the overload: $($PY src/manage.py shell --no-imports -v 0 -c "
from django_tasks_db.models import DBTaskResult
print(DBTaskResult.objects.filter(status='READY').count(), 'tasks waiting,', DBTaskResult.objects.filter(status='SUCCESSFUL').count(), 'done')")"
stop_server
for n in $SCALE; do
  start_server "$n"
  # Warm-up, not counted (as before the main phases): every process imports, connects and
  # compiles its validators before the clock starts.
  mkdir -p "$OUT/warm-$n"; WRK_PIDS=(); WRK_SECONDS=3
  $PY bench/surge/surge.py take "$OUT/drafts.txt" 300 "$OUT/warm-$n/submit-lines.txt" >/dev/null
  run_wrk "$OUT/warm-$n" submit 16 "$OUT/warm-$n/submit-lines.txt" ack SURGE_ONCE=1
  wait "${WRK_PIDS[@]}" || true
  phase "scale-$n" submit "$CLIENTS" "$SCALE_DURATION"
  stop_server
done
# The accepted filings left in the queue by the phases: the workers make them submissions (cases,
# triage rows, receipt notices) with the web quiet; how long that takes is reported.
$PY bench/surge/surge.py drain "$DRAIN_MAX_SECONDS" "$OUT/drain-phases.json"
else
  stop_server
fi

if [ "$REPLAY" -gt 0 ]; then
  T1=$(date +%s)
  $PY src/manage.py bench_surge_prepare --drafts-only --drafts "$REPLAY" --citizens $(( REPLAY / 10 )) \
    --uploads 20 --name drafts-replay.txt --out-dir "$OUT"
  echo "replay: $REPLAY drafts prepared in $(( $(date +%s) - T1 )) s"
  start_server "$WEB"
  T2=$(date +%s)
  round=0
  while :; do
    round=$((round + 1))
    left=$($PY bench/surge/surge.py take "$OUT/drafts-replay.txt" "$REPLAY" "$OUT/replay-left.txt")
    [ "$left" -gt 0 ] || break
    [ $(( $(date +%s) - T2 )) -lt "$REPLAY_MAX_SECONDS" ] || { echo "replay: stopped after $REPLAY_MAX_SECONDS s with $left drafts left"; break; }
    mkdir -p "$OUT/replay-$round"; WRK_PIDS=()
    cp "$OUT/replay-left.txt" "$OUT/replay-$round/submit-lines.txt"
    WRK_SECONDS=69
    run_wrk "$OUT/replay-$round" submit "$CLIENTS" "$OUT/replay-$round/submit-lines.txt" ack SURGE_ONCE=1 SURGE_DRAIN_AT=60
    wait "${WRK_PIDS[@]}" || true
  done
  echo "replay: submitted in $(( $(date +%s) - T2 )) s ($round rounds)"
  stop_server
  $PY bench/surge/surge.py drain "$DRAIN_MAX_SECONDS" "$OUT/drain-replay.json"
  $PY bench/surge/surge.py replay "$OUT/drafts-replay.txt"
fi
echo "total $(( $(date +%s) - T0 )) s, load average $(cut -d' ' -f1-3 /proc/loadavg)"
[ -s var/bench/surge-phases.jsonl ] || : >var/bench/surge-phases.jsonl
$PY bench/surge/surge.py report

#!/usr/bin/env bash
# Serve the demo city with the background worker beside the web server.
# Ctrl-C stops both; if either stops on its own, the other is stopped too.
set -uo pipefail
host=${1:-127.0.0.1}
port=${2:-8000}
cd "$(dirname "$0")/.."
py=.venv/bin/python

$py src/manage.py worker --queue-name default --interval 1 &
worker=$!
$py src/manage.py runserver "$host:$port" &
web=$!
echo "Serving on http://$host:$port/ with the background worker. Ctrl-C stops both."

stop() {
  trap - INT TERM
  kill -TERM "$web" "$worker" 2>/dev/null
  wait "$web" "$worker" 2>/dev/null
}
trap 'stop; exit 130' INT
trap 'stop; exit 143' TERM

wait -n "$web" "$worker"
status=$?
stop
exit "$status"

#!/usr/bin/env bash
# Serve the demo city with the background worker beside the web server.
# Ctrl-C (or the end of this script for any reason) stops both.
set -euo pipefail
host=${1:-127.0.0.1}
port=${2:-8000}
cd "$(dirname "$0")/.."
py=.venv/bin/python

$py src/manage.py db_worker --queue-name default --interval 1 &
worker=$!
trap 'kill "$worker" 2>/dev/null || true; wait "$worker" 2>/dev/null || true' EXIT INT TERM

echo "Serving on http://$host:$port/ (worker pid $worker). Ctrl-C stops both."
$py src/manage.py runserver "$host:$port"

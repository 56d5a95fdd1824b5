#!/usr/bin/env bash
# The benchmarks drive load with wrk, and the surge benchmark puts nginx in front as production does
# (Debian packages); install what is missing when we may.
set -euo pipefail
missing=()
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
command -v nginx >/dev/null 2>&1 || missing+=(nginx-light)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  # The package starts a system nginx on port 80; the benchmark runs its own.
  { systemctl stop nginx || service nginx stop || pkill -x nginx; } >/dev/null 2>&1 || true
  exit 0
fi
command -v wrk >/dev/null 2>&1 || { echo "The benchmarks need wrk: install Debian's 'wrk' package." >&2; exit 1; }
echo "nginx is missing: the surge benchmark drives the server directly (Debian's 'nginx-light')." >&2

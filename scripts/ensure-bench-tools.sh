#!/usr/bin/env bash
# The benchmarks drive load with wrk (Debian package); install it when missing and we may.
set -euo pipefail
command -v wrk >/dev/null 2>&1 && exit 0
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
  exit 0
fi
echo "The benchmarks need wrk: install Debian's 'wrk' package." >&2
exit 1

#!/usr/bin/env bash
# The browser tests drive Debian's Chromium through Playwright (no browser download).
# Install it when it is missing and we may (root with apt); otherwise say what to do.
set -euo pipefail
if [ -n "${MADOGUCHI_CHROMIUM:-}" ] && [ -x "$MADOGUCHI_CHROMIUM" ]; then exit 0; fi
if command -v chromium >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Debian's chromium for the browser tests..."
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  exit 0
fi
echo "The browser tests need Chromium: install Debian's 'chromium' package (or set MADOGUCHI_CHROMIUM)." >&2
exit 1

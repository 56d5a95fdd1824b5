#!/usr/bin/env bash
# Start the local PostgreSQL cluster if it is not running, and make sure the
# `madoguchi` database exists (the tests create their own test_* databases).
set -euo pipefail
if ! pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
  if command -v pg_ctlcluster >/dev/null 2>&1; then
    version=$(ls /etc/postgresql | sort -V | tail -n 1)
    pg_ctlcluster --skip-systemctl-redirect "$version" main start
  else
    echo "PostgreSQL is not running and pg_ctlcluster is not available." >&2
    exit 1
  fi
  for _ in $(seq 1 30); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 1; done
fi
if ! psql -h 127.0.0.1 -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'madoguchi'" | grep -q 1; then
  psql -h 127.0.0.1 -U postgres -qc "CREATE DATABASE madoguchi"
fi
echo "PostgreSQL is ready."

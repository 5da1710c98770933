#!/usr/bin/env bash
# Install what the tests need, then run the whole suite on SQLite and on PostgreSQL.
# TEST_BACKENDS limits the backends ("sqlite", "postgresql" or both, space-separated);
# TEST_POSTGRES_URL names the PostgreSQL server (default: postgres@127.0.0.1:5432/test).
# Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
.venv/bin/ruff check .
status=0
for backend in ${TEST_BACKENDS:-sqlite postgresql}; do
  echo "=== tests on $backend ==="
  TEST_DATABASE=$backend .venv/bin/python -m pytest "$@" || status=$?
  if [ "$status" -ne 0 ]; then
    echo "tests failed on $backend (exit $status)"
    exit "$status"
  fi
done

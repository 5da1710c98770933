#!/usr/bin/env bash
# Install what the server needs, then serve GraphQL on the embedded SQLite database.
# Extra arguments go to `server.py serve`, for example --port 9000.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec .venv/bin/python server.py serve "$@"

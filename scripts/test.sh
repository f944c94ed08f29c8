#!/usr/bin/env bash
# Runs the whole test suite. Starts and stops what the tests need itself; with CI=true a
# missing service (e.g. Chromium for the browser tests) fails the run instead of skipping.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || { echo "test: no .venv; run scripts/setup.sh first" >&2; exit 1; }

if [ "${CI:-}" = "true" ]; then
  export BACKSTRIDE_REQUIRE_SERVICES=1
fi
export BACKSTRIDE_DATA_DIR="$(mktemp -d)"
trap 'rm -rf "$BACKSTRIDE_DATA_DIR"' EXIT

if [ $# -eq 0 ]; then  # the whole suite also checks style and types
  .venv/bin/ruff check src tests benchmarks
  .venv/bin/mypy
fi

set +e
.venv/bin/python -m pytest "$@"
status=$?
set -e
if [ $status -eq 5 ]; then
  echo "test: no tests were collected: failing" >&2
  exit 1
fi
exit $status

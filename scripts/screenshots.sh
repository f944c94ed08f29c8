#!/usr/bin/env bash
# Regenerates docs/screenshots on purpose: runs the browser tests with their screenshots going
# to docs/screenshots (a normal test run writes them to a temp folder and leaves the checkout
# clean). Needs what scripts/setup.sh installs.
set -euo pipefail
cd "$(dirname "$0")/.."
BACKSTRIDE_SCREENSHOTS=docs bash scripts/test.sh -m browser "$@"
git status --short docs/screenshots

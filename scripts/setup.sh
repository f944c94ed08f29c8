#!/usr/bin/env bash
# Sets up everything the demo and the tests need on a fresh Debian machine with Python 3.11:
# Debian packages (Chromium for the browser test of the report, PostgreSQL for the storage tests,
# OpenCV's GL and GLib libraries for the video analysis;
# scripts/test.sh runs a throwaway server of its own, never the system one), a .venv in the
# checkout and the package with every extra. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else "$@"; fi; }

# libgl1 and libglib2.0-0: OpenCV (the video extra, via MediaPipe) loads them at import.
# fonts-dejavu-core: the clinician summary PDF (backstride summary) draws its text in DejaVu Sans.
debian_packages=(chromium postgresql libgl1 libglib2.0-0 fonts-dejavu-core)
missing=()
for pkg in "${debian_packages[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ] && command -v apt-get >/dev/null; then
  echo "setup: installing Debian packages: ${missing[*]}"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

python=$(command -v python3.11 || command -v python3)
[ -x .venv/bin/python ] || "$python" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e ".[all]"
echo "setup: done ($(.venv/bin/python --version), backstride $(.venv/bin/backstride --version | awk '{print $NF}'))"

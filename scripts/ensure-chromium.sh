#!/usr/bin/env bash
# The headless browser the live-map integration test drives (through playwright-core, which downloads nothing):
# Debian's `chromium` package at /usr/bin/chromium, installed when missing.
#
# Usage: bash scripts/ensure-chromium.sh
set -euo pipefail
exec bash "$(dirname "$0")/ensure-apt-package.sh" /usr/bin/chromium chromium "for tests/integration/live-map.int.test.ts"

#!/usr/bin/env bash
# The headless browser the live-map integration test drives (through playwright-core, which downloads nothing):
# Debian's `chromium` package at /usr/bin/chromium. Installs it with apt-get when it is missing; does nothing when it
# is there. Needs root (or passwordless sudo) only in the install case.
#
# Usage: bash scripts/ensure-chromium.sh
set -euo pipefail

CHROMIUM=/usr/bin/chromium
log() { printf '[chromium] %s\n' "$*" >&2; }

if [ -x "$CHROMIUM" ]; then
  exit 0
fi

command -v apt-get >/dev/null 2>&1 || { log "$CHROMIUM is missing and apt-get is not available: install Debian's chromium package"; exit 1; }
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { log "$CHROMIUM is missing; run as root: apt-get install -y chromium"; exit 1; }
  SUDO="sudo -n"
fi

log "installing Debian's chromium (for tests/integration/live-map.int.test.ts)"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null
[ -x "$CHROMIUM" ] || { log "apt-get finished but $CHROMIUM is still missing"; exit 1; }
log "installed: $("$CHROMIUM" --version 2>/dev/null || echo chromium)"

#!/usr/bin/env bash
# The Prometheus integration test (tests/integration/prometheus.int.test.ts) starts its own `prometheus` process (a
# temporary config and data dir, a free port) and checks /metrics output with `promtool`: Debian's `prometheus` package
# (2.42) ships both, installed when missing. The package's system service is not wanted — nothing here scrapes on the
# machine's behalf — so where an init system started it on install, it is stopped and disabled again.
#
# Usage: bash scripts/ensure-prometheus.sh
set -euo pipefail

[ -x /usr/bin/prometheus ] && [ -x /usr/bin/promtool ] && exit 0
bash "$(dirname "$0")/ensure-apt-package.sh" /usr/bin/prometheus prometheus "for the Prometheus scrape test and promtool"
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo -n"
  $SUDO systemctl disable --now prometheus.service >/dev/null 2>&1 || true
fi
[ -x /usr/bin/promtool ] || { echo "[prometheus] promtool is missing after installing prometheus" >&2; exit 1; }

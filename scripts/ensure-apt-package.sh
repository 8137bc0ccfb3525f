#!/usr/bin/env bash
# Makes sure a tool from Debian's packages is installed: does nothing when BINARY (a file, or a folder such as a Python
# module's, that the package installs) exists, else installs PACKAGE with apt-get (root, or passwordless sudo, is needed
# only then). PURPOSE is printed so the install says why.
#
# Usage: bash scripts/ensure-apt-package.sh BINARY PACKAGE "PURPOSE"
set -euo pipefail

BINARY=$1 PACKAGE=$2 PURPOSE=${3:-}
log() { printf '[%s] %s\n' "$PACKAGE" "$*" >&2; }

[ -x "$BINARY" ] && exit 0

command -v apt-get >/dev/null 2>&1 || { log "$BINARY is missing and apt-get is not available: install Debian's $PACKAGE package"; exit 1; }
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { log "$BINARY is missing; run as root: apt-get install -y $PACKAGE"; exit 1; }
  SUDO="sudo -n"
fi

log "installing Debian's $PACKAGE${PURPOSE:+ ($PURPOSE)}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "$PACKAGE" >/dev/null
[ -x "$BINARY" ] || { log "apt-get finished but $BINARY is still missing"; exit 1; }
log "installed: $BINARY"

#!/usr/bin/env bash
# Grubhub's MDRPLIB evaluator (../shared/mdrplib/official/compute_performance_summary.py), which
# tests/integration/official-evaluator.int.test.ts and bench/official-evaluator.bench.ts run, needs pandas and numpy:
# Debian's `python3-pandas` package for /usr/bin/python3, installed when missing. (Checked by its module folder, as the
# package has no binary of its own.)
#
# Usage: bash scripts/ensure-python3-pandas.sh
set -euo pipefail
exec bash "$(dirname "$0")/ensure-apt-package.sh" /usr/lib/python3/dist-packages/pandas python3-pandas "for the official MDRPLIB evaluator"

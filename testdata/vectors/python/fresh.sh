#!/usr/bin/env bash
# Writes fresh random Python evaluator vectors from Debian's real packages to
# the file $1: COUNT random cases per framework (flask, django, fastapi) from SEED.
#   SEED=123 COUNT=5000 testdata/vectors/python/fresh.sh /tmp/fresh-python.jsonl
# The seed used is printed to stderr so that a failing run can be reproduced.
# PYTHON defaults to Debian's /usr/bin/python3, which sees the python3-* packages.
set -euo pipefail

if [ $# -ne 1 ] || [ -z "$1" ]; then
  echo "usage: $0 OUTPUT_FILE   (env: SEED, COUNT, PYTHON)" >&2
  exit 2
fi
seed=${SEED:-$RANDOM$RANDOM}
count=${COUNT:-5000}
echo "python/fresh.sh: seed $seed, count $count per framework" >&2
"${PYTHON:-/usr/bin/python3}" "$(dirname "$0")/gen.py" --seed "$seed" --count "$count" --no-handpicked > "$1"

#!/usr/bin/env bash
# Writes fresh random vectors from real gin, echo and chi apps to the file $1
# (hand-picked cases first, then random ones up to COUNT per framework from SEED).
#   SEED=123 COUNT=5000 testdata/vectors/goweb/fresh.sh /tmp/goweb-fresh.jsonl
# The seed used is printed to stderr so that a failing run can be reproduced.
# The generator is its own Go module (gen/go.mod, gen/go.sum): `go run` there
# downloads exactly the pinned versions that go.sum verifies.
set -euo pipefail

if [ $# -ne 1 ] || [ -z "$1" ]; then
  echo "usage: $0 OUTPUT_FILE   (env: SEED, COUNT, FRAMEWORKS)" >&2
  exit 2
fi
case "$1" in
  /*) out=$1 ;;
  *) out=$PWD/$1 ;;
esac

cd "$(dirname "$0")/gen"
seed=${SEED:-$RANDOM$RANDOM}
count=${COUNT:-5000}
frameworks=${FRAMEWORKS:-gin,chi,echo}
echo "goweb fresh.sh: seed $seed, count $count per framework ($frameworks)" >&2
go run . --seed "$seed" --count "$count" --frameworks "$frameworks" > "$out"

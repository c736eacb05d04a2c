#!/usr/bin/env bash
# Writes fresh random evaluator vectors from the real npm packages to the file $1
# (hand-picked cases first, then COUNT-minus-those random ones from SEED).
#   SEED=123 COUNT=20000 testdata/vectors/fresh.sh /tmp/fresh.jsonl
# The seed used is printed to stderr so that a failing run can be reproduced.
set -euo pipefail

if [ $# -ne 1 ] || [ -z "$1" ]; then
  echo "usage: $0 OUTPUT_FILE   (env: SEED, COUNT)" >&2
  exit 2
fi
case "$1" in
  /*) out=$1 ;;
  *) out=$PWD/$1 ;;
esac

cd "$(dirname "$0")"
if [ ! -d gen/node_modules ]; then
  (cd gen && npm ci --silent)
fi

seed=${SEED:-$RANDOM$RANDOM}
count=${COUNT:-20000}
echo "fresh.sh: seed $seed, count $count" >&2
node gen/gen.js --seed "$seed" --count "$count" > "$out"
# request-ip has its own stream: a tenth as many again.
node gen/gen.js --request-ip --seed "$seed" --count "$((count / 10))" >> "$out"

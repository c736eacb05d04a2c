#!/usr/bin/env bash
# Writes fresh random symfony/laravel vectors from Debian's Symfony
# HttpFoundation (php-symfony-http-foundation) to the file $1: the hand-picked
# cases first, then COUNT-minus-those random ones from SEED.
#   SEED=123 COUNT=20000 testdata/vectors/php/fresh.sh /tmp/fresh-php.jsonl
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

seed=${SEED:-$RANDOM$RANDOM}
count=${COUNT:-20000}
echo "php/fresh.sh: seed $seed, count $count" >&2
php gen.php --seed "$seed" --count "$count" > "$out"

#!/usr/bin/env bash
# Writes fresh random vectors from real gin, echo and chi apps to the file $1:
# COUNT per framework (hand-picked cases first) from the newest pinned
# versions (gen/go.mod), then OLDER_COUNT per framework from each older set
# (gen/go.old*.mod, built with the tags their "// build tags:" line names:
# oldchi without chi's ClientIPFrom*, oldecho without Echo#SchemeExtractor),
# all from SEED.
#   SEED=123 COUNT=5000 OLDER_COUNT=1000 testdata/vectors/goweb/fresh.sh /tmp/goweb-fresh.jsonl
# The seed used is printed to stderr so that a failing run can be reproduced.
# The newest set is also cross-checked: every case whose peer a real socket can
# have (127.0.0.1, ::1, a UNIX socket) is sent over one too, and must agree.
# The generator is its own Go module: `go run` there downloads exactly the
# versions its go.sum (go.old*.sum) verifies.
set -euo pipefail

if [ $# -ne 1 ] || [ -z "$1" ]; then
  echo "usage: $0 OUTPUT_FILE   (env: SEED, COUNT, OLDER_COUNT, FRAMEWORKS)" >&2
  exit 2
fi
case "$1" in
  /*) out=$1 ;;
  *) out=$PWD/$1 ;;
esac

cd "$(dirname "$0")/gen"
seed=${SEED:-$RANDOM$RANDOM}
count=${COUNT:-5000}
older=${OLDER_COUNT:-1000}
frameworks=${FRAMEWORKS:-gin,chi,echo}
echo "goweb fresh.sh: seed $seed, $count per framework ($frameworks) from the newest versions, $older from each older set" >&2
{
  go run . --seed "$seed" --count "$count" --frameworks "$frameworks" --crosscheck
  for mod in go.old*.mod; do
    # Each older set names the build tags that leave out what its releases lack.
    tags=$(sed -n 's|^// build tags: ||p' "$mod")
    go run -tags "$tags" -modfile="$mod" . --seed "$seed" --count "$older" --frameworks "$frameworks"
  done
} > "$out"

#!/usr/bin/env bash
# fuzz.sh: run every fuzz target for a while, one after another.
#
#   scripts/fuzz.sh            10s per target (CI's short run)
#   FUZZTIME=10m scripts/fuzz.sh [TARGET...]
#
# Each target starts from its seed corpus (f.Add seeds and testdata/fuzz)
# plus what earlier runs left in the Go build cache. A failing input is
# written to PKG/testdata/fuzz/TARGET/ by go test; commit it with the fix.
set -euo pipefail
cd "$(dirname "$0")/.."
FUZZTIME=${FUZZTIME:-10s}

# package:target, every Fuzz function of the repository.
all=(
	trustmodel:FuzzParseXFF
	trustmodel:FuzzParseJSAddr
	trustmodel:FuzzCompileProxyAddr
	trustmodel:FuzzCompileTrust
	trustmodel:FuzzParseConfig
	nginxconf:FuzzRealIPWalk
	nginxconf:FuzzInet6
	nginxconf:FuzzLoad
	nginxconf:FuzzUnterminatedScanned
	lint:FuzzLintPipeline
)
listed=$(grep -rhoE '^func Fuzz[A-Za-z0-9]+' --include='*_test.go' . | sed 's/^func //' | sort)
known=$(printf '%s\n' "${all[@]}" | sed 's/.*://' | sort)
if [ "$listed" != "$known" ]; then
	echo "fuzz.sh: the target list is stale; Fuzz functions in the tree:" >&2
	echo "$listed" >&2
	exit 2
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${all[@]}")
for t in "${targets[@]}"; do
	case $t in
	*:*) ;;
	*) t=$(printf '%s\n' "${all[@]}" | grep ":$t\$" || { echo "fuzz.sh: unknown target $t" >&2; exit 2; }) ;;
	esac
	pkg=${t%%:*} name=${t##*:}
	echo "== $name ($pkg, $FUZZTIME)"
	if ! go test "./$pkg" -run '^$' -fuzz "^$name\$" -fuzztime "$FUZZTIME" >"$log" 2>&1; then
		cat "$log"
		exit 1
	fi
	tail -2 "$log"
done

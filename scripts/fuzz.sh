#!/usr/bin/env bash
# fuzz.sh: run every fuzz target, one after another.
#
#   scripts/fuzz.sh                      CI's short run: a fixed number of
#                                        inputs per target (a few seconds each)
#   FUZZTIME=10m scripts/fuzz.sh [FuzzName...]   a long run, by duration
#
# Each target starts from its seed corpus (f.Add seeds and testdata/fuzz)
# plus what earlier runs left in the Go build cache. A failing input is
# written to PKG/testdata/fuzz/TARGET/ by go test; commit it with the fix.
#
# Go 1.26's fuzz coordinator can fail a duration-limited run with a bare
# "context deadline exceeded" when the deadline finds a worker mid-input
# (golang/go#75804, fixed in Go 1.27). Counted runs have no deadline; a
# duration run that fails that way without writing a failing input is
# reported and not counted as a failure.
set -euo pipefail
cd "$(dirname "$0")/.."

# package:target:inputs for the counted run (sized to a few seconds here).
all=(
	trustmodel:FuzzParseXFF:100000
	trustmodel:FuzzParseJSAddr:100000
	trustmodel:FuzzCompileProxyAddr:100000
	trustmodel:FuzzCompileTrust:100000
	trustmodel:FuzzParseConfig:30000
	trustmodel/php:FuzzFilterVar:100000
	trustmodel/php:FuzzHeaderUtilsSplit:100000
	trustmodel/ruby:FuzzIPAddr:100000
	trustmodel/php:FuzzSymfonyEvaluate:20000
	trustmodel/ruby:FuzzRailsEvaluate:5000
	trustmodel/python:FuzzPythonIPAddress:100000
	trustmodel/python:FuzzParseListHeader:100000
	trustmodel/python:FuzzPythonEvaluate:30000
	trustmodel/goweb:FuzzEvaluate:50000
	trustmodel/goweb:FuzzConfig:20000
	nginxconf:FuzzRealIPWalk:50000
	nginxconf:FuzzInet6:100000
	nginxconf:FuzzLoad:5000
	nginxconf:FuzzUnterminatedScanned:50000
	nginxconf:FuzzTokenParserMatchesCrossplane:50000
	nginxconf:FuzzParseStream:20000
	nginxconf:FuzzLocationIndex:50000
	lint:FuzzLintPipeline:2000
	rules:FuzzFindingLog:1000
	trustmodel/jvm:FuzzParseHost:100000
	trustmodel/jvm:FuzzCompileJava:50000
	trustmodel/jvm:FuzzHostAddress:100000
	trustmodel/dotnet:FuzzParseIPEndPoint:100000
)
listed=$(grep -rhoE '^func Fuzz[A-Za-z0-9]+' --include='*_test.go' . | sed 's/^func //' | sort)
known=$(printf '%s\n' "${all[@]}" | cut -d: -f2 | sort)
if [ "$listed" != "$known" ]; then
	echo "fuzz.sh: the target list is stale; Fuzz functions in the tree:" >&2
	echo "$listed" >&2
	exit 2
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
targets=("$@")
files() { if [ -d "$1" ]; then find "$1" -type f | wc -l; else echo 0; fi; }
[ ${#targets[@]} -gt 0 ] || targets=($(printf '%s\n' "${all[@]}" | cut -d: -f2))
for t in "${targets[@]}"; do
	entry=$(printf '%s\n' "${all[@]}" | awk -F: -v t="$t" '$2 == t')
	[ -n "$entry" ] || { echo "fuzz.sh: unknown target $t" >&2; exit 2; }
	IFS=: read -r pkg name count <<<"$entry"
	budget=${FUZZTIME:-${count}x}
	corpus="$pkg/testdata/fuzz/$name"
	before=$(files "$corpus")
	echo "== $name ($pkg, $budget)"
	if go test "./$pkg" -run '^$' -fuzz "^$name\$" -fuzztime "$budget" >"$log" 2>&1; then
		tail -2 "$log"
		continue
	fi
	after=$(files "$corpus")
	if [ -n "${FUZZTIME:-}" ] && [ "$after" = "$before" ] &&
		grep -q '^    context deadline exceeded$' "$log" && [ "$(grep -c -- '--- FAIL' "$log")" = 1 ]; then
		grep -E '^fuzz: elapsed' "$log" | tail -1
		echo "fuzz.sh: $name stopped by Go's fuzztime race (golang/go#75804), no failing input written"
		continue
	fi
	cat "$log"
	exit 1
done

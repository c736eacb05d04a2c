#!/usr/bin/env bash
# bench.sh: time `trustcheck lint`, crossplane's sequential parse and
# `nginx -t` side by side on the same generated fleet tree, for every shape.
#
#   scripts/bench.sh [N...]          default: 1000 10000
#   RUNS=5 NGINX=/usr/sbin/nginx scripts/bench.sh 1000
#   SHAPES=inline scripts/bench.sh 10000 100000
#   BASE=/tmp/trustcheck-main scripts/bench.sh 10000   # also time another binary
#
# SHAPES are scripts/fleetgen -shape presets (default: every one). RUNS
# (default 5) runs are made at up to 10,000 servers, LARGE_RUNS (default 1)
# above: a 100,000-server lint takes half a minute per format. Runs
# alternate between the tools (run i of each before run i+1 of any), so a
# load change on the machine hits them all alike. Prints, per shape and N:
# the median wall time of RUNS runs, the peak RSS (max over the runs, from
# /usr/bin/time's "%M"), lint's ratios to nginx -t and to the crossplane
# parse, and lint's peak RSS in each output format (text, json, sarif,
# github); then lint's time ratio between consecutive sizes. "crossplane
# (16)" is the same parse with the lexer's token channel at the capacity
# trustcheck's loader sets (for reference; the targets are against
# crossplane as it ships). NGINX_MAX (default 30000) is the largest N nginx -t
# runs at (it holds ~80 KB per server); crossplane runs only where the tree's
# files fit in the open-file limit (it holds them all open). Needs go,
# /usr/bin/time and nginx.
set -euo pipefail

cd "$(dirname "$0")/.."
RUNS=${RUNS:-5}
LARGE_RUNS=${LARGE_RUNS:-1}
NGINX=${NGINX:-/usr/sbin/nginx}
NGINX_MAX=${NGINX_MAX:-30000}
SHAPES=(${SHAPES:-default inline inline-single})
SIZES=("$@")
[ ${#SIZES[@]} -gt 0 ] || SIZES=(1000 10000)
TIME=/usr/bin/time
[ -x "$TIME" ] || { echo "bench.sh: needs /usr/bin/time (apt-get install time)" >&2; exit 2; }
[ -x "$NGINX" ] || { echo "bench.sh: no nginx at $NGINX" >&2; exit 2; }

ulimit -n "$(ulimit -Hn)" 2>/dev/null || true # crossplane holds every included file open
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -o "$work/trustcheck" .
go build -o "$work/fleetgen" ./scripts/fleetgen
go build -o "$work/crossplane-parse" ./scripts/crossplane-parse

# Tools to run: names, accepted exit codes and command lines (one string,
# word-split when run). run_all RUNS runs them RUNS times, alternating, and
# sets MED_MS[name] and RSS_KB[name].
names=() oks=() cmds=()
declare -A MED_MS RSS_KB
tool() { names+=("$1"); oks+=("$2"); cmds+=("$3"); }
run_all() {
	local i j name rc t0 t1 kb
	local runs=$1
	declare -A times
	for ((j = 0; j < ${#names[@]}; j++)); do RSS_KB[${names[j]}]=0; times[${names[j]}]=; done
	for ((i = 0; i < runs; i++)); do
		for ((j = 0; j < ${#names[@]}; j++)); do
			name=${names[j]}
			t0=$(date +%s%N)
			set +e
			# shellcheck disable=SC2086
			"$TIME" -f '%M' -o "$work/rss" ${cmds[j]} >/dev/null 2>"$work/err"
			rc=$?
			set -e
			t1=$(date +%s%N)
			if [[ " ${oks[j]} " != *" $rc "* ]]; then
				echo "bench.sh: $name exited $rc:" >&2
				tail -3 "$work/err" >&2
				exit 1
			fi
			times[$name]+=" $(((t1 - t0) / 1000000))"
			kb=$(tail -1 "$work/rss")
			((kb > RSS_KB[$name])) && RSS_KB[$name]=$kb
		done
	done
	for ((j = 0; j < ${#names[@]}; j++)); do
		name=${names[j]}
		MED_MS[$name]=$(printf '%s\n' ${times[$name]} | sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : int((a[NR/2]+a[NR/2+1])/2)}')
	done
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == "" || b == 0 || a == "") print "n/a"; else printf "%.2f", a / b }'; }
mb() { awk -v k="$1" 'BEGIN{printf "%.1f", k/1024}'; }
row() { printf '%-7s %-18s %10s %10s %10s\n' "$1" "$2" "${MED_MS[$3]}" "$(mb "${RSS_KB[$3]}")" "$4"; }

for shape in "${SHAPES[@]}"; do
	[ ${#SHAPES[@]} -eq 1 ] && [ "$shape" = default ] || echo "shape $shape"
	printf '%-7s %-18s %10s %10s %10s\n' servers tool median_ms peak_MB files
	prev_n= prev_lint=
	for n in "${SIZES[@]}"; do
		tree="$work/fleet$n"
		"$work/fleetgen" -shape "$shape" -n "$n" -out "$tree"
		files=$(find "$tree" -name '*.conf' | wc -l)
		names=() oks=() cmds=()
		tool lint "0 1" "$work/trustcheck lint --no-color $tree/nginx.conf"
		for f in json sarif github; do tool "lint-$f" "0 1" "$work/trustcheck lint --format $f $tree/nginx.conf"; done
		[ -n "${BASE:-}" ] && tool base "0 1" "$BASE lint --no-color $tree/nginx.conf"
		cp=$((files < $(ulimit -n) - 64)) # else crossplane runs out of file descriptors
		((cp)) && tool cp 0 "$work/crossplane-parse $tree/nginx.conf"
		((cp)) && tool cp16 0 "$work/crossplane-parse -token-buffer 16 $tree/nginx.conf"
		((n <= NGINX_MAX)) && tool nginx 0 "$NGINX -t -q -p $tree/ -c nginx.conf -e stderr"
		runs=$RUNS
		((n <= 10000)) || runs=$LARGE_RUNS
		run_all "$runs"
		row "$n" "trustcheck lint" lint "$files"
		for f in json sarif github; do row "$n" "  --format $f" "lint-$f" "$files"; done
		[ -n "${BASE:-}" ] && row "$n" "base lint" base "$files"
		((cp)) && row "$n" "crossplane parse" cp "$files"
		((cp)) && row "$n" "crossplane (16)" cp16 "$files"
		((n <= NGINX_MAX)) && row "$n" "nginx -t" nginx "$files"
		lint_ms=${MED_MS[lint]} peak=0
		for k in lint lint-json lint-sarif lint-github; do ((RSS_KB[$k] > peak)) && peak=${RSS_KB[$k]}; done
		printf '%-7s lint/nginx -t = %s (target <= 0.35), lint/crossplane = %s (target <= 1.0), lint/crossplane(16) = %s, peak RSS %s MB in any format (target <= 100 at 10000, 250 at 100000)\n' \
			"$n" "$(ratio "$lint_ms" "${MED_MS[nginx]:-}")" "$(ratio "$lint_ms" "${MED_MS[cp]:-}")" "$(ratio "$lint_ms" "${MED_MS[cp16]:-}")" "$((peak / 1024))"
		[ -n "${BASE:-}" ] && printf '%-7s lint/base = %s\n' "$n" "$(ratio "$lint_ms" "${MED_MS[base]}")"
		if [ -n "$prev_n" ]; then
			printf '%-7s lint time %sx for %sx servers (%s -> %s)\n' "$n" \
				"$(ratio "$lint_ms" "$prev_lint")" "$(ratio "$n" "$prev_n")" "$prev_n" "$n"
		fi
		prev_n=$n prev_lint=$lint_ms
		unset 'MED_MS[nginx]' 'MED_MS[cp]' 'MED_MS[cp16]'
		rm -rf "$tree"
	done
done

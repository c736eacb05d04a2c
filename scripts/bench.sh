#!/usr/bin/env bash
# bench.sh: time `trustcheck lint`, crossplane's sequential parse and
# `nginx -t` side by side on the same generated fleet tree.
#
#   scripts/bench.sh [N...]          default: 1000 10000
#   RUNS=5 NGINX=/usr/sbin/nginx scripts/bench.sh 1000
#
# Prints, per N: the median wall time of RUNS runs, the peak RSS (max over
# the runs, from /usr/bin/time -v's "Maximum resident set size"), and lint's
# ratios to nginx -t and to the crossplane parse; then lint's time ratio
# between consecutive sizes. "crossplane (16)" is the same parse with the
# lexer's token channel at the capacity trustcheck's loader sets (for
# reference; the targets are against crossplane as it ships). Needs go, /usr/bin/time and nginx.
set -euo pipefail

cd "$(dirname "$0")/.."
RUNS=${RUNS:-5}
NGINX=${NGINX:-/usr/sbin/nginx}
SIZES=("$@")
[ ${#SIZES[@]} -gt 0 ] || SIZES=(1000 10000)
TIME=/usr/bin/time
[ -x "$TIME" ] || { echo "bench.sh: needs /usr/bin/time (apt-get install time)" >&2; exit 2; }
[ -x "$NGINX" ] || { echo "bench.sh: no nginx at $NGINX" >&2; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -o "$work/trustcheck" .
go build -o "$work/fleetgen" ./scripts/fleetgen
go build -o "$work/crossplane-parse" ./scripts/crossplane-parse

# measure NAME OKCODES CMD...: RUNS runs; sets MED_MS and RSS_KB.
measure() {
	local name=$1 ok=$2; shift 2
	local times=() rss=0 i t0 t1 rc kb
	for ((i = 0; i < RUNS; i++)); do
		t0=$(date +%s%N)
		set +e
		"$TIME" -f '%M' -o "$work/rss" "$@" >/dev/null 2>"$work/err"
		rc=$?
		set -e
		t1=$(date +%s%N)
		if [[ " $ok " != *" $rc "* ]]; then
			echo "bench.sh: $name exited $rc:" >&2
			tail -3 "$work/err" >&2
			exit 1
		fi
		times+=($(((t1 - t0) / 1000000)))
		kb=$(tail -1 "$work/rss")
		((kb > rss)) && rss=$kb
	done
	MED_MS=$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : int((a[NR/2]+a[NR/2+1])/2)}')
	RSS_KB=$rss
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "n/a"; else printf "%.2f", a / b }'; }

printf '%-7s %-18s %10s %10s %10s\n' servers tool median_ms peak_MB files
prev_n= prev_lint=
for n in "${SIZES[@]}"; do
	tree="$work/fleet$n"
	"$work/fleetgen" -n "$n" -out "$tree"
	files=$(find "$tree" -name '*.conf' | wc -l)
	measure "trustcheck lint" "0 1" "$work/trustcheck" lint --no-color "$tree/nginx.conf"
	lint_ms=$MED_MS lint_kb=$RSS_KB
	measure "crossplane-parse" "0" "$work/crossplane-parse" "$tree/nginx.conf"
	cp_ms=$MED_MS cp_kb=$RSS_KB
	measure "crossplane-parse -token-buffer 16" "0" "$work/crossplane-parse" -token-buffer 16 "$tree/nginx.conf"
	cp16_ms=$MED_MS cp16_kb=$RSS_KB
	measure "nginx -t" "0" "$NGINX" -t -q -p "$tree/" -c nginx.conf -e stderr
	ng_ms=$MED_MS ng_kb=$RSS_KB
	printf '%-7s %-18s %10s %10.1f %10s\n' "$n" "trustcheck lint" "$lint_ms" "$(awk -v k=$lint_kb 'BEGIN{print k/1024}')" "$files"
	printf '%-7s %-18s %10s %10.1f %10s\n' "$n" "crossplane parse" "$cp_ms" "$(awk -v k=$cp_kb 'BEGIN{print k/1024}')" "$files"
	printf '%-7s %-18s %10s %10.1f %10s\n' "$n" "crossplane (16)" "$cp16_ms" "$(awk -v k=$cp16_kb 'BEGIN{print k/1024}')" "$files"
	printf '%-7s %-18s %10s %10.1f %10s\n' "$n" "nginx -t" "$ng_ms" "$(awk -v k=$ng_kb 'BEGIN{print k/1024}')" "$files"
	printf '%-7s lint/nginx -t = %s (target <= 0.5), lint/crossplane = %s (target <= 1.0), lint/crossplane(16) = %s, peak RSS %s MB (target <= 100)\n' \
		"$n" "$(ratio "$lint_ms" "$ng_ms")" "$(ratio "$lint_ms" "$cp_ms")" "$(ratio "$lint_ms" "$cp16_ms")" "$((lint_kb / 1024))"
	if [ -n "$prev_n" ]; then
		printf '%-7s lint time %sx for %sx servers (%s -> %s)\n' "$n" \
			"$(ratio "$lint_ms" "$prev_lint")" "$(ratio "$n" "$prev_n")" "$prev_n" "$n"
	fi
	prev_n=$n prev_lint=$lint_ms
	rm -rf "$tree"
done

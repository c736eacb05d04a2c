#!/usr/bin/env bash
# bench-report.sh: time `trustcheck lint` writing JSON, the HTML report and
# GitHub annotations with the job summary, side by side on the same
# generated fleet tree.
#
#   scripts/bench-report.sh [N]        default: 10000 servers
#   RUNS=5 scripts/bench-report.sh 1000
#
# Prints, per format: the median wall and user time of RUNS runs, the peak
# RSS (from /usr/bin/time), the output's size, and the ratio to JSON.
set -euo pipefail

cd "$(dirname "$0")/.."
RUNS=${RUNS:-5}
N=${1:-10000}
TIME=/usr/bin/time
[ -x "$TIME" ] || { echo "bench-report.sh: needs /usr/bin/time (apt-get install time)" >&2; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -o "$work/trustcheck" .
go build -o "$work/fleetgen" ./scripts/fleetgen
"$work/fleetgen" -n "$N" -out "$work/fleet" >/dev/null

formats=(json html github)
declare -A wall user rss size
for f in "${formats[@]}"; do wall[$f]=""; user[$f]=""; rss[$f]=0; done
for ((i = 0; i < RUNS; i++)); do
	for f in "${formats[@]}"; do
		extra=()
		[ "$f" = github ] && extra=(--summary "$work/summary.md")
		t0=$(date +%s%N)
		set +e
		"$TIME" -f '%U %M' -o "$work/time" "$work/trustcheck" lint --no-color --format "$f" "${extra[@]}" "$work/fleet/nginx.conf" >"$work/out.$f" 2>/dev/null
		rc=$?
		set -e
		t1=$(date +%s%N)
		[ $rc -le 1 ] || { echo "bench-report.sh: lint --format $f exited $rc" >&2; exit 1; }
		read -r u kb < <(tail -1 "$work/time")
		wall[$f]+="$(((t1 - t0) / 1000000)) "
		user[$f]+="$u "
		((kb > rss[$f])) && rss[$f]=$kb
		size[$f]=$(stat -c %s "$work/out.$f")
		[ "$f" = github ] && size[$f]="$(( size[$f] )) + summary $(stat -c %s "$work/summary.md")"
	done
done
median() { tr ' ' '\n' | sed '/^$/d' | sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
printf '%-8s %-8s %12s %10s %9s  %s\n' servers format median_ms user_s peak_MB bytes
jw=$(echo "${wall[json]}" | median)
for f in "${formats[@]}"; do
	w=$(echo "${wall[$f]}" | median)
	printf '%-8s %-8s %12s %10s %9s  %s  (x%s of json)\n' "$N" "$f" "$w" "$(echo "${user[$f]}" | median)" "$((rss[$f] / 1024))" "${size[$f]}" \
		"$(awk -v a="$w" -v b="$jw" 'BEGIN { printf "%.2f", a / b }')"
done

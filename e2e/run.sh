#!/usr/bin/env bash
# The end-to-end truth suite (SPEC §7.2): real nginx in front of real Express
# 4/5, Fastify, Koa, Flask, Django, FastAPI, gin, echo and chi apps, Rails/Puma,
# Symfony/Laravel (php -S) and Spring Boot (Tomcat) apps in a private network
# namespace, compared with `trustcheck paths --format json`. Needs root,
# `ip netns`, nginx, node and `npm ci` in testdata/vectors/gen; skips (exit 0,
# with a message) otherwise. Then it needs .ci/run's Debian packages (Python,
# Ruby, PHP, the JDK with Tomcat) and builds the Go servers
# (testdata/vectors/goweb/gen); without them their topologies are skipped and
# the suite fails (each framework must be checked at least once).
# Ends with the line "N passed, M failed" (or the skip message).
set -uo pipefail
cd "$(dirname "$0")/.."
log=$(mktemp /tmp/trustcheck-e2e.XXXXXX.log)
trap 'rm -f "$log"' EXIT
go test -tags e2e -count=1 -v -timeout 13m -run '^TestE2E$' ./e2e >"$log" 2>&1
rc=$?
# Everything but the per-fixture PASS lines, then the summary (or skip) line last.
grep -v -e '^=== RUN' -e '^    --- PASS' "$log" | grep -v -E '^[0-9]+ passed, [0-9]+ failed$'
summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | tail -1)
if [ -n "$summary" ]; then
  echo "$summary"
elif grep -q -- '--- SKIP: TestE2E' "$log"; then
  echo "e2e skipped: $(grep -o 'e2e: skipped.*' "$log" | head -1)"
else
  echo "e2e: no summary (the suite did not run to the end)"
  [ "$rc" -ne 0 ] || rc=1
fi
exit "$rc"

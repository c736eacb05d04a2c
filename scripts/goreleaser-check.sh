#!/usr/bin/env bash
# Validate .goreleaser.yaml with a pinned GoReleaser, installing it with
# `go install` (from the Go module proxy) the first time.
#
#   scripts/goreleaser-check.sh           goreleaser check: fails on an invalid
#                                         config AND on deprecated properties
#   GORELEASER_BUILD=1 scripts/goreleaser-check.sh
#                                         also build this platform's binary
#                                         (goreleaser build --snapshot
#                                         --single-target) in a throwaway clone
#                                         and check that --version is stamped
#
# The binary is kept in $GORELEASER_DIR (default: a versioned folder under
# $(go env GOPATH)/bin), so later runs skip the install. The first install
# compiles GoReleaser from source: minutes on a small machine.
set -euo pipefail
cd "$(dirname "$0")/.."

# v2.16.0: the newest release that installs on this project's machines.
# v2.17.0 needs go.digitalxero.dev/go-msix, which the module proxy refuses
# here (403 Forbidden), and v2.18.x needs Go 1.27. Bump with care: `go install` must still work with
# the Go in go.mod and the module proxy alone.
GORELEASER_VERSION=v2.16.0

dir=${GORELEASER_DIR:-$(go env GOPATH)/bin/goreleaser-$GORELEASER_VERSION}
bin=$dir/goreleaser

installed_version() {
  # `goreleaser --version` prints "GitVersion:    v2.16.0" (from the Go build info).
  "$bin" --version 2>/dev/null | awk '$1 == "GitVersion:" { print $2 }'
}

if [ ! -x "$bin" ] || [ "$(installed_version)" != "$GORELEASER_VERSION" ]; then
  echo "== installing goreleaser $GORELEASER_VERSION into $dir (go install; first time only)"
  start=$SECONDS
  mkdir -p "$dir"
  # GOTOOLCHAIN=local: build with the Go that is here, never download another.
  GOBIN=$dir GOTOOLCHAIN=local go install \
    "github.com/goreleaser/goreleaser/v2@$GORELEASER_VERSION"
  echo "   installed in $((SECONDS - start))s"
fi
got=$(installed_version)
if [ "$got" != "$GORELEASER_VERSION" ]; then
  echo "goreleaser-check: $bin reports version '$got', want $GORELEASER_VERSION" >&2
  exit 1
fi

echo "== goreleaser check ($GORELEASER_VERSION)"
# Exit 1: invalid configuration; exit 2: valid but uses deprecated properties.
# Both fail this script (set -e): fix deprecations, don't ignore them.
"$bin" check .goreleaser.yaml

if [ "${GORELEASER_BUILD:-0}" = 1 ]; then
  echo "== goreleaser build --snapshot --single-target (in a clean clone of HEAD)"
  # A clone, so that dist/ and uncommitted edits in this tree play no part.
  work=$(mktemp -d "${TMPDIR:-/tmp}/trustcheck-goreleaser.XXXXXX")
  trap 'rm -rf "$work"' EXIT
  git clone -q . "$work/src"
  cp .goreleaser.yaml "$work/src/.goreleaser.yaml"
  (cd "$work/src" && "$bin" build --snapshot --clean --single-target --output "$work/trustcheck")
  out=$("$work/trustcheck" --version)
  echo "   $out"
  case $out in
    "trustcheck version "*-snapshot+*) ;;
    *) echo "goreleaser-check: the snapshot binary's --version is not stamped: $out" >&2; exit 1 ;;
  esac
fi

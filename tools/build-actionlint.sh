#!/usr/bin/env bash
# Builds actionlint (the GitHub Actions workflow linter) from the Go module proxy and caches it
# under ${XDG_CACHE_HOME:-~/.cache}/sluice/actionlint-<version>/, like the control plane. Prints
# the binary's path on stdout; progress goes to stderr. `--out DIR` builds into DIR even when
# the cache has it (scripts/check-go-fallback.sh uses that to prove the build works without `go`).
set -euo pipefail

ACTIONLINT_VERSION=v1.7.12
# The go directive in actionlint v1.7.12's go.mod.
ACTIONLINT_GO=1.25
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=go-toolchain.sh
. "$here/go-toolchain.sh"

out=""
case "${1:-}" in
  "") ;;
  --out) out=${2:?--out needs a directory} ;;
  *) echo "usage: build-actionlint.sh [--out DIR]" >&2; exit 2 ;;
esac
if [ -z "$out" ]; then
  out="$(sluice_cache_dir)/actionlint-${ACTIONLINT_VERSION}"
  if [ -x "$out/actionlint" ]; then
    echo "$out/actionlint"
    exit 0
  fi
fi

what="actionlint $ACTIONLINT_VERSION"
sluice_use_go "$ACTIONLINT_GO" "$what"
rm -rf "$out.tmp"
mkdir -p "$out.tmp"
echo "$what: building into $out" >&2
CGO_ENABLED=0 GOBIN="$out.tmp" GOFLAGS="${GOFLAGS:-} -trimpath" \
  sluice_with_progress "$what" go install -ldflags "-s -w" "github.com/rhysd/actionlint/cmd/actionlint@${ACTIONLINT_VERSION}" >&2
rm -rf "$out"
mv "$out.tmp" "$out"
echo "$out/actionlint"

#!/usr/bin/env bash
# Builds kustomize (what `kubectl apply -k` runs) from the Go module proxy and caches it under
# $HOME/.cache/sluice/kustomize-<version>/, so the e2e can render deploy/examples/* exactly as
# a user would. Prints the binary's path on stdout; progress goes to stderr. SLUICE_KUSTOMIZE,
# when set, short-circuits the build.
set -euo pipefail

# v5.8.1 is the newest release whose go.mod asks for no newer Go than 1.24 (v5.8.3 wants 1.27).
KUSTOMIZE_VERSION=v5.8.1

if [ -n "${SLUICE_KUSTOMIZE:-}" ]; then
  [ -x "$SLUICE_KUSTOMIZE" ] || { echo "SLUICE_KUSTOMIZE=$SLUICE_KUSTOMIZE is not an executable file" >&2; exit 1; }
  echo "$SLUICE_KUSTOMIZE"
  exit 0
fi

out="${XDG_CACHE_HOME:-$HOME/.cache}/sluice/kustomize-${KUSTOMIZE_VERSION}"
if [ -x "$out/kustomize" ]; then
  echo "$out/kustomize"
  exit 0
fi

. "$(dirname "$0")/../go-toolchain.sh"
sluice_use_go 1.24 "kustomize $KUSTOMIZE_VERSION"
rm -rf "$out.tmp"
mkdir -p "$out.tmp"
start=$(date +%s)
echo "building kustomize $KUSTOMIZE_VERSION into $out (first time only)" >&2
sluice_with_progress "kustomize $KUSTOMIZE_VERSION" env CGO_ENABLED=0 GOBIN="$out.tmp" GOFLAGS="${GOFLAGS:-} -trimpath" go install -ldflags "-s -w" "sigs.k8s.io/kustomize/kustomize/v5@${KUSTOMIZE_VERSION}" >&2
rm -rf "$out"
mv "$out.tmp" "$out"
echo "kustomize built in $(( $(date +%s) - start ))s" >&2
echo "$out/kustomize"

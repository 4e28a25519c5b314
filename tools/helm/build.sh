#!/usr/bin/env bash
# Builds helm from the Go module proxy (go install, no GitHub release download) and caches the
# binary under $HOME/.cache/sluice/helm-<version>/. A second run reuses it. Prints the binary's
# path on stdout; progress and errors go to stderr. SLUICE_HELM, when set, short-circuits the build.
set -euo pipefail

HELM_VERSION=v3.22.0
# The Kubernetes version helm assumes offline (`helm template`, `helm lint`): what its official
# build derives from its client-go (v0.37.0 in helm v3.22.0's go.mod), i.e. 1.37.
K8S_MAJOR=1
K8S_MINOR=37

if [ -n "${SLUICE_HELM:-}" ]; then
  [ -x "$SLUICE_HELM" ] || { echo "SLUICE_HELM=$SLUICE_HELM is not an executable file" >&2; exit 1; }
  echo "$SLUICE_HELM"
  exit 0
fi

out="${XDG_CACHE_HOME:-$HOME/.cache}/sluice/helm-${HELM_VERSION}-k8s-${K8S_MAJOR}.${K8S_MINOR}"
if [ -x "$out/helm" ]; then
  echo "$out/helm"
  exit 0
fi

# helm v3.22.0's go.mod asks for Go 1.26; without one on PATH, the registry's Go is used.
. "$(dirname "$0")/../go-toolchain.sh"
sluice_use_go 1.26 "helm $HELM_VERSION"
rm -rf "$out.tmp"
mkdir -p "$out.tmp"
start=$(date +%s)
echo "building helm $HELM_VERSION into $out (first time only)" >&2
# The same -X settings as helm's Makefile: its version, and the default Kubernetes version
# (without them helm assumes v1.20 and refuses charts that require newer).
ldflags="-s -w -X helm.sh/helm/v3/internal/version.version=${HELM_VERSION}"
for pkg in helm.sh/helm/v3/pkg/chartutil helm.sh/helm/v3/pkg/lint/rules; do
  ldflags+=" -X ${pkg}.k8sVersionMajor=${K8S_MAJOR} -X ${pkg}.k8sVersionMinor=${K8S_MINOR}"
done
sluice_with_progress "helm $HELM_VERSION" env CGO_ENABLED=0 GOBIN="$out.tmp" GOFLAGS="${GOFLAGS:-} -trimpath" go install -ldflags "$ldflags" "helm.sh/helm/v3/cmd/helm@${HELM_VERSION}" >&2
rm -rf "$out"
mv "$out.tmp" "$out"
echo "helm built in $(( $(date +%s) - start ))s" >&2
echo "$out/helm"

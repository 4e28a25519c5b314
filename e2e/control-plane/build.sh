#!/usr/bin/env bash
# Builds the test control plane (etcd, kube-apiserver, kube-controller-manager) from the Go
# module proxy and caches the binaries under $HOME/.cache/sluice/control-plane-<versions>/.
# A fresh clone on the same machine reuses them; the first build takes a long while on 2 cores.
# Prints the cache directory on stdout. KUBEBUILDER_ASSETS, when set, short-circuits the build.
set -euo pipefail

KUBE_VERSION=v1.34.4
ETCD_VERSION=v3.6.4
here=$(cd "$(dirname "$0")" && pwd)

if [ -n "${KUBEBUILDER_ASSETS:-}" ]; then
  for b in etcd kube-apiserver kube-controller-manager; do
    [ -x "$KUBEBUILDER_ASSETS/$b" ] || { echo "KUBEBUILDER_ASSETS=$KUBEBUILDER_ASSETS has no executable $b" >&2; exit 1; }
  done
  echo "$KUBEBUILDER_ASSETS"
  exit 0
fi

# The go.mod/go.sum hash is part of the key so a change to the wrapper modules rebuilds.
stamp=$(cat "$here/go/kube/go.mod" "$here/go/kube/go.sum" "$here/go/etcd/go.mod" "$here/go/etcd/go.sum" "$here/go/etcd/main.go" | sha256sum | cut -c1-12)
out="${XDG_CACHE_HOME:-$HOME/.cache}/sluice/control-plane-k8s-${KUBE_VERSION}-etcd-${ETCD_VERSION}-${stamp}"

if [ -x "$out/etcd" ] && [ -x "$out/kube-apiserver" ] && [ -x "$out/kube-controller-manager" ]; then
  echo "$out"
  exit 0
fi

command -v go >/dev/null || { echo "building the control plane needs Go >= 1.24 (apt-get install golang-go, or set KUBEBUILDER_ASSETS)" >&2; exit 1; }
mkdir -p "$out.tmp"
start=$(date +%s)
echo "building control plane $KUBE_VERSION / etcd $ETCD_VERSION into $out (first time only; this takes a while)" >&2

ldflags="-s -w -X k8s.io/component-base/version.gitVersion=${KUBE_VERSION} -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=34"
(cd "$here/go/etcd" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$out.tmp/etcd" .) >&2
(cd "$here/go/kube" && CGO_ENABLED=0 go build -trimpath -ldflags "$ldflags" -o "$out.tmp/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver) >&2
(cd "$here/go/kube" && CGO_ENABLED=0 go build -trimpath -ldflags "$ldflags" -o "$out.tmp/kube-controller-manager" k8s.io/kubernetes/cmd/kube-controller-manager) >&2

rm -rf "$out"
mv "$out.tmp" "$out"
echo "control plane built in $(( $(date +%s) - start ))s" >&2
echo "$out"

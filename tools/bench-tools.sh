#!/bin/sh
# Installs the Debian packages the benchmarks need (haproxy, wrk) when they are missing.
# Idempotent: does nothing when both commands are already on PATH. Prints what it did.
set -eu

missing=""
command -v haproxy >/dev/null 2>&1 || missing="$missing haproxy"
command -v wrk >/dev/null 2>&1 || missing="$missing wrk"

if [ -z "$missing" ]; then
  echo "install-tools: haproxy and wrk already installed; nothing to do"
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-tools: missing:$missing, and apt-get is not available; install them by hand" >&2
  exit 1
fi

sudo=""
if [ "$(id -u)" != "0" ]; then
  if command -v sudo >/dev/null 2>&1; then
    sudo="sudo"
  else
    echo "install-tools: missing:$missing; installing needs root (or sudo)" >&2
    exit 1
  fi
fi

echo "install-tools: installing$missing with apt-get"
# Refresh the package lists only when apt has never fetched them.
if [ -z "$(ls -A /var/lib/apt/lists 2>/dev/null | grep -v -e '^lock$' -e '^partial$' || true)" ]; then
  $sudo apt-get update -q
fi
# shellcheck disable=SC2086
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends $missing
echo "install-tools: installed$missing"

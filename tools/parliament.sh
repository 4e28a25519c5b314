#!/usr/bin/env bash
# parliament (duo-labs' IAM policy linter, from PyPI) for scripts/check-iam-policy.ts, which
# lints deploy/aws/iam-policy.json with it. Prints the path of the `parliament` executable on
# stdout (its only line); progress goes to stderr.
#
# Installed once into a virtualenv at ${XDG_CACHE_HOME:-~/.cache}/sluice/parliament-<version>/
# (the same way e2e/servers/aws/moto.ts installs moto) and reused afterwards. The marker file is
# written last, so an interrupted install is redone, never half-used. SLUICE_PYTHON names the
# Python to build the venv with (default python3). Needs PyPI only on the first run.
set -euo pipefail

# Pinned: parliament carries its own copy of AWS's service authorization reference (actions,
# resource types, condition keys), so another version can report different findings.
PARLIAMENT_VERSION=1.6.4

dir="${XDG_CACHE_HOME:-$HOME/.cache}/sluice/parliament-${PARLIAMENT_VERSION}"
bin="$dir/bin/parliament"
marker="$dir/.sluice-complete"

if [ -f "$marker" ] && [ -x "$bin" ]; then
  echo "$bin"
  exit 0
fi

python=${SLUICE_PYTHON:-python3}
if ! command -v "$python" >/dev/null 2>&1; then
  echo "parliament: $python is not on PATH; install Python 3 with its venv module (apt-get install python3-venv) or set SLUICE_PYTHON" >&2
  exit 1
fi

mkdir -p "$(dirname "$dir")"
# Two first runs at once would both rebuild the venv; the second waits for the first instead.
if command -v flock >/dev/null 2>&1; then
  exec 9>"$(dirname "$dir")/.parliament-${PARLIAMENT_VERSION}.lock"
  flock 9
  if [ -f "$marker" ] && [ -x "$bin" ]; then
    echo "$bin"
    exit 0
  fi
fi

echo "parliament: installing parliament==${PARLIAMENT_VERSION} from PyPI into $dir (first run only)" >&2
# A virtualenv records its own path, so it is built in place rather than renamed into place.
rm -rf "$dir"
if ! "$python" -m venv "$dir" >&2; then
  rm -rf "$dir"
  echo "parliament: '$python -m venv' failed (see above); install the venv module (apt-get install python3-venv) or set SLUICE_PYTHON" >&2
  exit 1
fi
if ! PIP_ROOT_USER_ACTION=ignore "$dir/bin/pip" install --quiet --disable-pip-version-check "parliament==${PARLIAMENT_VERSION}" >&2 ||
  ! "$bin" --version >/dev/null; then
  rm -rf "$dir"
  echo "parliament: installing parliament==${PARLIAMENT_VERSION} from PyPI failed (see above)" >&2
  exit 1
fi
echo "$PARLIAMENT_VERSION" >"$marker"
echo "parliament: installed $("$bin" --version) at $bin" >&2
echo "$bin"

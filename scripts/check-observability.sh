#!/usr/bin/env bash
# Checks the observability pack (deploy/observability and the chart's copy): promtool's syntax
# and semantic check of the rules, their unit tests (`promtool test rules`, one or more per
# alert), then scripts/check-observability.ts (every alert tested, PrometheusRule and chart in
# step with the rules file, dashboard JSON valid and using only the controller's metrics).
# promtool comes from Debian's prometheus package (tools/prometheus-tools.sh fetches it when
# it is not installed). The e2e e2e/jobs/ops/observability.e2e.ts checks the same names against a
# real scrape and evaluates the rules and the dashboard's queries in a real Prometheus.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

bin=$(bash tools/prometheus-tools.sh | tail -1)
"$bin/promtool" check rules deploy/observability/sluice.rules.yaml
"$bin/promtool" test rules deploy/observability/tests/sluice.rules.test.yaml
node --conditions=@sluice/source scripts/check-observability.ts

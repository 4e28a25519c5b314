/**
 * Static checks of the observability pack (deploy/observability), run by
 * scripts/check-observability.sh after `promtool check rules` and `promtool test rules`:
 * - every alert has a unit test that expects it to fire;
 * - prometheusrule.yaml carries exactly the groups of sluice.rules.yaml, and the Helm chart's
 *   files/ are byte copies of the rules and the dashboard;
 * - the dashboard parses, and it and the rules name only metrics the controller defines
 *   (apps/controller/src/metrics.ts, its own registry, read here by creating it), and the
 *   dashboard shows each signal the pack promises.
 * Run: node --conditions=@sluice/source scripts/check-observability.ts
 */
import { deepStrictEqual } from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadYaml } from '@kubernetes/client-node';
import { createMetrics } from '@sluice/controller';
import {
  alerts,
  CHART_FILES_DIR,
  DASHBOARD_FILE,
  dashboardQueries,
  OBSERVABILITY_DIR,
  PROMETHEUS_RULE_FILE,
  type RuleGroups,
  readDashboard,
  readRules,
  ruleTestCoverage,
  usedMetricNames,
} from '@sluice/testbed/ops';

/** Metrics the dashboard must show: the signals the pack is for. */
const DASHBOARD_MUST_SHOW = [
  'sluice_readiness_gate_wait_seconds_bucket',
  'sluice_readiness_gate_stuck_total',
  'sluice_drain_latency_seconds_bucket',
  'sluice_drains_missed_total',
  'sluice_reconcile_total',
  'sluice_provider_calls_total',
  'sluice_workqueue_depth',
  'sluice_workqueue_wait_seconds_bucket',
  'sluice_leader',
];

const problems: string[] = [];
const check = (ok: boolean, message: string) => {
  if (!ok) problems.push(message);
};

/** Series names the controller's registry can expose (histograms with their three suffixes). */
async function definedSeries(): Promise<Set<string>> {
  const metrics = createMetrics({ provider: 'check', queueDepth: () => 0 });
  const out = new Set<string>();
  for (const m of await metrics.registry.getMetricsAsJSON()) {
    // prom-client types `type` as an enum whose values are these strings.
    const type = String(m.type);
    if (type === 'histogram') for (const s of ['_bucket', '_sum', '_count']) out.add(m.name + s);
    else if (type === 'summary') for (const s of ['', '_sum', '_count']) out.add(m.name + s);
    else out.add(m.name);
  }
  return out;
}

const rules = await readRules();
const names = alerts(rules).map((r) => r.alert);
const coverage = await ruleTestCoverage();
for (const alert of names) {
  const c = coverage.get(alert);
  check((c?.fires ?? 0) > 0, `alert ${alert} has no unit test expecting it to fire (deploy/observability/tests/sluice.rules.test.yaml)`);
}
for (const tested of coverage.keys()) check(names.includes(tested), `the unit tests name an alert the rules do not have: ${tested}`);

const prometheusRule = loadYaml<{ kind: string; spec: RuleGroups }>(await readFile(PROMETHEUS_RULE_FILE, 'utf8'));
try {
  check(prometheusRule.kind === 'PrometheusRule', `${PROMETHEUS_RULE_FILE} is no PrometheusRule`);
  deepStrictEqual(prometheusRule.spec, rules);
} catch {
  problems.push('prometheusrule.yaml spec.groups differ from sluice.rules.yaml: copy the groups over (indented under spec:)');
}
for (const file of ['sluice.rules.yaml', 'sluice-dashboard.json']) {
  const same = (await readFile(join(OBSERVABILITY_DIR, file), 'utf8')) === (await readFile(join(CHART_FILES_DIR, file), 'utf8'));
  check(same, `deploy/helm/sluice/files/${file} differs from deploy/observability/${file}: cp deploy/observability/${file} deploy/helm/sluice/files/`);
}

let dashboardOk = true;
try {
  await readDashboard();
} catch (error) {
  dashboardOk = false;
  problems.push(`${DASHBOARD_FILE} does not parse: ${(error as Error).message}`);
}
if (dashboardOk) {
  const queries = dashboardQueries(await readDashboard());
  check(queries.length > 0, 'the dashboard has no query');
  const used = await usedMetricNames();
  const defined = await definedSeries();
  for (const name of used.all) check(defined.has(name), `${name} is used by the ${used.rules.includes(name) ? 'rules' : 'dashboard'} but the controller defines no such series`);
  for (const name of DASHBOARD_MUST_SHOW) check(used.dashboard.includes(name), `the dashboard shows no ${name}`);
  if (problems.length === 0) {
    console.log(`observability: ${names.length} alerts, each with a firing unit test; dashboard: ${queries.length} queries over ${used.dashboard.length} series; ${used.all.length} series used in all, each defined by the controller`);
  }
}

if (problems.length > 0) {
  for (const p of problems) console.error(`observability: ${p}`);
  process.exit(1);
}
process.exit(0);

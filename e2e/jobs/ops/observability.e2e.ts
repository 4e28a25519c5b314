/**
 * The observability pack (deploy/observability) against the real thing: the controller
 * (`--provider local`) runs a Service's pods through a rolling update under load while a real
 * Prometheus (Debian's package) scrapes it and evaluates the alert rules. Then every series the
 * dashboard and the rules use is in the controller's /metrics, with the rollout's observations
 * in it; every rule evaluates without error and none fires on a healthy rollout; every dashboard
 * query runs, and those that are not about failures return data. Last, the Helm chart and the
 * kustomization render the pack unchanged. promtool's own checks and unit tests:
 * scripts/check-observability.sh.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type * as k8s from '@kubernetes/client-node';
import { consoleLogger, freeLoopbackPorts, waitFor } from '@sluice/testbed/harness';
import { alerts, DASHBOARD_FILE, dashboardQueries, HELM_BUILD_SCRIPT, KUSTOMIZE_BUILD_SCRIPT, metricNames, OBSERVABILITY_DIR, parseObjects, type PrometheusServer, readDashboard, readRules, resolvePrometheusTools, resolveTool, RULES_FILE, runTool, scrapedNames, startPrometheus, usedMetricNames, withGrafanaVariables } from '@sluice/testbed/ops';
import { type ControllerProcess, type Environment, runRolloutScenario, startControllerProcess, startEnvironment, sumSamples } from '@sluice/testbed/scenario';

const log = consoleLogger('e2e/observability');
const CHART = fileURLToPath(new URL('../../../deploy/helm/sluice/', import.meta.url));
/** As in e2e/jobs/local/rollout.e2e.ts: health read and resync fast enough for a short test. */
const FAST = ['--health-poll-ms', '100', '--local-health-interval-ms', '200', '--resync-period', '30'];
/** The labels a PodMonitor's target carries; `namespace` also pushes the Service's own to `exported_namespace`. */
const TARGET_LABELS = { namespace: 'sluice-system', pod: 'sluice-e2e-0' };
/** Dashboard queries about failures (retryable, terminal calls) have no series on a healthy run. */
const ONLY_ON_FAILURE = /outcome=~"retryable\|throttled"|outcome="terminal"/;

let env: Environment;
let controller: ControllerProcess | undefined;
let prometheus: PrometheusServer | undefined;
let scrape = '';

before(async () => {
  const [tools, environment] = await Promise.all([resolvePrometheusTools(), startEnvironment(log)]);
  env = environment;
  controller = startControllerProcess({ kubeconfigPath: env.kubeconfigPath, args: FAST });
  await controller.ready();
  const { metrics } = await controller.ports();
  prometheus = await startPrometheus({ binDir: tools, target: `127.0.0.1:${metrics}`, labels: TARGET_LABELS, ruleFiles: [RULES_FILE] });
});
after(async () => {
  await prometheus?.stop();
  await controller?.stop();
  await env?.stop();
});

test('after a rolling update, the controller /metrics has every series the dashboard and the alert rules use, with the rollout in them', { timeout: 600_000 }, async () => {
  const [servicePort] = await freeLoopbackPorts(1);
  const result = await runRolloutScenario({
    kubeConfig: env.kubeConfig,
    namespace: 'observed',
    servicePort: servicePort!,
    sigterm: 'keep-serving',
    replicas: 3,
    rollouts: 1,
    scaleDownAndUp: false,
    say: (line) => log.info(line),
  });
  assert.equal(result.failed, 0, `no request failed: ${JSON.stringify(result.failures)}`);
  // A couple of scrapes and rule evaluations past the rollout.
  await new Promise((r) => setTimeout(r, 3000));
  scrape = (await controller!.get('/metrics')).body;

  const used = await usedMetricNames();
  const exposed = scrapedNames(scrape);
  assert.deepEqual(
    used.all.filter((n) => !exposed.has(n)),
    [],
    'every series the dashboard and the rules use is exposed',
  );
  // The series carry what the rollout did, not just zeros.
  const count = (name: string, labels: Record<string, string> = {}) => sumSamples(scrape, name, labels);
  assert.ok(count('sluice_readiness_gate_wait_seconds_count') >= 3, 'gate waits of the new pods');
  assert.ok(count('sluice_drain_latency_seconds_count') >= 3, 'drains of the old pods');
  assert.ok(count('sluice_reconcile_total', { result: 'done' }) > 0, 'reconciles done');
  assert.ok(count('sluice_provider_calls_total', { outcome: 'ok' }) > 0, 'provider calls');
  assert.ok(count('sluice_service_provider_calls_total', { namespace: 'observed', service: 'web' }) > 0, "the Service's share of provider calls");
  assert.ok(count('sluice_workqueue_wait_seconds_count') > 0, 'keys taken from the queue');
  assert.equal(count('sluice_leader'), 1, 'this replica leads');
  assert.equal(count('sluice_readiness_gate_stuck_total'), 0, 'no gate got stuck');
  assert.equal(count('sluice_drains_missed_total'), 0, 'every old pod was drained before it went');
});

test('a real Prometheus scraping the controller evaluates every alert rule without error, none fires on a healthy rollout, and every dashboard query runs', { timeout: 120_000 }, async () => {
  assert.ok(scrape, 'the rollout test ran first');
  const p = prometheus!;
  const targets = await p.targets();
  assert.deepEqual(
    targets.map((t) => [t.health, t.lastError]),
    [['up', '']],
    'Prometheus scrapes the controller',
  );
  const want = alerts(await readRules()).map((r) => r.alert);
  const groups = await waitFor('every rule evaluated', async () => {
    const g = await p.rules();
    const seen = g.flatMap((x) => x.rules);
    return seen.length === want.length && seen.every((r) => r.health !== 'unknown') && g;
  });
  const evaluated = groups.flatMap((g) => g.rules);
  assert.deepEqual(evaluated.map((r) => r.name).sort(), [...want].sort(), 'Prometheus loaded every alert');
  assert.deepEqual(
    evaluated.filter((r) => r.health !== 'ok').map((r) => `${r.name}: ${r.health} ${r.lastError ?? ''}`),
    [],
    'every rule evaluates',
  );
  assert.deepEqual(
    evaluated.filter((r) => r.state === 'firing').map((r) => r.name),
    [],
    'no alert fires on a healthy rollout',
  );

  const empty: string[] = [];
  for (const q of dashboardQueries(await readDashboard())) {
    const expr = withGrafanaVariables(q.expr);
    if (q.panel.startsWith('variable ')) continue; // label_values() is Grafana's, not PromQL
    const result = await p.query(expr).catch((error: Error) => assert.fail(`${q.panel}: ${expr}: ${error.message}`));
    if (result.length === 0 && !ONLY_ON_FAILURE.test(expr)) empty.push(`${q.panel}: ${expr}`);
  }
  assert.deepEqual(empty, [], 'every dashboard query returns data after the rollout');
  // The template variables' own series.
  const [leader] = await p.query('sluice_leader');
  assert.equal(leader?.metric['namespace'], TARGET_LABELS.namespace, 'the namespace variable has values');
  assert.equal(leader?.metric['job'], 'sluice', 'the job variable has values');
});

test('the Helm chart and the kustomization render the pack as deploy/observability has it', { timeout: 900_000 }, async () => {
  const [helm, kustomize] = await Promise.all([resolveTool(HELM_BUILD_SCRIPT), resolveTool(KUSTOMIZE_BUILD_SCRIPT)]);
  const rules = await readRules();
  const dashboard = await readFile(DASHBOARD_FILE, 'utf8');
  const find = <T>(objects: k8s.KubernetesObject[], kind: string) => objects.find((o) => o.kind === kind) as T | undefined;

  const rendered = parseObjects(
    await runTool(helm, [
      'template', 'sluice', CHART, '--namespace', 'sluice-system',
      '--set', 'monitoring.podMonitor.enabled=true', '--set', 'monitoring.prometheusRule.enabled=true', '--set', 'monitoring.dashboard.enabled=true',
    ]),
  );
  const built = parseObjects(await runTool(kustomize, ['build', OBSERVABILITY_DIR]));
  for (const [source, objects] of [['helm', rendered], ['kustomize', built]] as const) {
    const rule = find<k8s.KubernetesObject & { spec: unknown }>(objects, 'PrometheusRule');
    assert.deepEqual(rule?.spec, rules, `${source}: the PrometheusRule carries sluice.rules.yaml`);
    const cm = objects.find((o) => o.kind === 'ConfigMap' && (o as k8s.V1ConfigMap).data?.['sluice-dashboard.json']) as k8s.V1ConfigMap | undefined;
    assert.equal(cm?.data?.['sluice-dashboard.json']?.trim(), dashboard.trim(), `${source}: the dashboard ConfigMap carries sluice-dashboard.json`);
    assert.equal(cm?.metadata?.labels?.['grafana_dashboard'], '1', `${source}: Grafana's sidecar picks the dashboard up`);
    const monitor = find<k8s.KubernetesObject & { spec: { selector: { matchLabels: Record<string, string> }; podMetricsEndpoints: { port: string; path: string }[] } }>(objects, 'PodMonitor');
    assert.deepEqual(monitor?.spec.selector.matchLabels, { 'app.kubernetes.io/name': 'sluice', 'app.kubernetes.io/instance': 'sluice' }, `${source}: the PodMonitor selects the Deployment's pods`);
    assert.deepEqual(monitor?.spec.podMetricsEndpoints.map((e) => [e.port, e.path]), [['metrics', '/metrics']], `${source}: on the container port named metrics`);
    for (const o of [rule, cm, monitor] as k8s.KubernetesObject[]) assert.equal(o.metadata?.namespace, 'sluice-system', `${source}: ${o.kind} in sluice-system`);
  }
  assert.ok(alerts(rules).every((r) => metricNames(r.expr).length > 0), 'every alert reads a Sluice metric');
});

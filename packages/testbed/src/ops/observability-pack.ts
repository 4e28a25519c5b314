/**
 * The observability pack of deploy/observability read as data: the alerting rules, their
 * promtool unit tests, the PrometheusRule, the Grafana dashboard, and the metric names their
 * PromQL uses. Shared by scripts/check-observability.ts (static checks) and
 * e2e/jobs/ops/observability.e2e.ts (against a real controller's /metrics and a real Prometheus).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadYaml } from '@kubernetes/client-node';

export const OBSERVABILITY_DIR = fileURLToPath(new URL('../../../../deploy/observability/', import.meta.url));
export const CHART_FILES_DIR = fileURLToPath(new URL('../../../../deploy/helm/sluice/files/', import.meta.url));
export const RULES_FILE = join(OBSERVABILITY_DIR, 'sluice.rules.yaml');
export const RULES_TEST_FILE = join(OBSERVABILITY_DIR, 'tests', 'sluice.rules.test.yaml');
export const PROMETHEUS_RULE_FILE = join(OBSERVABILITY_DIR, 'prometheusrule.yaml');
export const DASHBOARD_FILE = join(OBSERVABILITY_DIR, 'sluice-dashboard.json');

export interface AlertRule {
  readonly alert: string;
  readonly expr: string;
  readonly for?: string;
  readonly labels?: Record<string, string>;
  readonly annotations?: Record<string, string>;
}
export interface RuleGroups {
  readonly groups: readonly { readonly name: string; readonly rules: readonly AlertRule[] }[];
}

/** One PromQL query of the dashboard: its panel and the text as Grafana would send it. */
export interface DashboardQuery {
  readonly panel: string;
  readonly expr: string;
}

export async function readRules(file = RULES_FILE): Promise<RuleGroups> {
  return loadYaml<RuleGroups>(await readFile(file, 'utf8'));
}

export function alerts(rules: RuleGroups): AlertRule[] {
  return rules.groups.flatMap((g) => g.rules);
}

/** Each alert name with the number of test cases that expect it to fire and to stay quiet. */
export async function ruleTestCoverage(file = RULES_TEST_FILE): Promise<Map<string, { fires: number; quiet: number }>> {
  const tests = loadYaml<{ tests: { alert_rule_test?: { alertname: string; exp_alerts?: unknown[] }[] }[] }>(await readFile(file, 'utf8'));
  const out = new Map<string, { fires: number; quiet: number }>();
  for (const t of tests.tests) {
    for (const a of t.alert_rule_test ?? []) {
      const c = out.get(a.alertname) ?? { fires: 0, quiet: 0 };
      if ((a.exp_alerts ?? []).length > 0) c.fires++;
      else c.quiet++;
      out.set(a.alertname, c);
    }
  }
  return out;
}

interface Panel {
  title?: string;
  targets?: { expr?: string }[];
  panels?: Panel[];
}

export async function readDashboard(file = DASHBOARD_FILE): Promise<{ title: string; panels: Panel[]; templating?: { list: { name: string; query?: unknown }[] } }> {
  return JSON.parse(await readFile(file, 'utf8'));
}

/** Every target expression of every panel (rows included) and of the template variables. */
export function dashboardQueries(dashboard: Awaited<ReturnType<typeof readDashboard>>): DashboardQuery[] {
  const out: DashboardQuery[] = [];
  const walk = (panels: readonly Panel[]) => {
    for (const p of panels) {
      for (const t of p.targets ?? []) if (t.expr) out.push({ panel: p.title ?? '(untitled)', expr: t.expr });
      walk(p.panels ?? []);
    }
  };
  walk(dashboard.panels);
  for (const v of dashboard.templating?.list ?? []) {
    const q = v.query as { query?: string } | string | undefined;
    const text = typeof q === 'string' ? q : q?.query;
    if (text && /sluice_/.test(text)) out.push({ panel: `variable ${v.name}`, expr: text });
  }
  return out;
}

/**
 * The dashboard's Grafana variables replaced the way Grafana would with "All" selected and a
 * 1-minute rate interval, giving plain PromQL a Prometheus can evaluate.
 */
export function withGrafanaVariables(expr: string, rateInterval = '1m'): string {
  return expr.replaceAll('$__rate_interval', rateInterval).replaceAll('$job', '.*').replaceAll('$namespace', '.*');
}

/** The Sluice metric names a PromQL text uses (series names, histogram suffixes included). */
export function metricNames(expr: string): string[] {
  // Label values are quoted, so dropping strings first keeps e.g. a matcher value out.
  const unquoted = expr.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  return [...new Set(unquoted.match(/\bsluice_[a-zA-Z0-9_]+\b/g) ?? [])].sort();
}

/** Every metric name the rules and the dashboard use. */
export async function usedMetricNames(): Promise<{ rules: string[]; dashboard: string[]; all: string[] }> {
  const rules = [...new Set(alerts(await readRules()).flatMap((r) => metricNames(r.expr)))].sort();
  const dashboard = [...new Set(dashboardQueries(await readDashboard()).flatMap((q) => metricNames(q.expr)))].sort();
  return { rules, dashboard, all: [...new Set([...rules, ...dashboard])].sort() };
}

/** The series names in a Prometheus text exposition (`# HELP` / `# TYPE` lines aside). */
export function scrapedNames(text: string): Set<string> {
  const names = new Set<string>();
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{|\s)/.exec(line);
    if (m) names.add(m[1]!);
  }
  return names;
}

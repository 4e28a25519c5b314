/**
 * A real Prometheus (Debian's package, via tools/prometheus-tools.sh) for the observability
 * e2e: scrapes one controller every second, evaluates the pack's rule file every second, and
 * answers instant queries and the rules API on a loopback port. State in a temp dir that
 * `stop()` removes.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { freeLoopbackPorts } from '../harness/free-port.ts';
import { startManagedProcess } from '../harness/managed-process.ts';
import { waitFor } from '../harness/wait.ts';

const run = promisify(execFile);
export const PROMETHEUS_TOOLS_SCRIPT = fileURLToPath(new URL('../../../../tools/prometheus-tools.sh', import.meta.url));

/** The directory with `prometheus` and `promtool` (fetched from Debian's archive on first use). */
export async function resolvePrometheusTools(): Promise<string> {
  try {
    const { stdout } = await run('bash', [PROMETHEUS_TOOLS_SCRIPT], { maxBuffer: 1 << 20, timeout: 300_000 });
    return stdout.trim().split('\n').pop() ?? '';
  } catch (error) {
    const stderr = String((error as { stderr?: string }).stderr ?? '').trim();
    throw new Error(`${PROMETHEUS_TOOLS_SCRIPT} could not provide Prometheus (Debian package prometheus): ${stderr || (error as Error).message}`, { cause: error });
  }
}

export interface PrometheusServer {
  readonly url: string;
  /** An instant query's result vector (`data.result`); a query error rejects. */
  query(expr: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]>;
  /** The rule groups as `/api/v1/rules` reports them. */
  rules(): Promise<{ name: string; rules: { name: string; type: string; health: string; lastError?: string; state?: string }[] }[]>;
  /** The scrape targets' health. */
  targets(): Promise<{ health: string; lastError: string; scrapeUrl: string }[]>;
  stop(): Promise<void>;
}

export interface PrometheusOptions {
  readonly binDir: string;
  /** host:port of the controller's /metrics. */
  readonly target: string;
  /** Target labels, as a PodMonitor would add them (namespace, pod). */
  readonly labels: Readonly<Record<string, string>>;
  readonly ruleFiles: readonly string[];
}

export async function startPrometheus(o: PrometheusOptions): Promise<PrometheusServer> {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-prometheus-'));
  const [port] = await freeLoopbackPorts(1);
  const url = `http://127.0.0.1:${port}`;
  const config = {
    global: { scrape_interval: '1s', evaluation_interval: '1s' },
    rule_files: o.ruleFiles,
    scrape_configs: [{ job_name: 'sluice', static_configs: [{ targets: [o.target], labels: o.labels }] }],
  };
  // JSON is YAML.
  await writeFile(join(dir, 'prometheus.yml'), JSON.stringify(config));
  const server = startManagedProcess({
    name: 'prometheus',
    argv: [join(o.binDir, 'prometheus'), `--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`],
    logFile: join(dir, 'prometheus.log'),
  });
  const api = async <T>(path: string): Promise<T> => {
    const res = await fetch(`${url}${path}`, { signal: AbortSignal.timeout(10_000) });
    const body = (await res.json()) as { status: string; data: T; error?: string };
    if (body.status !== 'success') throw new Error(`Prometheus ${path}: ${body.error ?? res.status}`);
    return body.data;
  };
  const stop = async () => {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await waitFor('Prometheus to be ready', async () => !server.exited && (await fetch(`${url}/-/ready`)).ok, { timeoutMs: 60_000 });
  } catch (error) {
    const tail = server.tail(20);
    await stop();
    throw new Error(`Prometheus did not start: ${tail}`, { cause: error });
  }
  return {
    url,
    query: async (expr) => (await api<{ result: { metric: Record<string, string>; value: [number, string] }[] }>(`/api/v1/query?query=${encodeURIComponent(expr)}`)).result,
    rules: async () => (await api<{ groups: Awaited<ReturnType<PrometheusServer['rules']>> }>('/api/v1/rules')).groups,
    targets: async () => (await api<{ activeTargets: Awaited<ReturnType<PrometheusServer['targets']>> }>('/api/v1/targets')).activeTargets,
    stop,
  };
}

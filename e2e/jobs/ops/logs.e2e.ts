/**
 * e2e/ops logs: the real controller against a real API server, authenticated with a bearer
 * token (a ServiceAccount's TokenRequest token in its kubeconfig) and started with cloud
 * secrets in its environment, at `--log-level debug`. A short scenario (a Service with two
 * pods, one rolling update, deletion) plus Services whose bad annotation quotes the token and
 * the secrets, so the secrets reach the logger in the error path. Every stdout and stderr
 * line is then checked: no token or secret anywhere; in JSON, every line an object with
 * level, time and msg, and every line about a Service carrying `service`; in text, no JSON.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, test } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { consoleLogger, freeLoopbackPorts, waitFor, writeKubeconfig } from '@sluice/testbed/harness';
import { CONTROLLER_MAIN, type Environment, startEnvironment, Workload } from '@sluice/testbed/scenario';

const log = consoleLogger('e2e/jobs/ops/logs');
const ACCOUNT = { namespace: 'kube-system', name: 'sluice-logs-e2e' };
/** Shaped like the real thing, and unique enough that a match cannot be a coincidence. */
const AWS_SECRET = 'wJalrSluiceSentinelAwsSecret/K7MDENGbPxR';
const AZURE_SECRET = 'Az8Q~SluiceSentinelAzureClientSecret.0a1';
const LEVELS = new Set(['debug', 'info', 'warn', 'error']);

let env: Environment;
let dir: string;
let kubeconfigPath: string;
let token: string;

before(async () => {
  env = await startEnvironment(log);
  dir = await mkdtemp(join(tmpdir(), 'sluice-logs-'));
  const core = env.kubeConfig.makeApiClient(k8s.CoreV1Api);
  const rbac = env.kubeConfig.makeApiClient(k8s.RbacAuthorizationV1Api);
  await core.createNamespacedServiceAccount({ namespace: ACCOUNT.namespace, body: { metadata: { name: ACCOUNT.name } } });
  await rbac.createClusterRoleBinding({
    body: {
      metadata: { name: ACCOUNT.name },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
      subjects: [{ kind: 'ServiceAccount', ...ACCOUNT }],
    },
  });
  const request = await core.createNamespacedServiceAccountToken({
    ...ACCOUNT,
    body: { spec: { audiences: [], expirationSeconds: 3600 } },
  });
  token = request.status?.token ?? '';
  assert.match(token, /^eyJ[\w-]+\.[\w-]+\.[\w-]+$/, 'the TokenRequest API minted a JWT');
  const caData = env.kubeConfig.getCurrentCluster()?.caData;
  assert.ok(caData, 'the harness kubeconfig carries the CA');
  kubeconfigPath = join(dir, 'kubeconfig');
  await writeKubeconfig(kubeconfigPath, { server: env.server, token, caPem: Buffer.from(caData, 'base64').toString('utf8'), name: 'sluice-sa' });
});

after(async () => {
  await env?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

interface Captured {
  readonly stream: 'stdout' | 'stderr';
  readonly text: string;
}

/** The controller as a child process; every line of both streams is kept verbatim. */
function startController(format: 'json' | 'text') {
  const child: ChildProcess = spawn(
    process.execPath,
    [
      '--conditions=@sluice/source',
      CONTROLLER_MAIN,
      '--handle-unclassed',
      '--provider',
      'local',
      '--kubeconfig',
      kubeconfigPath,
      '--log-level',
      'debug',
      '--log-format',
      format,
      '--metrics-bind-address',
      '127.0.0.1:0',
      '--health-probe-bind-address',
      '127.0.0.1:0',
      '--health-poll-ms',
      '100',
      '--local-health-interval-ms',
      '200',
      // The load balancers inside the controller: this test starts it without the harness,
      // and an engine in its own process would outlive the test.
      '--local-dataplane',
      'embedded',
    ],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        AWS_ACCESS_KEY_ID: 'AKIASLUICESENTINEL01',
        AWS_SECRET_ACCESS_KEY: AWS_SECRET,
        AZURE_TENANT_ID: '00000000-0000-0000-0000-000000000001',
        AZURE_CLIENT_ID: '00000000-0000-0000-0000-000000000002',
        AZURE_CLIENT_SECRET: AZURE_SECRET,
      },
    },
  );
  const lines: Captured[] = [];
  const echo = Boolean(process.env['SLUICE_E2E_DEBUG']);
  for (const stream of ['stdout', 'stderr'] as const) {
    createInterface({ input: child[stream]! }).on('line', (text) => {
      lines.push({ stream, text });
      if (echo) process.stderr.write(`[sluice ${stream}] ${text}\n`);
    });
  }
  let code: number | null | undefined;
  const exited = new Promise<number | null>((resolve) => child.once('exit', (c) => resolve((code = c))));
  const onParentExit = () => child.kill('SIGKILL');
  process.once('exit', onParentExit);
  return {
    lines,
    async ready() {
      await waitFor('the controller to log that it is running', () => {
        if (code !== undefined) throw new Error(`sluice exited (${code}): ${lines.map((l) => l.text).join('\n')}`);
        return lines.some((l) => l.text.includes('sluice running'));
      }, { timeoutMs: 60_000 });
    },
    async stop() {
      process.off('exit', onParentExit);
      if (code === undefined) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      const result = await exited;
      clearTimeout(timer);
      // Let readline hand over the last buffered lines.
      await new Promise((r) => setImmediate(r));
      return result;
    },
  };
}

/** Annotation values that quote a credential: the error for each echoes it into the logs. */
function badServices(): { name: string; value: string }[] {
  return [
    { name: 'bad-jwt', value: token },
    { name: 'bad-bearer', value: `Authorization: Bearer ${token}` },
    { name: 'bad-aws', value: `aws_secret_access_key=${AWS_SECRET}` },
    { name: 'bad-azure', value: `client_secret=${AZURE_SECRET}` },
  ];
}

/** Runs the scenario with the controller logging in `format`; returns every line it wrote. */
async function runScenario(format: 'json' | 'text'): Promise<{ lines: Captured[]; namespace: string }> {
  const namespace = `logs-${format}`;
  const controller = startController(format);
  try {
    await controller.ready();
    const [port] = await freeLoopbackPorts(1);
    const workload = new Workload(env.kubeConfig, { namespace, name: 'web', replicas: 2, servicePort: port!, sigterm: 'keep-serving', preStopSeconds: 1 });
    await workload.create();
    await workload.waitForAddress();
    await workload.waitForRollout(2);
    log.info(`${format}: 2 pods ready behind ${namespace}/web; rolling update`);
    await workload.restart(new Date().toISOString());
    await workload.waitForRollout(2);

    const core = env.kubeConfig.makeApiClient(k8s.CoreV1Api);
    for (const bad of badServices()) {
      await core.createNamespacedService({
        namespace,
        body: {
          metadata: { name: bad.name, annotations: { 'sluice.dev/readiness-gate-timeout': bad.value } },
          spec: { type: 'LoadBalancer', ports: [{ name: 'http', port: 80, protocol: 'TCP' }] },
        },
      });
    }
    // The bad annotation's error reached the log for each (whether masked is checked after).
    for (const bad of badServices()) {
      await waitFor(`the error for ${namespace}/${bad.name} in the log`, () =>
        controller.lines.some((l) => l.text.includes(`${namespace}/${bad.name}`) && l.text.includes('is invalid') && /warn|WARN/.test(l.text)),
      );
    }
    log.info(`${format}: bad annotations reported; deleting ${namespace}`);
    await workload.delete();
  } finally {
    const code = await controller.stop();
    log.info(`${format}: controller exited with ${code}, ${controller.lines.length} lines`);
  }
  return { lines: controller.lines, namespace };
}

/** No line holds the token (or any of its parts) or a secret from the environment. */
function assertNoSecrets(lines: readonly Captured[]): void {
  const [header, payload, signature] = token.split('.');
  const secrets = { token, 'token header': header!, 'token payload': payload!, 'token signature': signature!, AWS_SECRET_ACCESS_KEY: AWS_SECRET, AZURE_CLIENT_SECRET: AZURE_SECRET };
  for (const line of lines) {
    for (const [what, secret] of Object.entries(secrets)) {
      assert.ok(!line.text.includes(secret), `${what} leaked on ${line.stream}: ${line.text}`);
    }
  }
}

test('json logs: every line an object with level, time and msg; Service lines carry service; no token or secret', { timeout: 600_000 }, async () => {
  const { lines, namespace } = await runScenario('json');
  assert.ok(lines.length > 50, `enough lines to judge (${lines.length})`);
  assertNoSecrets(lines);

  const records = lines.map((line) => {
    let parsed: unknown;
    assert.doesNotThrow(() => {
      parsed = JSON.parse(line.text);
    }, `not JSON on ${line.stream}: ${line.text}`);
    assert.ok(parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed), `not a JSON object: ${line.text}`);
    const r = parsed as Record<string, unknown>;
    assert.ok(LEVELS.has(r['level'] as string), `level is not a label: ${line.text}`);
    assert.equal(typeof r['msg'], 'string', `no msg: ${line.text}`);
    assert.match(String(r['time']), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/, `time is not ISO: ${line.text}`);
    return r;
  });
  assert.ok(records.some((r) => r['level'] === 'debug'), 'debug lines were written at --log-level debug');

  const services = [`${namespace}/web`, ...badServices().map((b) => `${namespace}/${b.name}`)];
  const aboutService = (r: Record<string, unknown>) => {
    const msg = String(r['msg']);
    return msg.startsWith('reconcile') || services.some((s) => msg.includes(s)) || String(r['object'] ?? '').startsWith('service/');
  };
  const about = records.filter(aboutService);
  assert.ok(about.length >= 10, `lines about the Services were written (${about.length})`);
  const unnamed = about.filter((r) => {
    const named = /^reconcile (\S+?):? /.exec(String(r['msg']))?.[1];
    return typeof r['service'] !== 'string' || (named !== undefined && r['service'] !== named);
  });
  assert.deepEqual(unnamed, [], 'every line about a Service carries service (the one it names)');

  // Pods: both gate passes and drains name the pod and its Service.
  const gates = records.filter((r) => r['msg'] === 'gate passed' && String(r['pod']).startsWith(`${namespace}/`));
  const drains = records.filter((r) => r['msg'] === 'drain applied' && String(r['pod']).startsWith(`${namespace}/`));
  assert.ok(gates.length >= 4, `gate passed for the first two pods and their two replacements (${gates.length})`);
  assert.ok(drains.length >= 2, `the two replaced pods were drained (${drains.length})`);
  for (const r of [...gates, ...drains]) {
    assert.equal(r['service'], `${namespace}/web`, JSON.stringify(r));
    assert.match(String(r['podUid']), /^[0-9a-f-]{36}$/, JSON.stringify(r));
  }
  // Pod events (the gate waiting for the LB) name the pod as well as the Service. A pod that no
  // Sluice Service selected yet (created before its Service) is told so with no Service to name.
  const podEvents = records.filter((r) => String(r['object'] ?? '').startsWith(`pod/${namespace}/`) && r['event'] !== 'NoLoadBalancer');
  assert.ok(podEvents.length >= 1, 'pod events were logged');
  for (const r of podEvents) assert.ok(typeof r['pod'] === 'string' && r['service'] === `${namespace}/web`, JSON.stringify(r));

  // The credentials reached the logger through the bad annotations, and were masked there.
  for (const bad of badServices()) {
    const reported = records.filter((r) => r['service'] === `${namespace}/${bad.name}` && r['level'] === 'warn');
    assert.ok(reported.length >= 1, `the error for ${bad.name} was logged`);
    assert.ok(reported.every((r) => JSON.stringify(r).includes('[redacted]')), `the error for ${bad.name} was masked: ${JSON.stringify(reported)}`);
  }
});

test('text logs: one human line per record, not JSON; Service lines carry service=; no token or secret', { timeout: 600_000 }, async () => {
  const { lines, namespace } = await runScenario('text');
  assert.ok(lines.length > 50, `enough lines to judge (${lines.length})`);
  assertNoSecrets(lines);
  const shape = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) (DEBUG|INFO |WARN |ERROR) (.*)$/;
  for (const line of lines) {
    assert.throws(() => JSON.parse(line.text), `a JSON line in text format on ${line.stream}: ${line.text}`);
    assert.ok(!line.text.includes('\u001b['), `colours when not writing to a TTY: ${line.text}`);
    const m = shape.exec(line.text);
    assert.ok(m, `not "<time> <LEVEL> <message> key=value" on ${line.stream}: ${line.text}`);
    // Message and fields are not separable in text, so only the reconcile lines are judged
    // here; the JSON test checks every line about a Service.
    if (m[3]!.startsWith('reconcile ')) assert.match(m[3]!, / service=\S+/, `a reconcile line without service=: ${line.text}`);
  }
  assert.ok(lines.some((l) => / DEBUG /.test(l.text)), 'debug lines were written at --log-level debug');
  assert.ok(lines.some((l) => l.text.includes(' gate passed ') && l.text.includes(` service=${namespace}/web`) && l.text.includes(` pod=${namespace}/`)));
  for (const bad of badServices()) {
    assert.ok(lines.some((l) => l.text.includes(`service=${namespace}/${bad.name}`) && l.text.includes('[redacted]')), `the error for ${bad.name} was logged, masked`);
  }
});

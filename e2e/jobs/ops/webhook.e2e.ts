/**
 * The readiness-gate injection webhook registered with the real kube-apiserver: the webhook
 * fills the caBundle of its MutatingWebhookConfiguration itself (and repairs it when it is
 * overwritten); pods in a labelled namespace that a Sluice Service selects get the gate,
 * including a ReplicaSet's pods; pods elsewhere, or not selected, do not; and with the
 * webhook down, pods are still admitted (failurePolicy Ignore), without the gate. A provided
 * certificate is served, and a rotated one is picked up from its files.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import type { Logger } from '@sluice/core';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCertificateAuthority, issueServingCertificate, MUTATE_POD_PATH, parsePemBundle, type RunningWebhook, startWebhook } from '@sluice/controller';
import { startControllerProcess } from '@sluice/testbed/scenario';
import { consoleLogger, type ControlPlane, freeLoopbackPorts, startControlPlane, waitFor } from '@sluice/testbed/harness';

const GATE = 'sluice.dev/load-balancer-ready';
const INJECT_LABEL = 'sluice.dev/readiness-gate-inject';
const CONFIGURATION = 'sluice-e2e-readiness-gate';
const PROVIDED_CONFIGURATION = 'sluice-e2e-provided-certificate';
const LABELLED = 'webhook-inject';
const PLAIN = 'webhook-plain';

const log = consoleLogger('e2e/webhook');
const lines: { level: string; message: string }[] = [];
const webhookLog: Logger = Object.fromEntries(
  (['debug', 'info', 'warn', 'error'] as const).map((level) => [
    level,
    (message: string, fields?: Record<string, unknown>) => {
      lines.push({ level, message });
      const text = `webhook ${level}: ${message}${fields ? ` ${JSON.stringify(fields)}` : ''}`;
      if (level === 'debug') log.debug(text);
      else log.info(text);
    },
  ]),
) as unknown as Logger;

let cp: ControlPlane;
let core: k8s.CoreV1Api;
let admission: k8s.AdmissionregistrationV1Api;
let webhook: RunningWebhook | undefined;
let second: RunningWebhook | undefined;
let provided: RunningWebhook | undefined;
let certDir: string | undefined;
const abort = new AbortController();

before(async () => {
  cp = await startControlPlane({ log });
  core = cp.kubeConfig.makeApiClient(k8s.CoreV1Api);
  admission = cp.kubeConfig.makeApiClient(k8s.AdmissionregistrationV1Api);
});
after(async () => {
  abort.abort();
  await webhook?.close();
  await second?.close();
  await provided?.close();
  if (certDir) await rm(certDir, { recursive: true, force: true });
  await admission?.deleteMutatingWebhookConfiguration({ name: CONFIGURATION }).catch(() => {});
  await admission?.deleteMutatingWebhookConfiguration({ name: PROVIDED_CONFIGURATION }).catch(() => {});
  await cp?.stop();
});

function pod(name: string, labels: Record<string, string>, gates?: k8s.V1PodReadinessGate[]): k8s.V1Pod {
  return {
    metadata: { name, labels },
    // Never scheduled (no scheduler runs): admission is all this test is about.
    spec: { containers: [{ name: 'app', image: 'example.invalid/app:1' }], ...(gates ? { readinessGates: gates } : {}) },
  };
}

const gatesOf = (p: k8s.V1Pod) => (p.spec?.readinessGates ?? []).map((g) => g.conditionType);

async function createPod(namespace: string, body: k8s.V1Pod): Promise<string[]> {
  return gatesOf(await core.createNamespacedPod({ namespace, body }));
}

function loadBalancer(name: string, namespace: string, selector: Record<string, string>, loadBalancerClass?: string): k8s.V1Service {
  return {
    metadata: { name, namespace },
    spec: { type: 'LoadBalancer', selector, ports: [{ port: 80, targetPort: 8080 }], ...(loadBalancerClass ? { loadBalancerClass } : {}) },
  };
}

/** As an operator registers the webhook: opt-in by namespace label, never blocking pods. */
function webhookConfiguration(name: string, port: number, caBundle?: string): k8s.V1MutatingWebhookConfiguration {
  return {
    metadata: { name },
    webhooks: [
      {
        name: 'readiness-gate.sluice.dev',
        admissionReviewVersions: ['v1'],
        sideEffects: 'None',
        failurePolicy: 'Ignore',
        timeoutSeconds: 5,
        clientConfig: { url: `https://127.0.0.1:${port}${MUTATE_POD_PATH}`, ...(caBundle ? { caBundle } : {}) },
        namespaceSelector: { matchLabels: { [INJECT_LABEL]: 'enabled' } },
        rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'], scope: 'Namespaced' }],
      },
    ],
  };
}

/** Creates pods with dry run until the API server's webhook cache has caught up and the gate comes back as wanted. */
function untilDryRunGate(what: string, wanted: boolean): Promise<true> {
  return waitFor(
    what,
    async () => gatesOf(await core.createNamespacedPod({ namespace: LABELLED, body: pod('probe', { app: 'web' }), dryRun: 'All' })).includes(GATE) === wanted || undefined,
    { timeoutMs: 30_000, intervalMs: 250 },
  );
}

async function bundleTrusts(pem: string): Promise<boolean> {
  const c = await admission.readMutatingWebhookConfiguration({ name: CONFIGURATION });
  const wanted = parsePemBundle(pem)[0]!.fingerprint256;
  return (c.webhooks ?? []).every((w) => parsePemBundle(Buffer.from(w.clientConfig.caBundle ?? '', 'base64').toString()).some((x) => x.fingerprint256 === wanted));
}

test('the webhook injects the readiness gate through the real API server, and a webhook that is down blocks nothing', { timeout: 180_000 }, async () => {
  const [port] = (await freeLoopbackPorts(1)) as [number];
  webhook = await startWebhook({
    address: { host: '127.0.0.1', port },
    configurationName: CONFIGURATION,
    dnsNames: ['sluice-webhook.sluice.svc'],
    kubeConfig: cp.kubeConfig,
    gateConditionType: GATE,
    handleUnclassed: true,
    log: webhookLog,
    signal: abort.signal,
    refreshIntervalMs: 200,
  });
  assert.equal(webhook.port, port);
  const authority = webhook.authorityPem!;
  assert.ok(authority, 'a generated authority');

  for (const [name, labels] of [[LABELLED, { [INJECT_LABEL]: 'enabled' }], [PLAIN, {}]] as const) {
    await core.createNamespace({ body: { metadata: { name, labels } } });
    // The ServiceAccount admission plugin refuses pods until the namespace's default account exists.
    await waitFor(`the default ServiceAccount in ${name}`, () => core.readNamespacedServiceAccount({ name: 'default', namespace: name }).then(() => true));
    await core.createNamespacedService({ namespace: name, body: loadBalancer('web', name, { app: 'web' }) });
  }
  await core.createNamespacedService({ namespace: LABELLED, body: loadBalancer('other', LABELLED, { app: 'other' }, 'other.example/lb') });
  await core.createNamespacedService({ namespace: LABELLED, body: { metadata: { name: 'internal' }, spec: { selector: { app: 'internal' }, ports: [{ port: 80 }] } } });

  // Registered after the webhook started: it must find the configuration and fill its empty caBundle.
  await admission.createMutatingWebhookConfiguration({ body: webhookConfiguration(CONFIGURATION, port) });
  await waitFor('the webhook to set the caBundle', () => bundleTrusts(authority));

  // The API server's webhook configuration cache follows the object shortly: probe with dry runs.
  await untilDryRunGate('the API server to call the webhook', true);

  assert.deepEqual(await createPod(LABELLED, pod('web-1', { app: 'web', version: 'v1' })), [GATE], 'selected in a labelled namespace: the gate is added');
  assert.deepEqual(
    await createPod(LABELLED, pod('web-2', { app: 'web' }, [{ conditionType: 'example.com/warm' }])),
    ['example.com/warm', GATE],
    'appended after the gates the pod has',
  );
  assert.deepEqual(await createPod(LABELLED, pod('web-3', { app: 'web' }, [{ conditionType: GATE }])), [GATE], 'not added twice');
  assert.deepEqual(await createPod(PLAIN, pod('web-1', { app: 'web' })), [], 'unlabelled namespace: no gate');
  assert.deepEqual(await createPod(LABELLED, pod('db-1', { app: 'db' })), [], 'no Service selects it: no gate');
  assert.deepEqual(await createPod(LABELLED, pod('other-1', { app: 'other' })), [], 'selected only by another class: no gate');
  assert.deepEqual(await createPod(LABELLED, pod('internal-1', { app: 'internal' })), [], 'selected only by a ClusterIP Service: no gate');

  // A Deployment's pods come from the ReplicaSet controller with generateName and no namespace in the object.
  const apps = cp.kubeConfig.makeApiClient(k8s.AppsV1Api);
  await apps.createNamespacedDeployment({
    namespace: LABELLED,
    body: {
      metadata: { name: 'web' },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'web', owner: 'deployment' } },
        template: { metadata: { labels: { app: 'web', owner: 'deployment' } }, spec: { containers: [{ name: 'app', image: 'example.invalid/app:1' }] } },
      },
    },
  });
  const fromReplicaSet = await waitFor('the Deployment\'s pod', async () => (await core.listNamespacedPod({ namespace: LABELLED, labelSelector: 'owner=deployment' })).items[0]);
  assert.equal(fromReplicaSet.metadata?.ownerReferences?.[0]?.kind, 'ReplicaSet');
  assert.deepEqual(gatesOf(fromReplicaSet), [GATE], 'a ReplicaSet\'s pod gets the gate');

  // Someone re-applies the configuration with an empty caBundle: the webhook repairs it.
  const setLine = `set the caBundle of MutatingWebhookConfiguration ${CONFIGURATION}`;
  const setsBefore = lines.filter((l) => l.message === setLine).length;
  await admission.patchMutatingWebhookConfiguration(
    { name: CONFIGURATION, body: [{ op: 'replace', path: '/webhooks/0/clientConfig/caBundle', value: '' }] },
    k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.JsonPatch),
  );
  // (Not read back here: the webhook may already have repaired it.)
  await waitFor('the webhook to restore the caBundle', async () => lines.filter((l) => l.message === setLine).length > setsBefore && (await bundleTrusts(authority)));

  // A second replica generates its own authority: the bundle then trusts both, and the first still serves.
  const [secondPort] = (await freeLoopbackPorts(1)) as [number];
  second = await startWebhook({
    address: { host: '127.0.0.1', port: secondPort },
    configurationName: CONFIGURATION,
    dnsNames: ['sluice-webhook.sluice.svc'],
    kubeConfig: cp.kubeConfig,
    gateConditionType: GATE,
    handleUnclassed: true,
    log: webhookLog,
    signal: abort.signal,
    refreshIntervalMs: 200,
  });
  assert.notEqual(second.authorityPem, authority);
  await waitFor('the bundle to trust both replicas', async () => (await bundleTrusts(second!.authorityPem!)) && (await bundleTrusts(authority)));
  await untilDryRunGate('the API server to call the first replica with the two-authority bundle', true);
  assert.deepEqual(await createPod(LABELLED, pod('web-4', { app: 'web' })), [GATE], 'still injected with two replicas\' authorities in the bundle');
  await second.close();

  // The webhook goes down: failurePolicy Ignore admits pods, without the gate.
  await webhook.close();
  assert.deepEqual(await createPod(LABELLED, pod('web-down', { app: 'web' })), [], 'admitted without the gate while the webhook is down');
  const stored = await core.readNamespacedPod({ name: 'web-down', namespace: LABELLED });
  assert.equal(stored.metadata?.name, 'web-down');
  assert.ok(!lines.some((l) => l.level === 'error'), `no error logged: ${JSON.stringify(lines.filter((l) => l.level === 'error'))}`);
});

test('a provided certificate is served, and a rotated one is picked up from its files', { timeout: 120_000 }, async () => {
  // Runs after the first test: its namespaces and Services exist, its webhook is closed and unregistered.
  await admission.deleteMutatingWebhookConfiguration({ name: CONFIGURATION });
  certDir = await mkdtemp(join(tmpdir(), 'sluice-e2e-webhook-'));
  const certFile = join(certDir, 'tls.crt');
  const keyFile = join(certDir, 'tls.key');
  const now = Date.now();
  const [first, rotated] = [createCertificateAuthority({ now }), createCertificateAuthority({ now })];
  const issue = (ca: typeof first) => issueServingCertificate(ca, { now, dnsNames: ['sluice-webhook.sluice.svc'], ipAddresses: ['127.0.0.1'] });
  const firstCert = issue(first);
  await writeFile(certFile, firstCert.certPem);
  await writeFile(keyFile, firstCert.keyPem);

  const [port] = (await freeLoopbackPorts(1)) as [number];
  provided = await startWebhook({
    address: { host: '127.0.0.1', port },
    certFile,
    keyFile,
    dnsNames: [],
    kubeConfig: cp.kubeConfig,
    gateConditionType: GATE,
    handleUnclassed: true,
    log: webhookLog,
    signal: abort.signal,
    refreshIntervalMs: 200,
  });
  assert.equal(provided.authorityPem, undefined, 'nothing generated');
  const b64 = (pem: string) => Buffer.from(pem).toString('base64');
  await admission.createMutatingWebhookConfiguration({ body: webhookConfiguration(PROVIDED_CONFIGURATION, port, b64(first.certPem)) });
  await untilDryRunGate('the API server to call the webhook with the provided certificate', true);
  assert.deepEqual(await createPod(LABELLED, pod('web-provided-1', { app: 'web' })), [GATE]);

  // Rotate the files to a certificate of another authority, and trust only that one: the gate
  // comes back only if the webhook serves the new files.
  const reloads = lines.filter((l) => l.message === 'webhook certificate reloaded from its files').length;
  const rotatedCert = issue(rotated);
  await writeFile(keyFile, rotatedCert.keyPem);
  await writeFile(certFile, rotatedCert.certPem);
  await waitFor('the webhook to reload its files', () => lines.filter((l) => l.message === 'webhook certificate reloaded from its files').length > reloads);
  await admission.patchMutatingWebhookConfiguration(
    { name: PROVIDED_CONFIGURATION, body: [{ op: 'replace', path: '/webhooks/0/clientConfig/caBundle', value: b64(rotated.certPem) }] },
    k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.JsonPatch),
  );
  await untilDryRunGate('the API server to call the webhook with the rotated certificate', true);
  assert.deepEqual(await createPod(LABELLED, pod('web-provided-2', { app: 'web' })), [GATE]);

  // And the old authority no longer works: the API server cannot verify the webhook, so pods go in without the gate.
  await admission.patchMutatingWebhookConfiguration(
    { name: PROVIDED_CONFIGURATION, body: [{ op: 'replace', path: '/webhooks/0/clientConfig/caBundle', value: b64(first.certPem) }] },
    k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.JsonPatch),
  );
  await untilDryRunGate('the API server to fail verifying the rotated certificate against the old authority', false);
});

test('the sluice binary serves the webhook with --webhook-bind-address and fills the caBundle of --webhook-configuration-name', { timeout: 120_000 }, async () => {
  const BINARY_CONFIGURATION = 'sluice-e2e-binary';
  // The other webhook configurations would answer too; only the binary's may be registered.
  await admission.deleteMutatingWebhookConfiguration({ name: CONFIGURATION }).catch(() => {});
  await admission.deleteMutatingWebhookConfiguration({ name: PROVIDED_CONFIGURATION }).catch(() => {});
  await untilDryRunGate('the API server to drop the earlier webhooks', false);
  const [port] = (await freeLoopbackPorts(1)) as [number];
  await admission.createMutatingWebhookConfiguration({ body: webhookConfiguration(BINARY_CONFIGURATION, port) });
  const controller = startControllerProcess({
    kubeconfigPath: cp.kubeconfigPath,
    args: ['--no-leader-elect', `--webhook-bind-address=127.0.0.1:${port}`, `--webhook-configuration-name=${BINARY_CONFIGURATION}`],
  });
  try {
    await waitFor('the controller to log its webhook port', () => controller.lines.some((l) => l.msg === 'webhook listening' && l['webhookPort'] === port) || undefined, { timeoutMs: 30_000 });
    await untilDryRunGate('the API server to call the controller binary', true);
    assert.deepEqual(await createPod(LABELLED, pod('web-binary-1', { app: 'web' })), [GATE]);
    assert.deepEqual(await createPod(PLAIN, pod('web-binary-2', { app: 'web' })), []);
  } finally {
    assert.equal(await controller.stop(), 0);
    await admission.deleteMutatingWebhookConfiguration({ name: BINARY_CONFIGURATION }).catch(() => {});
  }
});

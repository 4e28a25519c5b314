/**
 * The deploy objects agree with each other, with the controller's flag parser and with the
 * image `npm run image` builds (see assertConsistent).
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import type * as k8s from '@kubernetes/client-node';
import { parseFlags } from '@sluice/controller';
import { imageReference } from '@sluice/image/spec';
import type { Install } from './deploy-access.ts';

/** The path the controller's admission server answers (apps/controller/src/webhook/admission-server.ts). */
const WEBHOOK_PATH = '/mutate-v1-pod';
export const CONTROLLER_VERSION = (JSON.parse(await readFile(new URL('../../../apps/controller/package.json', import.meta.url), 'utf8')) as { version: string }).version;
/** The image and tag `npm run image` produces, which every manifest must name. */
export const IMAGE = imageReference(CONTROLLER_VERSION);

export function container(objects: readonly k8s.KubernetesObject[]): { deployment: k8s.V1Deployment; c: k8s.V1Container } {
  const deployment = objects.find((o) => o.kind === 'Deployment') as k8s.V1Deployment | undefined;
  assert.ok(deployment, 'there is a Deployment');
  const c = deployment.spec?.template.spec?.containers.find((x) => x.name === 'sluice');
  assert.ok(c, 'the Deployment has a container named sluice');
  return { deployment, c };
}

/**
 * The objects agree with each other and with the controller's flag parser: the args parse
 * and select `provider`, ports and probes match the flags, the Lease and webhook names the
 * controller will use are the ones RBAC grants, and the webhook Service is in its certificate.
 */
export function assertConsistent(objects: readonly k8s.KubernetesObject[], provider: string, i: Install): void {
  const find = <T>(kind: string, name: string, namespace?: string) =>
    objects.find((o) => o.kind === kind && o.metadata?.name === name && o.metadata?.namespace === namespace) as T | undefined;
  const { deployment, c } = container(objects);
  assert.equal(deployment.metadata?.namespace, i.namespace);
  assert.equal(c.image, IMAGE, 'the image and tag `npm run image` builds');
  const env = Object.fromEntries((c.env ?? []).map((e) => [e.name, e.valueFrom?.fieldRef?.fieldPath]));
  assert.equal(env['POD_NAMESPACE'], 'metadata.namespace');
  assert.equal(env['POD_NAME'], 'metadata.name');
  const parsed = parseFlags(c.args ?? [], { POD_NAMESPACE: i.namespace, POD_NAME: `${i.serviceAccount}-0` });
  assert.equal(parsed.kind, 'run', `the container args parse: ${JSON.stringify(parsed)}`);
  if (parsed.kind !== 'run') return;
  const config = parsed.config;
  assert.equal(config.provider, provider);

  const pod = deployment.spec!.template.spec!;
  assert.equal(pod.serviceAccountName, i.serviceAccount);
  assert.ok(find('ServiceAccount', i.serviceAccount, i.namespace), 'the ServiceAccount is part of the install');
  assert.ok((pod.terminationGracePeriodSeconds ?? 30) > config.shutdownTimeoutMs / 1000, 'the grace period outlasts the shutdown timeout');
  const port = (name: string) => c.ports?.find((p) => p.name === name)?.containerPort;
  assert.equal(port('metrics'), config.metricsAddress?.port);
  assert.equal(port('health'), config.healthAddress?.port);
  assert.deepEqual([c.livenessProbe?.httpGet?.path, c.livenessProbe?.httpGet?.port], ['/healthz', 'health']);
  assert.deepEqual([c.readinessProbe?.httpGet?.path, c.readinessProbe?.httpGet?.port], ['/readyz', 'health']);
  assert.ok(c.resources?.requests?.['cpu'] && c.resources?.requests?.['memory'] && c.resources?.limits?.['memory'], 'resource requests and limits');
  assert.equal(c.securityContext?.readOnlyRootFilesystem, true);
  assert.equal(c.securityContext?.allowPrivilegeEscalation, false);
  assert.equal(c.securityContext?.runAsNonRoot ?? pod.securityContext?.runAsNonRoot, true);
  assert.deepEqual(c.securityContext?.capabilities?.drop, ['ALL']);

  assert.ok(config.leaderElection.enabled, 'leader election is on (two replicas)');
  assert.equal(config.leaderElection.namespace, i.namespace);
  assert.equal(config.leaderElection.name, i.lease);
  const role = find<k8s.V1Role>('Role', `${i.lease}-leader-election`, i.namespace);
  assert.ok(role?.rules?.some((r) => r.resources?.includes('leases') && r.resourceNames?.includes(config.leaderElection.name)), 'the Role names the Lease');

  assert.ok(config.webhook, 'the webhook is on');
  assert.equal(config.webhook.configurationName, i.webhookConfiguration);
  assert.equal(port('webhook'), config.webhook.address.port);
  const mwc = find<k8s.V1MutatingWebhookConfiguration>('MutatingWebhookConfiguration', i.webhookConfiguration);
  const hook = mwc?.webhooks?.[0];
  assert.ok(hook, 'the MutatingWebhookConfiguration the controller patches is part of the install');
  assert.equal(mwc.webhooks?.length, 1);
  assert.equal(hook.name, 'readiness-gate.sluice.dev');
  assert.equal(hook.failurePolicy, 'Ignore');
  assert.equal(hook.sideEffects, 'None');
  assert.deepEqual(hook.admissionReviewVersions, ['v1']);
  assert.equal(hook.timeoutSeconds, 5);
  assert.equal(hook.reinvocationPolicy, 'Never');
  assert.deepEqual(hook.namespaceSelector, { matchLabels: { 'sluice.dev/readiness-gate-inject': 'enabled' } });
  assert.deepEqual(hook.rules, [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['pods'], scope: 'Namespaced' }]);
  assert.equal(hook.clientConfig.caBundle, undefined, 'caBundle is left to the controller');
  const ref = hook.clientConfig.service!;
  assert.equal(ref.namespace, i.namespace);
  assert.equal(ref.path, WEBHOOK_PATH);
  assert.ok(config.webhook.dnsNames.includes(`${ref.name}.${ref.namespace}.svc`), `the generated certificate covers ${ref.name}.${ref.namespace}.svc`);
  const svc = find<k8s.V1Service>('Service', ref.name, ref.namespace);
  const svcPort = svc?.spec?.ports?.find((p) => p.port === (ref.port ?? 443));
  assert.equal(svcPort?.targetPort, 'webhook', 'the webhook Service forwards to the container port named webhook');
  assert.deepEqual(svc?.spec?.selector, deployment.spec?.selector.matchLabels, 'the webhook Service selects the controller pods');
}

/**
 * The deploy manifests against the real API server: deploy/base applies, its Deployment gets
 * pods, the controller's ServiceAccount can do exactly what the controller needs (asked with
 * SubjectAccessReview, and listed with SelfSubjectRulesReview: nothing more), the controller
 * itself runs on that account's token, every example overlay renders with kustomize and is
 * accepted, and the Helm chart renders the same objects as deploy/base and grants a release
 * under another name the same access. The controller of these tests is the container image
 * (`npm run image`), unpacked and run from its root filesystem as the Deployment runs it: the
 * image the manifests name is the image the tests ran.
 */
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as k8s from '@kubernetes/client-node';
import { LABEL_KEYS } from '@sluice/image/spec';
import { type ControlPlane, consoleLogger, freeLoopbackPorts, startControlPlane, waitFor } from '@sluice/testbed/harness';
import { applyObjects, type BuiltImage, buildImage, byKey, HELM_BUILD_SCRIPT, KUSTOMIZE_BUILD_SCRIPT, loadKustomizationFiles, objectKey, parseObjects, resolveTool, runInRootfs, runTool, startImageController, type UnpackedImage, unpackImage, withoutHelmLabels } from '@sluice/testbed/ops';
import type { ControllerProcess } from '@sluice/testbed/scenario';
import { assertLeastPrivilege, type Install, OTHER_NS, PLAIN } from './deploy-access.ts';
import { assertConsistent, CONTROLLER_VERSION, container, IMAGE } from './deploy-consistency.ts';

const log = consoleLogger('e2e/deploy');
const DEPLOY = fileURLToPath(new URL('../../../deploy/', import.meta.url));
const CHART = join(DEPLOY, 'helm', 'sluice');
let cp: ControlPlane;
let kc: k8s.KubeConfig;
let kubeVersion: string;
let base: k8s.KubernetesObject[];
let controller: ControllerProcess | undefined;
let image: Promise<{ built: BuiltImage; unpacked: UnpackedImage }> | undefined;
let helm: Promise<string> | undefined;
let kustomize: Promise<string> | undefined;
const helmBinary = () => (helm ??= resolveTool(HELM_BUILD_SCRIPT));
const kustomizeBinary = () => (kustomize ??= resolveTool(KUSTOMIZE_BUILD_SCRIPT));

before(async () => {
  // Built (warm: seconds) and unpacked while the control plane starts; awaited by the tests that run it.
  image = buildImage().then(async (built) => ({ built, unpacked: await unpackImage(built) }));
  image.catch(() => {});
  cp = await startControlPlane({ log });
  kc = cp.kubeConfig;
  kubeVersion = (await kc.makeApiClient(k8s.VersionApi).getCode()).gitVersion;
  base = await loadKustomizationFiles(join(DEPLOY, 'base'));
  await applyObjects(kc, base);
  await kc.makeApiClient(k8s.CoreV1Api).createNamespace({ body: { metadata: { name: OTHER_NS } } });
});
after(async () => {
  await controller?.stop();
  await cp?.stop();
  await image?.then(({ unpacked }) => unpacked.remove()).catch(() => {});
});


test('deploy/base applies; its Deployment gets pods running as the sluice ServiceAccount', { timeout: 120_000 }, async () => {
  assert.deepEqual(
    base.map(objectKey),
    [
      'Namespace sluice-system',
      'ServiceAccount sluice-system/sluice',
      'ClusterRole sluice',
      'ClusterRoleBinding sluice',
      'Role sluice-system/sluice-leader-election',
      'RoleBinding sluice-system/sluice-leader-election',
      'Deployment sluice-system/sluice',
      'Service sluice-system/sluice-webhook',
      'MutatingWebhookConfiguration sluice',
    ],
  );
  assertConsistent(base, 'local', PLAIN);
  // The ReplicaSet controller creates the pods; admission refuses them if the ServiceAccount is missing.
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const pods = await waitFor('the two sluice pods', async () => {
    const list = await core.listNamespacedPod({ namespace: 'sluice-system', labelSelector: 'app.kubernetes.io/name=sluice' });
    return list.items.length === 2 && list.items;
  });
  for (const p of pods) {
    assert.equal(p.spec?.serviceAccountName, 'sluice');
    assert.equal(p.spec?.containers[0]?.image, IMAGE);
  }
});

test('the sluice ServiceAccount can do what the controller needs and nothing more (no Secrets)', { timeout: 120_000 }, async () => {
  await assertLeastPrivilege(kc, PLAIN);
});

test('the image: built by `npm run image` as the manifests name it, OCI labels, non-root, read-only root; `sluice --version` and every provider package run from its root filesystem', { timeout: 1_200_000 }, async () => {
  const { built, unpacked } = await image!;
  assert.equal(built.reference, IMAGE, 'the build tags the image the manifests name');
  const labels = unpacked.config.Labels ?? {};
  assert.deepEqual(LABEL_KEYS.filter((k) => !labels[k]), [], 'every OCI label is set');
  assert.equal(labels['org.opencontainers.image.version'], CONTROLLER_VERSION);
  assert.equal(labels['org.opencontainers.image.licenses'], 'Apache-2.0');
  assert.match(labels['org.opencontainers.image.revision'] ?? '', /^[0-9a-f]{40}$|^unknown$/);
  const { c, deployment } = container(base);
  const pod = deployment.spec!.template.spec!;
  assert.deepEqual(unpacked.process.user, { uid: pod.securityContext?.runAsUser, gid: pod.securityContext?.runAsGroup }, "the image's user is the Deployment's");
  assert.deepEqual(
    Object.keys(unpacked.config.ExposedPorts ?? {}).sort(),
    (c.ports ?? []).map((p) => `${p.containerPort}/tcp`).sort(),
    'the image exposes the container ports',
  );
  const run = (argv: string[]) => runInRootfs({ rootfs: unpacked.rootfs, argv, uid: unpacked.process.user.uid, gid: unpacked.process.user.gid, env: unpacked.process.env });

  const version = await run([...unpacked.process.args, '--version']);
  assert.deepEqual([version.code, version.stdout, version.stderr], [0, `sluice ${CONTROLLER_VERSION}\n`, ''], 'sluice --version from the image');

  const node = unpacked.process.args[0] === '/usr/local/bin/sluice' ? '/usr/local/bin/node' : assert.fail(`unexpected entrypoint ${unpacked.process.args}`);
  const probe = await run([
    node,
    '--input-type=module',
    '--eval',
    `import { writeFileSync } from 'node:fs';
     import { createRequire } from 'node:module';
     const tryWrite = (p) => { try { writeFileSync(p, 'x'); return 'writable'; } catch (e) { return e.code; } };
     // Resolved the way the controller's own import() resolves them: from the app's node_modules.
     const resolve = createRequire('/app/node_modules/@sluice/controller/dist/providers.js').resolve;
     const providers = {};
     for (const [p, factory] of [['local', 'createLocalProvider'], ['aws', 'createAwsProvider'], ['azure', 'createAzureProvider'], ['gcp', 'createGcpProvider']]) {
       providers[p] = typeof (await import(resolve('@sluice/provider-' + p)))[factory];
     }
     console.log(JSON.stringify({ node: process.version, uid: process.getuid(), root: tryWrite('/sluice-probe'), tmp: tryWrite('/tmp/sluice-probe'), providers }));`,
  ]);
  assert.equal(probe.code, 0, `the probe ran in the image: ${probe.stderr}`);
  const seen = JSON.parse(probe.stdout) as { node: string; uid: number; root: string; tmp: string; providers: Record<string, string> };
  assert.match(seen.node, /^v24\./, 'Node 24');
  assert.equal(seen.uid, 65532);
  assert.equal(seen.root, 'EROFS', 'the root filesystem is read-only');
  assert.equal(seen.tmp, 'writable', '/tmp is the emptyDir');
  assert.deepEqual(seen.providers, { local: 'function', aws: 'function', azure: 'function', gcp: 'function' }, 'every provider package loads from the image');
});

test('the controller runs from the image as the Deployment says, on the ServiceAccount token (in-cluster): it leads on the Lease, informers sync, finalizer, status and events are written, deletion completes', { timeout: 1_200_000 }, async () => {
  const { unpacked } = await image!;
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const token = await core.createNamespacedServiceAccountToken({
    namespace: PLAIN.namespace,
    name: PLAIN.serviceAccount,
    body: { spec: { audiences: [], expirationSeconds: 3600 } },
  });
  const saToken = token.status?.token;
  assert.ok(saToken, 'the API server issued a token for the ServiceAccount');
  const cluster = kc.getCurrentCluster()!;
  // What the kubelet projects into the pod at /var/run/secrets/kubernetes.io/serviceaccount.
  const saDir = join(cp.logDir ?? '/tmp', 'sluice-serviceaccount');
  await mkdir(saDir, { recursive: true });
  await writeFile(join(saDir, 'token'), saToken);
  await writeFile(join(saDir, 'ca.crt'), Buffer.from(cluster.caData!, 'base64'));
  await writeFile(join(saDir, 'namespace'), PLAIN.namespace);
  const server = new URL(cluster.server);
  const { deployment, c } = container(base);
  controller = startImageController({
    image: unpacked,
    container: c,
    podSecurity: deployment.spec?.template.spec?.securityContext,
    pod: { namespace: PLAIN.namespace, name: 'sluice-e2e-0' },
    serviceAccountDir: saDir,
    apiServer: { host: server.hostname, port: Number(server.port) },
    // The Deployment's flags as they are, but on free loopback ports: the test shares the host's network.
    overrideArgs: { '--metrics-bind-address': '127.0.0.1:0', '--health-probe-bind-address': '127.0.0.1:0', '--webhook-bind-address': '127.0.0.1:0' },
    extraArgs: ['--log-level=debug'],
  });
  await controller.ready(60_000);
  const { body: metrics } = await controller.get('/metrics');
  assert.match(metrics, /^sluice_leader\{[^}]*\} [01]$/m, 'the image serves /metrics');
  // Leader election through the Role: the controller holds the Lease the Role names.
  const coordination = kc.makeApiClient(k8s.CoordinationV1Api);
  await waitFor('the controller to hold the Lease', async () => {
    const lease = await coordination.readNamespacedLease({ namespace: PLAIN.namespace, name: PLAIN.lease });
    return lease.spec?.holderIdentity?.startsWith('sluice-e2e-0');
  });

  const [port] = await freeLoopbackPorts(1);
  await core.createNamespacedService({
    namespace: OTHER_NS,
    body: {
      metadata: { name: 'web' },
      // The Deployment's flags take Services of Sluice's class only (no --handle-unclassed).
      spec: { type: 'LoadBalancer', loadBalancerClass: 'sluice.dev/load-balancer', selector: { app: 'web' }, ports: [{ name: 'http', port: port!, targetPort: 8080 }] },
    },
  });
  const svc = await waitFor('the Service to get its finalizer and ingress', async () => {
    const s = await core.readNamespacedService({ namespace: OTHER_NS, name: 'web' });
    return (s.metadata?.finalizers?.length ?? 0) > 0 && (s.status?.loadBalancer?.ingress?.length ?? 0) > 0 && s;
  });
  assert.ok(svc.metadata?.finalizers?.some((f) => f.startsWith('sluice.dev/')), `a sluice finalizer: ${svc.metadata?.finalizers}`);
  await waitFor('an event from sluice on the Service', async () => {
    const events = await core.listNamespacedEvent({ namespace: OTHER_NS });
    return events.items.some((e) => e.source?.component === 'sluice' && e.involvedObject.name === 'web');
  });
  await core.deleteNamespacedService({ namespace: OTHER_NS, name: 'web' });
  await waitFor('the Service to be gone (finalizer removed)', async () => {
    try {
      await core.readNamespacedService({ namespace: OTHER_NS, name: 'web' });
      return false;
    } catch (error) {
      return (error as { code?: number }).code === 404;
    }
  });
  const refused = controller.lines.filter((l) => /forbidden|\b403\b|refused by the API server/i.test(JSON.stringify(l)));
  assert.deepEqual(refused, [], 'no API call of the controller was refused');
  assert.equal(await controller.stop(), 0);
  controller = undefined;
});

test('every example renders with kustomize, selects its provider, wires its credentials and is accepted (dry run)', { timeout: 900_000 }, async () => {
  const bin = await kustomizeBinary();
  const baseByKey = byKey(base);
  const credentials: Record<string, (sa: k8s.V1ServiceAccount, podLabels: Record<string, string>) => void> = {
    aws: (sa) => assert.match(sa.metadata?.annotations?.['eks.amazonaws.com/role-arn'] ?? '', /^arn:aws:iam::\d{12}:role\//),
    azure: (sa, labels) => {
      assert.match(sa.metadata?.annotations?.['azure.workload.identity/client-id'] ?? '', /^[0-9a-f-]{36}$/);
      assert.equal(labels['azure.workload.identity/use'], 'true');
    },
    gcp: (sa) => assert.match(sa.metadata?.annotations?.['iam.gke.io/gcp-service-account'] ?? '', /@[a-z0-9-]+\.iam\.gserviceaccount\.com$/),
    local: (sa) => assert.equal(sa.metadata?.annotations, undefined),
  };
  // What an example adds to the base: only gcp, which reads nodes' spec.providerID (list and watch nodes, nothing else).
  const extras: Record<string, (objects: ReadonlyMap<string, k8s.KubernetesObject>) => void> = {
    gcp: (objects) => {
      const role = objects.get('ClusterRole sluice-node-reader') as k8s.V1ClusterRole | undefined;
      assert.deepEqual(role?.rules, [{ apiGroups: [''], resources: ['nodes'], verbs: ['list', 'watch'] }], 'the node reader lists and watches nodes, nothing more');
      const binding = objects.get('ClusterRoleBinding sluice-node-reader') as k8s.V1ClusterRoleBinding | undefined;
      assert.deepEqual([binding?.roleRef.name, binding?.subjects], ['sluice-node-reader', [{ kind: 'ServiceAccount', name: PLAIN.serviceAccount, namespace: PLAIN.namespace }]]);
    },
  };
  const extraKeys: Record<string, string[]> = { gcp: ['ClusterRole sluice-node-reader', 'ClusterRoleBinding sluice-node-reader'] };
  for (const provider of ['aws', 'azure', 'gcp', 'local']) {
    const objects = parseObjects(await runTool(bin, ['build', join(DEPLOY, 'examples', provider)]));
    assertConsistent(objects, provider, PLAIN);
    const rendered = byKey(objects);
    const added = extraKeys[provider] ?? [];
    assert.deepEqual([...rendered.keys()].sort(), [...baseByKey.keys(), ...added].sort(), `examples/${provider} has the objects of the base${added.length > 0 ? ` and ${added.join(', ')}` : ''}`);
    extras[provider]?.(rendered);
    for (const [key, o] of rendered) {
      if (o.kind === 'Deployment' || o.kind === 'ServiceAccount' || added.includes(key)) continue;
      assert.deepEqual(o, baseByKey.get(key), `examples/${provider} leaves ${key} as in the base`);
    }
    const { deployment } = container(objects);
    credentials[provider]!(rendered.get('ServiceAccount sluice-system/sluice') as k8s.V1ServiceAccount, deployment.spec?.template.metadata?.labels ?? {});
    await applyObjects(kc, objects, { dryRun: true });
  }
});

test('helm template with default values renders the objects of deploy/base (Namespace aside), accepted (dry run)', { timeout: 900_000 }, async () => {
  const bin = await helmBinary();
  await runTool(bin, ['lint', '--strict', CHART]);
  const rendered = parseObjects(await runTool(bin, ['template', 'sluice', CHART, '--namespace', 'sluice-system', '--kube-version', kubeVersion]));
  for (const o of rendered) assert.equal(o.metadata?.labels?.['app.kubernetes.io/managed-by'], 'Helm', `${objectKey(o)} carries Helm's labels`);
  const want = byKey(base.filter((o) => o.kind !== 'Namespace'));
  const got = byKey(rendered.map(withoutHelmLabels));
  assert.deepEqual([...got.keys()].sort(), [...want.keys()].sort(), 'the same objects');
  for (const [key, o] of want) assert.deepEqual(got.get(key), o, `${key} renders as in deploy/base`);
  await applyObjects(kc, rendered, { dryRun: true, fieldManager: 'helm' });
});

test('a Helm release under another name and namespace applies and gets the same least-privilege access', { timeout: 900_000 }, async () => {
  const bin = await helmBinary();
  const i: Install = { namespace: 'platform', serviceAccount: 'lb-sluice', lease: 'lb-sluice', webhookConfiguration: 'lb-sluice' };
  const rendered = parseObjects(
    await runTool(bin, [
      'template', 'lb', CHART, '--namespace', i.namespace, '--kube-version', kubeVersion,
      '--set', 'provider=aws', '--set', 'providerArgs={--aws-region=eu-west-1}',
      '--set', 'serviceAccount.annotations.eks\\.amazonaws\\.com/role-arn=arn:aws:iam::111122223333:role/sluice',
    ]),
  );
  assertConsistent(rendered, 'aws', i);
  const { c } = container(rendered);
  assert.ok(c.args?.includes('--aws-region=eu-west-1'), 'providerArgs reach the container');
  await kc.makeApiClient(k8s.CoreV1Api).createNamespace({ body: { metadata: { name: i.namespace } } });
  await applyObjects(kc, rendered, { fieldManager: 'helm' });
  await assertLeastPrivilege(kc, i);
});

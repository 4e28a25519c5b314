/**
 * What the deploy e2e holds the controller's ServiceAccount to: the whole grant the controller
 * needs (as `verb resource[.group][/sub] [name]`), what it must not do, and the check that the
 * account's access is exactly the needs, asked with SubjectAccessReview and listed with
 * SelfSubjectRulesReview.
 */
import assert from 'node:assert/strict';
import type * as k8s from '@kubernetes/client-node';
import { access, canI, rulesOf, serviceAccountSubject } from '@sluice/testbed/ops';

/** A namespace the controller does not run in. */
export const OTHER_NS = 'shop';

/** Where a release of Sluice lives and what it names its Lease and webhook configuration. */
export interface Install {
  readonly namespace: string;
  readonly serviceAccount: string;
  readonly lease: string;
  readonly webhookConfiguration: string;
}
export const PLAIN: Install = { namespace: 'sluice-system', serviceAccount: 'sluice', lease: 'sluice', webhookConfiguration: 'sluice' };

/**
 * What the controller does with the API, as `verb resource[.group][/sub] [name]`: the whole
 * grant, no more. Cluster-wide (ClusterRole) first, then its own namespace only (Role).
 */
export function needs(i: Install): { cluster: string[]; own: string[] } {
  return {
    cluster: [
      // informers (caches of the desired state)
      'list services',
      'watch services',
      'list pods',
      'watch pods',
      'list endpointslices.discovery.k8s.io',
      'watch endpointslices.discovery.k8s.io',
      // start-up preflight
      'list namespaces',
      // the readiness gate condition
      'patch pods/status',
      // status.loadBalancer.ingress
      'patch services/status',
      'update services/status',
      // the finalizer (a merge patch of the Service; services/finalizers as the issue asks)
      'patch services',
      'update services/finalizers',
      // events on Services and pods
      'create events',
      'patch events',
      // the webhook's caBundle, on its own configuration only
      `get mutatingwebhookconfigurations.admissionregistration.k8s.io ${i.webhookConfiguration}`,
      `patch mutatingwebhookconfigurations.admissionregistration.k8s.io ${i.webhookConfiguration}`,
    ],
    own: [
      // leader election
      'create leases.coordination.k8s.io',
      `get leases.coordination.k8s.io ${i.lease}`,
      `update leases.coordination.k8s.io ${i.lease}`,
    ],
  };
}

/** What the account must not do; `-n` is appended where the table says where. */
export function forbidden(i: Install): string[] {
  const ns = i.namespace;
  const everywhere = (spec: string) => [spec, `${spec} -n ${OTHER_NS}`, `${spec} -n ${ns}`];
  return [
    ...['get', 'list', 'watch', 'create'].flatMap((v) => everywhere(`${v} secrets`)),
    ...everywhere('list configmaps'),
    ...['create', 'update', 'patch', 'delete', 'deletecollection'].map((v) => `${v} pods -n ${OTHER_NS}`),
    `update pods/status -n ${OTHER_NS}`,
    `create pods/exec -n ${OTHER_NS}`,
    `create pods/eviction -n ${OTHER_NS}`,
    ...['create', 'update', 'delete'].map((v) => `${v} services -n ${OTHER_NS}`),
    `delete events -n ${OTHER_NS}`,
    `create leases.coordination.k8s.io -n ${OTHER_NS}`,
    `get leases.coordination.k8s.io someone-else -n ${ns}`,
    `update leases.coordination.k8s.io kube-controller-manager -n kube-system`,
    `delete leases.coordination.k8s.io ${i.lease} -n ${ns}`,
    'list mutatingwebhookconfigurations.admissionregistration.k8s.io',
    'create mutatingwebhookconfigurations.admissionregistration.k8s.io',
    `delete mutatingwebhookconfigurations.admissionregistration.k8s.io ${i.webhookConfiguration}`,
    'patch mutatingwebhookconfigurations.admissionregistration.k8s.io someone-else',
    'patch validatingwebhookconfigurations.admissionregistration.k8s.io',
    `create serviceaccounts/token ${i.serviceAccount} -n ${ns}`,
    'impersonate users',
    'create clusterrolebindings.rbac.authorization.k8s.io',
    'escalate clusterroles.rbac.authorization.k8s.io',
    'bind clusterroles.rbac.authorization.k8s.io',
    'list nodes',
    'patch namespaces',
    '* *.*',
  ];
}

/** Checks one access table entry for the account; returns a line per mismatch. */
async function mismatches(kc: k8s.KubeConfig, i: Install, specs: readonly string[], want: boolean): Promise<string[]> {
  const subject = serviceAccountSubject(i.namespace, i.serviceAccount);
  const out: string[] = [];
  for (const spec of specs) {
    const r = await canI(kc, subject, access(spec));
    if (r.allowed !== want) out.push(`${spec}: ${r.allowed ? 'allowed' : 'denied'}${r.reason ? ` (${r.reason})` : ''}`);
  }
  return out;
}

/** Asserts the account's access is exactly the controller's needs, both ways. */
export async function assertLeastPrivilege(kc: k8s.KubeConfig, i: Install): Promise<void> {
  const n = needs(i);
  const allowedWanted = [
    ...n.cluster,
    ...n.cluster.filter((s) => !s.includes('mutatingwebhookconfigurations') && !s.includes('namespaces')).map((s) => `${s} -n ${OTHER_NS}`),
    ...n.own.map((s) => `${s} -n ${i.namespace}`),
  ];
  assert.deepEqual(await mismatches(kc, i, allowedWanted, true), [], `${i.namespace}/${i.serviceAccount} lacks what the controller needs`);
  assert.deepEqual(await mismatches(kc, i, forbidden(i), false), [], `${i.namespace}/${i.serviceAccount} may do more than it should`);

  // Everything granted beyond what any ServiceAccount of the namespace gets anyway
  // (discovery, self reviews) must be exactly the needs: a broader rule shows up here.
  const user = serviceAccountSubject(i.namespace, i.serviceAccount).user;
  const baselineUser = serviceAccountSubject(i.namespace, 'e2e-baseline').user;
  for (const [ns, want] of [
    [OTHER_NS, n.cluster],
    [i.namespace, [...n.cluster, ...n.own]],
  ] as const) {
    const baseline = await rulesOf(kc, baselineUser, ns);
    const granted = [...(await rulesOf(kc, user, ns))].filter((r) => !baseline.has(r)).sort();
    assert.deepEqual(granted, [...want].sort(), `the permissions of ${user} in namespace ${ns}`);
  }
}

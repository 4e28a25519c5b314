/**
 * What a ServiceAccount may do, asked of the real API server's authorizer: one question at a
 * time with SubjectAccessReview, and the complete list with a SelfSubjectRulesReview made
 * while impersonating the account.
 */
import { AuthorizationV1Api, KubeConfig, type V1PolicyRule } from '@kubernetes/client-node';

/** One access question, in the spirit of `kubectl auth can-i`. */
export interface Access {
  readonly verb: string;
  /** API group; '' is the core group. */
  readonly group: string;
  readonly resource: string;
  readonly subresource?: string;
  /** The object's name; unset asks about any name. */
  readonly name?: string;
  /** Unset asks cluster-wide (all namespaces, or a cluster-scoped resource). */
  readonly namespace?: string;
}

/**
 * Parses `verb resource[.group][/subresource] [name] [-n namespace]`, e.g.
 * `patch pods/status -n shop` or `get leases.coordination.k8s.io sluice -n sluice-system`.
 */
export function access(spec: string): Access {
  const words = spec.trim().split(/\s+/);
  const n = words.indexOf('-n');
  const namespace = n === -1 ? undefined : words[n + 1];
  const rest = n === -1 ? words : words.slice(0, n);
  const [verb, target, name] = rest;
  if (!verb || !target || rest.length > 3 || (n !== -1 && !namespace)) throw new Error(`access "${spec}" is invalid: allowed is "verb resource[.group][/sub] [name] [-n ns]".`);
  const [resourceAndGroup, subresource] = target.split('/') as [string, string | undefined];
  const dot = resourceAndGroup.indexOf('.');
  return {
    verb,
    resource: dot === -1 ? resourceAndGroup : resourceAndGroup.slice(0, dot),
    group: dot === -1 ? '' : resourceAndGroup.slice(dot + 1),
    ...(subresource ? { subresource } : {}),
    ...(name ? { name } : {}),
    ...(namespace ? { namespace } : {}),
  };
}

/** The user name and groups the API server gives a ServiceAccount's token. */
export function serviceAccountSubject(namespace: string, name: string): { user: string; groups: string[] } {
  return {
    user: `system:serviceaccount:${namespace}:${name}`,
    groups: ['system:serviceaccounts', `system:serviceaccounts:${namespace}`, 'system:authenticated'],
  };
}

/** Whether the subject may do it, with the authorizer's reason. */
export async function canI(kc: KubeConfig, subject: { user: string; groups: string[] }, a: Access): Promise<{ allowed: boolean; reason: string }> {
  const api = kc.makeApiClient(AuthorizationV1Api);
  const review = await api.createSubjectAccessReview({
    body: {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SubjectAccessReview',
      spec: {
        user: subject.user,
        groups: subject.groups,
        resourceAttributes: {
          verb: a.verb,
          group: a.group,
          resource: a.resource,
          ...(a.subresource ? { subresource: a.subresource } : {}),
          ...(a.name ? { name: a.name } : {}),
          ...(a.namespace ? { namespace: a.namespace } : {}),
        },
      },
    },
  });
  return { allowed: review.status?.allowed === true && review.status?.denied !== true, reason: review.status?.reason ?? review.status?.evaluationError ?? '' };
}

/** The same cluster, with every request impersonating `user` (the admin may impersonate). */
export function impersonating(kc: KubeConfig, user: string): KubeConfig {
  const cluster = kc.getCurrentCluster();
  const me = kc.getCurrentUser();
  if (!cluster || !me) throw new Error('the kubeconfig has no current cluster or user');
  const out = new KubeConfig();
  out.loadFromOptions({
    clusters: [cluster],
    users: [{ ...me, name: 'impersonated', impersonateUser: user }],
    contexts: [{ name: 'impersonated', cluster: cluster.name, user: 'impersonated' }],
    currentContext: 'impersonated',
  });
  return out;
}

/** One permission per entry: `verb resource[.group][/sub] name|*`, or `verb url` for non-resource URLs. */
export function expandRules(resourceRules: readonly V1PolicyRule[], nonResourceRules: readonly { verbs: string[]; nonResourceURLs?: string[] }[] = []): Set<string> {
  const out = new Set<string>();
  for (const r of resourceRules) {
    for (const g of r.apiGroups ?? [''])
      for (const res of r.resources ?? [])
        for (const v of r.verbs)
          for (const n of r.resourceNames?.length ? r.resourceNames : ['*']) out.add(`${v} ${res}${g ? `.${g}` : ''}${n === '*' ? '' : ` ${n}`}`);
  }
  for (const r of nonResourceRules) for (const u of r.nonResourceURLs ?? []) for (const v of r.verbs) out.add(`${v} ${u}`);
  return out;
}

/**
 * Every permission `user` has in `namespace` (including cluster-wide grants), as the API
 * server's SelfSubjectRulesReview reports it when asked as that user.
 */
export async function rulesOf(kc: KubeConfig, user: string, namespace: string): Promise<Set<string>> {
  const api = impersonating(kc, user).makeApiClient(AuthorizationV1Api);
  const review = await api.createSelfSubjectRulesReview({
    body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectRulesReview', spec: { namespace } },
  });
  const status = review.status;
  if (!status) throw new Error(`SelfSubjectRulesReview as ${user} in ${namespace} returned no status`);
  if (status.incomplete) throw new Error(`SelfSubjectRulesReview as ${user} in ${namespace} is incomplete: ${status.evaluationError ?? ''}`);
  return expandRules(
    status.resourceRules.map((r) => ({ apiGroups: r.apiGroups ?? [], resources: r.resources ?? [], verbs: r.verbs, ...(r.resourceNames ? { resourceNames: r.resourceNames } : {}) })),
    status.nonResourceRules,
  );
}
